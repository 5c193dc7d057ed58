# PostgreSQL 15 from Debian's own package, for the compose file.
FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/*
USER postgres
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY --chown=postgres docker/postgres-entry.sh /usr/local/bin/postgres-entry.sh
EXPOSE 5432
ENTRYPOINT ["sh", "/usr/local/bin/postgres-entry.sh"]
