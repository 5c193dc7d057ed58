#!/bin/sh
# A private PostgreSQL cluster in one folder, reachable only on a Unix socket
# in that folder.
#
#   scripts/pg.sh init DIR [--fast]   initdb once (DIR/data), database fremdrift
#   scripts/pg.sh start DIR           start it (log in DIR/log)
#   scripts/pg.sh stop DIR            fast shutdown; fine if not running
#   scripts/pg.sh status DIR          exit 0 if running
#
# --fast turns fsync off: for throwaway test clusters only.
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# unprivileged user `postgres` (created by Debian's postgresql package).
set -eu
cmd=${1:?usage: pg.sh init|start|stop|status DIR [--fast]}
dir=${2:?usage: pg.sh init|start|stop|status DIR [--fast]}
fast=${3:-}

bindir=$(pg_config --bindir 2>/dev/null || true)

# The server's own log must not receive record values: a duplicate key's
# DETAIL quotes the key, a COPY error's CONTEXT quotes the row, and a
# failed statement is logged with its text. Terse errors and no statement
# text keep the message and the SQLSTATE only (docs/privacy.md).
privacy_conf() {
	echo "log_error_verbosity = terse"
	echo "log_min_error_statement = panic"
}
if [ ! -x "$bindir/initdb" ]; then
	bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [ ! -x "$bindir/initdb" ]; then
	echo "pg.sh: PostgreSQL server binaries not found; install postgresql-15" >&2
	exit 1
fi

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

case "$cmd" in
init)
	mkdir -p "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres:postgres "$dir"
		if ! runuser -u postgres -- test -w "$dir"; then
			echo "pg.sh: the user postgres cannot reach $dir (a parent folder is closed to it);" >&2
			echo "       set FREMDRIFT_VAR to a folder it can reach, e.g. /var/lib/fremdrift" >&2
			exit 1
		fi
	fi
	chmod 700 "$dir"
	if [ -f "$dir/data/PG_VERSION" ]; then
		exit 0
	fi
	nosync=""
	[ "$fast" = "--fast" ] && nosync="-N"
	as_owner "$bindir/initdb" -D "$dir/data" -U fremdrift -A trust \
		-E UTF8 --locale=C.UTF-8 $nosync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	{
		echo "# fremdrift: a private cluster on a Unix socket only"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "unix_socket_permissions = 0700"
		echo "max_connections = 100"
		echo "shared_buffers = 256MB"
		echo "max_wal_size = 4GB"
		echo "log_min_messages = warning"
		echo "log_line_prefix = '%m [%p] '"
		privacy_conf
		if [ "$fast" = "--fast" ]; then
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
		fi
	} | as_owner sh -c "cat >> '$dir/data/postgresql.conf'"
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >/dev/null
	as_owner "$bindir/createdb" -h "$dir" -U fremdrift fremdrift
	as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	;;
start)
	if as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		exit 0
	fi
	# Clusters made before these settings existed get them too.
	grep -q '^log_error_verbosity' "$dir/data/postgresql.conf" ||
		privacy_conf | as_owner sh -c "cat >> '$dir/data/postgresql.conf'"
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >/dev/null || {
		tail -n 20 "$dir/log" >&2
		exit 1
	}
	;;
stop)
	if as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
	fi
	;;
status)
	as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
	;;
*)
	echo "usage: pg.sh init|start|stop|status DIR [--fast]" >&2
	exit 2
	;;
esac
