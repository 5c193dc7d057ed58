#!/bin/sh
# Sets up fremdrift's database on a PostgreSQL cluster of this machine
# (docs/packaging.md, "The database"). Run as root after installing the
# package and PostgreSQL:
#
#   /usr/share/fremdrift/db-setup.sh [--port PORT] [--host HOST]
#
#   --port  the cluster's port (default $PGPORT, else 5432)
#   --host  the name the service reaches PostgreSQL by (default localhost)
#
# It runs db-roles.sql as the postgres user (the login roles fremdrift, the
# schema owner, and fremdrift_app, the service, with random passwords;
# the database fremdrift), then catalog-privacy.sql as that superuser,
# writes the passwords to /etc/fremdrift/owner.pgpass (root, 0400) and
# /etc/fremdrift/service.pgpass (fremdrift, 0400), and points DATABASE_URL
# in /etc/fremdrift/fremdrift.env and owner.env at HOST:PORT. Running it
# again keeps the passwords in those files. For a PostgreSQL on another
# machine, follow docs/packaging.md instead.
set -eu
# Beside this script: /usr/share/fremdrift in the package.
share=$(cd "$(dirname "$0")" && pwd)
etc=/etc/fremdrift
port=${PGPORT:-5432}
host=localhost

while [ $# -gt 0 ]; do
	case "$1" in
	--port) port=${2:?--port needs a value}; shift 2 ;;
	--host) host=${2:?--host needs a value}; shift 2 ;;
	-h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "db-setup.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done

die() {
	echo "db-setup.sh: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root"
getent passwd fremdrift >/dev/null || die "no user fremdrift: install the fremdrift package first"
getent passwd postgres >/dev/null || die "no user postgres: install postgresql (Debian's postgresql-15)"

# The password of an existing pgpass file (its first line's fifth field),
# else a new one: 32 letters and digits, nothing pgpass or a URI escapes.
password_for() {
	if [ -s "$1" ]; then
		cut -d: -f5 "$1" | head -n 1
	else
		LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32
	fi
}

# FILE OWNER ROLE PASSWORD: a pgpass file only OWNER can read.
write_pgpass() {
	(umask 077 && printf '*:*:fremdrift:%s:%s\n' "$3" "$4" >"$1.tmp")
	chown "$2:$2" "$1.tmp"
	chmod 0400 "$1.tmp"
	mv -f "$1.tmp" "$1"
}

as_postgres() {
	runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" "$@"
}

# FILE OLD-PATTERN NEW: rewrites the DATABASE_URL line while it is still
# the one this script (or the package) wrote; otherwise says what to set.
set_url() {
	if grep -q "^DATABASE_URL=$3\$" "$1"; then
		return 0
	fi
	if grep -Eq "^DATABASE_URL=$2\$" "$1"; then
		sed -i "s|^DATABASE_URL=.*|DATABASE_URL=$3|" "$1"
		echo "db-setup.sh: $1: DATABASE_URL=$3"
	else
		echo "db-setup.sh: $1 has a DATABASE_URL of your own; left as it is." >&2
		echo "             This script's would be DATABASE_URL=$3" >&2
	fi
}

owner_pw=$(password_for "$etc/owner.pgpass")
service_pw=$(password_for "$etc/service.pgpass")
if [ -z "$owner_pw" ] || [ -z "$service_pw" ]; then
	die "empty password in $etc/owner.pgpass or $etc/service.pgpass"
fi

echo "db-setup.sh: roles and database on port $port ($share/db-roles.sql)"
# The passwords go to psql on its standard input, never on a command line.
{
	printf '\\set owner_password %s\n\\set service_password %s\n' "$owner_pw" "$service_pw"
	cat "$share/db-roles.sql"
} | as_postgres -d postgres -f -
echo "db-setup.sh: catalogue privacy ($share/catalog-privacy.sql, as superuser)"
as_postgres -d fremdrift -f "$share/catalog-privacy.sql" </dev/null

write_pgpass "$etc/owner.pgpass" root fremdrift "$owner_pw"
write_pgpass "$etc/service.pgpass" fremdrift fremdrift_app "$service_pw"
echo "db-setup.sh: wrote $etc/owner.pgpass (root) and $etc/service.pgpass (fremdrift)"

hp='[^/@]*'
set_url "$etc/fremdrift.env" \
	"postgresql://fremdrift_app@$hp/fremdrift\\?passfile=$etc/service.pgpass" \
	"postgresql://fremdrift_app@$host:$port/fremdrift?passfile=$etc/service.pgpass"
set_url "$etc/owner.env" "postgresql://fremdrift@$hp/fremdrift" \
	"postgresql://fremdrift@$host:$port/fremdrift"

cat <<NEXT
db-setup.sh: done. Next:
  systemctl start fremdrift-migrate.service     # migrations, as the owner
  systemctl enable --now fremdrift.service fremdrift-refresh.timer
  curl http://127.0.0.1:8080/health
NEXT
