#!/bin/sh
# Backups of fremdrift's database, never of its key (docs/operations.md,
# "Backups and restore").
#
#   scripts/backup.sh dump DIR      DIR/roles.sql (the cluster's roles,
#                                   without passwords), DIR/fremdrift.dump
#                                   (the database, pg_dump's custom format)
#                                   and DIR/SHA256SUMS
#   scripts/backup.sh restore DIR   the roles, then the database, into the
#                                   empty database DATABASE_URL names
#
# DATABASE_URL is a libpq connection string or URI: for dump the owner's
# login (or a superuser's), for restore a login that may create roles (a
# superuser) and an existing empty database owned by the owner. The key
# file is never read, and nothing here can write it: back it up apart from
# the database, under other people's control (docs/privacy.md §4).
set -eu
cmd=${1:?usage: backup.sh dump|restore DIR}
dir=${2:?usage: backup.sh dump|restore DIR}
url=${DATABASE_URL:?set DATABASE_URL}

bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/pg_dump" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/pg_dump" ] || { echo "backup.sh: pg_dump not found; install postgresql-client-15" >&2; exit 2; }

case "$cmd" in
dump)
	mkdir -p "$dir"
	chmod 700 "$dir"
	# Roles without passwords: a dump must not carry password hashes;
	# set the logins' passwords again after a restore.
	"$bindir/pg_dumpall" -d "$url" --roles-only --no-role-passwords >"$dir/roles.sql"
	"$bindir/pg_dump" -d "$url" --format=custom --file="$dir/fremdrift.dump"
	(cd "$dir" && sha256sum roles.sql fremdrift.dump >SHA256SUMS)
	echo "backup.sh: $(du -sh "$dir" | cut -f1) in $dir (the key is not in it)" >&2
	;;
restore)
	(cd "$dir" && sha256sum --quiet -c SHA256SUMS)
	# Roles that exist already are left as they are (their errors are
	# expected); the database must restore without a single error.
	"$bindir/psql" -X -q -d "$url" -f "$dir/roles.sql" >/dev/null 2>&1 || true
	"$bindir/pg_restore" -d "$url" --exit-on-error --no-owner --role=fremdrift \
		"$dir/fremdrift.dump"
	echo "backup.sh: restored $dir; run \`fremdrift migrate --check\`" >&2
	;;
*)
	echo "usage: backup.sh dump|restore DIR" >&2
	exit 2
	;;
esac
