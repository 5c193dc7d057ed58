#!/bin/sh
# Entry of the database image (docker/postgres.Dockerfile). On every start,
# never asking for anything:
#
#   1. the cluster in $PGDATA (the volume), made once by initdb: the
#      superuser postgres reaches it only on the Unix socket inside this
#      container (peer); over TCP only the logins fremdrift and
#      fremdrift_app, only to the database fremdrift, with scram-sha-256;
#   2. PostgreSQL started on the socket alone (no TCP port yet), and as
#      postgres, over that socket:
#      - the owner's login fremdrift (not a superuser, no CREATEROLE) and
#        the service's login fremdrift_app, member of fremdrift_service,
#        with the passwords of the secrets db_owner_password and
#        db_app_password (set again at each start, so a changed secret
#        takes effect with a restart);
#      - the NOLOGIN roles the migrations grant to (fremdrift_service,
#        analyst, dashboard), so the owner needs no right to make roles;
#      - the database fremdrift, owned by fremdrift;
#      - sql/current/80_catalog_privacy.sql (it needs a superuser);
#   3. that server stopped and PostgreSQL started for real, as postgres,
#      listening on TCP: the port opens only when all of the above exists
#      (the compose healthcheck and `fremdrift-container after-db` rely on
#      it).
#
# Step 2 runs on every start, so a container restarted on an existing
# volume has, or gets back, its database and logins. It starts as root only
# to read the secrets (mode 0600) and to own the volume.
set -eu

PGDATA=${PGDATA:-/var/lib/postgresql/data}
secrets=${FREMDRIFT_DB_SECRETS:-/run/secrets}
export PGDATA

say() { echo "fremdrift-postgres-entry: $*" >&2; }

secret() { # NAME: the secret's first line; stops when it is missing or empty
	if [ ! -r "$secrets/$1" ]; then
		say "secret $secrets/$1 missing: make it with docker/make-secrets.sh"
		exit 1
	fi
	v=$(head -n 1 "$secrets/$1")
	if [ -z "$v" ]; then
		say "secret $secrets/$1 is empty"
		exit 1
	fi
	printf '%s' "$v"
}

as_postgres() {
	setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
}

if [ "$(id -u)" -ne 0 ]; then
	say "must start as root (it drops to the user postgres itself)"
	exit 1
fi
owner_pw=$(secret db_owner_password)
app_pw=$(secret db_app_password)

mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 0700 "$PGDATA"
chmod 2775 /run/postgresql
# A volume made by an image whose postgres had another uid.
if [ -e "$PGDATA/PG_VERSION" ] &&
	[ "$(stat -c %u "$PGDATA/PG_VERSION")" != "$(id -u postgres)" ]; then
	chown -R postgres:postgres "$PGDATA"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	say "new cluster in $PGDATA"
	as_postgres initdb -D "$PGDATA" -U postgres --auth-local=peer \
		--auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >&2
	cat >"$PGDATA/pg_hba.conf" <<-'EOF'
	# fremdrift (docker/postgres-entry.sh). The superuser only on this
	# container's own socket; over the network only the owner and the
	# service's login, only to the database fremdrift. A BI login
	# (docs/operations.md, "Letting a BI tool in") gets a line of its own.
	# TYPE  DATABASE   USER                     ADDRESS  METHOD
	local   all        postgres                          peer
	host    fremdrift  fremdrift,fremdrift_app  all      scram-sha-256
	EOF
	chown postgres:postgres "$PGDATA/pg_hba.conf"
	echo "include_if_exists = 'fremdrift.conf'" >>"$PGDATA/postgresql.conf"
fi

# Settings of this image, written anew at each start (an edited copy is
# replaced; put settings of your own in postgresql.auto.conf with ALTER
# SYSTEM). No record value in the server's log (docs/privacy.md).
cat >"$PGDATA/fremdrift.conf" <<'EOF'
# Written by docker/postgres-entry.sh at each start: do not edit.
listen_addresses = '*'
password_encryption = 'scram-sha-256'
log_error_verbosity = terse
log_min_error_statement = panic
log_line_prefix = '%m [%p] '
EOF
chown postgres:postgres "$PGDATA/fremdrift.conf"

# A server that a killed container left behind is not running now.
rm -f "$PGDATA/postmaster.pid"
as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w -t 120 \
	start >&2

# The passwords reach psql in its environment (only root and postgres
# in this container can read it), never on a command line.
(
export FREMDRIFT_OWNER_PW="$owner_pw" FREMDRIFT_APP_PW="$app_pw"
as_postgres psql -X -q -v ON_ERROR_STOP=1 -d postgres <<'EOF'
\getenv owner_pw FREMDRIFT_OWNER_PW
\getenv app_pw FREMDRIFT_APP_PW
SELECT format('CREATE ROLE %I', r)
FROM unnest(ARRAY['fremdrift', 'fremdrift_app', 'fremdrift_service',
                  'analyst', 'dashboard']) AS r
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \gexec
ALTER ROLE fremdrift WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
    NOREPLICATION NOBYPASSRLS PASSWORD :'owner_pw';
ALTER ROLE fremdrift_app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
    NOREPLICATION NOBYPASSRLS INHERIT PASSWORD :'app_pw';
ALTER ROLE fremdrift_service NOLOGIN;
GRANT fremdrift_service TO fremdrift_app;
SELECT 'CREATE DATABASE fremdrift OWNER fremdrift TEMPLATE template0 '
       'ENCODING ''UTF8'' LOCALE ''C.UTF-8'''
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'fremdrift') \gexec
ALTER DATABASE fremdrift OWNER TO fremdrift;
REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;
EOF
)
as_postgres psql -X -q -v ON_ERROR_STOP=1 -d fremdrift \
	-f /usr/local/share/fremdrift/80_catalog_privacy.sql
unset owner_pw app_pw

as_postgres pg_ctl -D "$PGDATA" -m fast -w -t 120 stop >&2
say "database fremdrift ready; starting PostgreSQL"
exec setpriv --reuid=postgres --regid=postgres --init-groups -- \
	postgres -D "$PGDATA"
