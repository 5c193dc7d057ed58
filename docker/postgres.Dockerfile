# PostgreSQL 15 from Debian's own package, for docker/compose.yaml. Build
# from the repository root:
#
#   podman build -f docker/postgres.Dockerfile -t fremdrift-postgres .
#
# The entry (docker/postgres-entry.sh) makes the cluster in the volume on
# first start and, on every start, the logins fremdrift (the schema's
# owner) and fremdrift_app (the service) with the passwords of the secrets
# db_owner_password and db_app_password, and the database fremdrift owned
# by fremdrift. It starts as root only to read those secrets and to own
# the volume, then runs PostgreSQL as the user postgres.
FROM debian:12-slim
# A fixed uid for postgres (a system uid, as postgresql-common wants), so
# a rebuilt image still owns an existing volume. Debian's own cluster
# ("main") is not made: the entry makes one in the volume. Nor is the
# "snakeoil" key that ssl-cert makes at install: a private key baked into
# an image is every installation's key (and the server does not use it).
RUN groupadd --system --gid 999 postgres \
    && useradd --system --uid 999 --gid 999 --home-dir /var/lib/postgresql \
        --no-create-home --shell /bin/bash postgres \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-common \
    && sed -ri 's/^#? *create_main_cluster *=.*/create_main_cluster = false/' \
        /etc/postgresql-common/createcluster.conf \
    && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && rm -f /etc/ssl/private/ssl-cert-snakeoil.key \
        /etc/ssl/certs/ssl-cert-snakeoil.pem \
    && mkdir -p /var/lib/postgresql/data \
    && chown -R postgres:postgres /var/lib/postgresql
COPY --chmod=0755 docker/postgres-entry.sh /usr/local/bin/fremdrift-postgres-entry
# Catalogue privacy needs a superuser (docs/privacy.md §9); the entry
# applies it on every start, so the owner need not be one.
COPY sql/current/80_catalog_privacy.sql /usr/local/share/fremdrift/80_catalog_privacy.sql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
# SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every
# client to disconnect.
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/fremdrift-postgres-entry"]
