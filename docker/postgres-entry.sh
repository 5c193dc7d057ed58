#!/bin/sh
# First start: a cluster with a password-protected fremdrift superuser.
set -eu
if [ ! -f "$PGDATA/PG_VERSION" ]; then
	pw=$(cat /run/secrets/db_password)
	printf '%s\n' "$pw" > /tmp/pw
	initdb -D "$PGDATA" -U fremdrift --pwfile=/tmp/pw -A scram-sha-256 -E UTF8 --locale=C.UTF-8
	rm -f /tmp/pw
	echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
	# No record value in the server's log (docs/privacy.md).
	echo "log_error_verbosity = terse" >> "$PGDATA/postgresql.conf"
	echo "log_min_error_statement = panic" >> "$PGDATA/postgresql.conf"
	echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
	pg_ctl -D "$PGDATA" -w start
	createdb -U fremdrift fremdrift
	pg_ctl -D "$PGDATA" -w stop
fi
exec postgres -D "$PGDATA"
