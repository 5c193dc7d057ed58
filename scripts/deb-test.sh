#!/bin/sh
# `make deb-test`: the Debian package installed, run, upgraded, removed and
# purged in a fresh minimal Debian 12 (docs/packaging.md, "How the package
# is tested").
#
#   sudo scripts/deb-test.sh [DEB]      DEB default: the newest build/deb/*.deb
#
# Root only (debootstrap, mount, chroot). In FREMDRIFT_DEB_TEST_DIR
# (default /var/tmp/fremdrift-deb-test):
#   cache/bookworm-minbase.tgz  debootstrap's packages, fetched once
#   cache/apt/                  the packages apt fetches in the chroot, kept
#   root/                       the chroot, made afresh on every run with
#                               debootstrap --variant=minbase bookworm
#   last-run.log                every command's output
#
# In the chroot: PostgreSQL 15 from Debian (its own cluster, on a free
# port), `apt-get install ./fremdrift_….deb`, /usr/share/fremdrift/db-setup.sh,
# then each unit's command run as systemd would run it (there is no systemd
# in a chroot): its User= or a dynamic user, its EnvironmentFile= read by
# root, its credentials in /run/credentials/UNIT, its UMask=, its
# ExecStart=. Then /health, an ingest, the refresh and the dashboard API;
# an upgrade to a higher version of the same package; remove; purge; and
# a reinstall that must find the old key. /proc, /dev, /dev/pts, /dev/shm,
# /sys and the apt cache are mounted into the chroot and unmounted on exit,
# whatever happens, after stopping what runs in it. Prints PASS or FAIL for
# each check and a summary; exits 1 if any failed.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
work=${FREMDRIFT_DEB_TEST_DIR:-/var/tmp/fremdrift-deb-test}
cache=$work/cache
root=$work/root
log=$work/last-run.log
units=$root/lib/systemd/system
inpath=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The first uid of systemd's range for DynamicUser= (61184-65519).
dynuid=61184
passes=0
fails=0
serve_pid=""
started=$(date +%s)

if [ "$(id -u)" -ne 0 ]; then
	echo "deb-test.sh: run as root (debootstrap, mount, chroot)" >&2
	exit 1
fi
deb=${1:-$(find "$here/build/deb" -maxdepth 1 -name 'fremdrift_*.deb' 2>/dev/null |
	sort -V | tail -n 1)}
if [ ! -f "$deb" ]; then
	echo "deb-test.sh: no package; run make deb first" >&2
	exit 1
fi
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
version=$(dpkg-deb -f "$deb" Version)
arch=$(dpkg-deb -f "$deb" Architecture)
v2=$version+debtest1
mirror=$(sh "$here/scripts/debian-mirror.sh")

# ---------------------------------------------------------------- report
say() {
	echo "$*"
	echo "$*" >>"$log"
}
pass() {
	passes=$((passes + 1))
	say "PASS  $1"
}
fail() {
	fails=$((fails + 1))
	say "FAIL  $1"
}
# run_logged COMMAND...: runs it in a subshell with errexit in force,
# output to the log, and leaves its status in $rc. Never call it in an
# `if` or an `||` list: there sh ignores errexit in everything called.
run_logged() {
	set +e
	(
		set -e
		"$@"
	) >>"$log" 2>&1
	rc=$?
	set -e
}
# check NAME COMMAND...: one assertion; the run goes on after a failure.
check() {
	name=$1
	shift
	echo "--- check: $name" >>"$log"
	run_logged "$@"
	if [ "$rc" -eq 0 ]; then pass "$name"; else fail "$name"; fi
}
# step NAME COMMAND...: a step the rest depends on; a failure ends the run.
step() {
	name=$1
	shift
	echo "--- step: $name" >>"$log"
	run_logged "$@"
	if [ "$rc" -eq 0 ]; then
		pass "$name"
	else
		echo "--- the last lines of $log:" >&2
		tail -n 25 "$log" >&2
		fail "$name"
		exit 1
	fi
}
stage() {
	say "== $1 (at $(($(date +%s) - started)) s)"
}
summary() {
	say "deb-test: $passes passed, $fails failed in $(($(date +%s) - started)) s" \
		"($(basename "$deb"), upgrade to $v2; log in $log)"
}

# ------------------------------------------------------ chroot, mounts
inroot() {
	chroot "$root" /usr/bin/env -i PATH="$inpath" HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}
insh() {
	inroot /bin/sh -ec "$1"
}
mounts_under_root() {
	sh "$here/scripts/chroot-mounts.sh" list "$root"
}
# Whatever runs inside the chroot was started by this script: stop it by
# pid (the cluster politely first), then unmount, deepest first.
cleanup() {
	status=$?
	trap - EXIT
	if [ -d "$root/usr/bin" ] && [ -n "$(mounts_under_root)" ]; then
		inroot pg_ctlcluster 15 main stop -m fast >/dev/null 2>&1 || true
	fi
	sh "$here/scripts/chroot-mounts.sh" release "$root"
	[ "$passes$fails" = 00 ] || summary
	[ "$fails" -eq 0 ] || status=1
	exit "$status"
}

# At the end: the chroot is removed when every check passed, and kept for
# a look when one failed.
cleanup_and_remove() {
	(cleanup) || return 1
	[ -z "$(mounts_under_root)" ] && rm -rf --one-file-system "$root"
}

# A TCP port nothing listens on, from $1 up (the chroot shares this
# machine's network, where other clusters and servers may run).
free_port() {
	p=$1
	while awk -v p="$(printf '%04X' "$p")" '$4 == "0A" &&
		substr($2, index($2, ":") + 1) == p { f = 1 } END { exit !f }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}

make_chroot() {
	mkdir -p "$cache/apt/partial"
	if [ ! -s "$cache/bookworm-minbase.tgz" ]; then
		rm -rf "$work/tarball"
		debootstrap --variant=minbase --make-tarball="$cache/bookworm-minbase.tgz" \
			bookworm "$work/tarball" "$mirror"
		rm -rf "$work/tarball"
	fi
	if [ -n "$(mounts_under_root)" ]; then
		echo "still mounted under $root:"
		mounts_under_root
		return 1
	fi
	rm -rf --one-file-system "$root"
	debootstrap --variant=minbase --unpack-tarball="$cache/bookworm-minbase.tgz" \
		bookworm "$root" "$mirror"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	# What every installed Debian has and minbase lacks.
	printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
		>"$root/etc/hosts"
	# As in Debian's container images: package scripts start no services
	# (PostgreSQL would start in this machine's network on port 5432).
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
}

mount_all() {
	mount -t proc proc "$root/proc"
	mount --bind /dev "$root/dev"
	mount --bind /dev/pts "$root/dev/pts"
	mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
	mount --bind /sys "$root/sys"
	mount --bind "$cache/apt" "$root/var/cache/apt/archives"
}

# ------------------------------------------------- units, as systemd runs them
unit_key() {
	sed -n "s/^$2=//p" "$units/$1"
}

# unit_script UNIT [COMMAND...]: writes /tmp/UNIT.sh in the chroot, which
# runs COMMAND (default: the unit's ExecStart=) the way systemd would.
unit_script() {
	unit=$1
	shift
	creds=/run/credentials/$unit
	if [ "$(unit_key "$unit" DynamicUser)" = yes ]; then
		uid=$dynuid gid=$dynuid home=/
	else
		user=$(unit_key "$unit" User)
		uid=$(inroot id -u "$user") gid=$(inroot id -g "$user")
		home=$(inroot getent passwd "$user" | cut -d: -f6)
	fi
	{
		echo "#!/bin/sh"
		echo "set -e"
		echo "rm -rf '$creds' && mkdir -p '$creds'"
		unit_key "$unit" LoadCredential | while IFS=: read -r id path; do
			echo "cp '$path' '$creds/$id' && chmod 0400 '$creds/$id'"
		done
		echo "chown -R $uid:$gid '$creds' && chmod 0500 '$creds'"
		echo "umask $(unit_key "$unit" UMask)"
		printf 'exec setpriv --reuid=%s --regid=%s --clear-groups -- env -i' "$uid" "$gid"
		printf " 'PATH=%s' 'HOME=%s' 'CREDENTIALS_DIRECTORY=%s'" "$inpath" "$home" "$creds"
		# Environment= first; EnvironmentFile= overrides it, as in systemd.
		unit_key "$unit" Environment | sed "s|%d|$creds|g" | while read -r kv; do
			printf " '%s'" "$kv"
		done
		unit_key "$unit" EnvironmentFile | sed 's/^-//' | while read -r f; do
			grep -Ev '^[[:space:]]*([#;]|$)' "$root$f" | while read -r kv; do
				printf " '%s'" "$kv"
			done
		done
		if [ $# -gt 0 ]; then
			printf " '%s'" "$@"
		else
			printf ' %s' "$(unit_key "$unit" ExecStart)"
		fi
		echo
	} >"$root/tmp/$unit.sh"
}

# unit_run UNIT [COMMAND...]: runs it and waits (Type=oneshot).
unit_run() {
	unit_script "$@"
	inroot sh "/tmp/$1.sh"
}

# In the background; every program on the way execs the next, so the pid
# is the server's.
serve_start() {
	unit_script fremdrift.service
	chroot "$root" /usr/bin/env -i PATH="$inpath" /bin/sh /tmp/fremdrift.service.sh \
		>>"$work/serve.log" 2>&1 &
	serve_pid=$!
	echo "fremdrift.service started, pid $serve_pid" >>"$log"
}

# SIGTERM, as systemctl stop sends; the exit status in $serve_rc. (Not
# through check: only this shell can wait for its child.)
serve_stop() {
	serve_rc=0
	[ -n "$serve_pid" ] || return 0
	kill -TERM "$serve_pid" 2>/dev/null || true
	wait "$serve_pid" || serve_rc=$?
	echo "fremdrift.service stopped, exit $serve_rc" >>"$log"
	serve_pid=""
}

health_ok() {
	i=0
	while [ "$i" -lt 30 ]; do
		code=$(inroot curl -s -o /tmp/health.json -w '%{http_code}' \
			"http://127.0.0.1:$httpport/health" || true)
		if [ "$code" = 200 ]; then
			cat "$root/tmp/health.json"
			echo
			return 0
		fi
		i=$((i + 1))
		sleep 1
	done
	echo "GET /health: $code"
	cat "$root/tmp/health.json" 2>/dev/null || true
	tail -n 20 "$work/serve.log"
	return 1
}

# ------------------------------------------------------------ database
sql() {
	inroot runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -p "$pgport" \
		-d fremdrift -c "$1"
}
# Every line of the synthetic file is a record stored (the ingest's own
# summary says none was rejected).
stored_all() {
	lines=$(wc -l <"$root/tmp/synth.ndjson")
	n=$(sql "SELECT (SELECT count(*) FROM fremdrift.events) +
		(SELECT count(*) FROM fremdrift.responses)")
	echo "$n records stored of $lines lines"
	[ "$n" -eq "$lines" ]
}
count_positive() {
	n=$(sql "SELECT count(*) FROM $1")
	echo "$1: $n rows"
	[ "$n" -gt 0 ]
}
# The logins connected to fremdrift other than psql's: only the service's.
only_service_connected() {
	who=$(sql "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity
		WHERE datname = 'fremdrift' AND backend_type = 'client backend'
		AND pid <> pg_backend_pid()")
	echo "connected to fremdrift: $who"
	[ "$who" = fremdrift_app ]
}
# As the service's login, with the service's settings: refused as not the
# owner (not for want of a connection).
service_cannot_drop() {
	# shellcheck disable=SC2016 # expanded by the shell in the chroot
	out=$(inroot setpriv --reuid=fremdrift --regid=fremdrift --clear-groups -- \
		sh -c 'set -a; . /etc/fremdrift/fremdrift.env; exec psql -X "$DATABASE_URL" \
		-c "DROP TABLE fremdrift.events"' 2>&1) && return 1
	echo "$out"
	echo "$out" | grep -q 'must be owner of table events'
}

# The owner's password file is closed to the service's user.
service_cannot_read_owner() {
	! inroot setpriv --reuid=fremdrift --regid=fremdrift --clear-groups -- \
		cat /etc/fremdrift/owner.pgpass
}

# -------------------------------------------------------------- files
# Owners by the chroot's names (this machine has no user fremdrift).
mode_is() {
	got=$(inroot stat -c '%a %U:%G' "$1")
	echo "$1: $got (want $2)"
	[ "$got" = "$2" ]
}
key_sum() {
	sha256sum "$root/var/lib/fremdrift/fremdrift.key" | cut -d' ' -f1
}
key_id() {
	sed -n 's/^id //p' "$root/var/lib/fremdrift/fremdrift.key"
}
key_kept() {
	now=$(key_sum)
	echo "key $now (id $(key_id)), before $key_sha"
	[ "$now" = "$key_sha" ]
}
key_in_database() {
	ids=$(sql "SELECT string_agg(key_id, ',') FROM fremdrift.pseudonym_keys")
	echo "database's keys: $ids; file's: $(key_id)"
	[ "$ids" = "$(key_id)" ]
}
installed_version() {
	# shellcheck disable=SC2016 # dpkg-query's fields, not the shell's
	got=$(inroot dpkg-query -W -f='${Status} ${Version}' fremdrift 2>&1 || true)
	echo "fremdrift: $got"
	[ "$got" = "$1" ]
}
absent() {
	[ ! -e "$root$1" ] && [ ! -L "$root$1" ]
}
system_user() {
	entry=$(inroot getent passwd fremdrift)
	echo "$entry"
	uid=$(echo "$entry" | cut -d: -f3)
	[ "$uid" -lt 1000 ] && echo "$entry" | grep -q ':/usr/sbin/nologin$'
}
key_not_packaged() {
	! inroot dpkg -S /var/lib/fremdrift/fremdrift.key
}
not_installed() {
	# shellcheck disable=SC2016 # dpkg-query's field, not the shell's
	st=$(inroot dpkg-query -W -f='${Status}' fremdrift 2>&1 || true)
	echo "fremdrift: $st"
	case "$st" in *"ok installed"* | *config-files*) return 1 ;; esac
}
no_statoverride() {
	! inroot dpkg-statoverride --list | grep fremdrift
}

# ------------------------------------------------------------- stages
# Run again, it keeps the passwords it wrote (and their roles get them).
setup_again_same() {
	before=$(cat "$root/etc/fremdrift/owner.pgpass" "$root/etc/fremdrift/service.pgpass")
	inroot /usr/share/fremdrift/db-setup.sh --port "$pgport"
	[ "$before" = "$(cat "$root/etc/fremdrift/owner.pgpass" "$root/etc/fremdrift/service.pgpass")" ]
}

setup_postgresql() {
	insh "apt-get update -qq && apt-get install -y -qq --no-install-recommends \
		postgresql-15 curl >/dev/null"
	insh "pg_conftool 15 main set port $pgport && pg_ctlcluster 15 main start"
}

install_package() {
	cp "$deb" "$root/tmp/"
	inroot apt-get install -y --no-install-recommends "/tmp/$(basename "$deb")"
}

configure_http() {
	sed -i "s/^FREMDRIFT_HTTP=.*/FREMDRIFT_HTTP=127.0.0.1:$httpport/" \
		"$root/etc/fremdrift/fremdrift.env"
}

ingest_synth() {
	unit_run fremdrift.service fremdrift synth --citizens 50 --seed 1 \
		>"$root/tmp/synth.ndjson"
	wc -l "$root/tmp/synth.ndjson"
	chmod 644 "$root/tmp/synth.ndjson"
	unit_run fremdrift.service fremdrift ingest --source synth /tmp/synth.ndjson
}

# http_status TOKEN PATH [CURL-ARGS...]: the status of a request to the
# server, its answer in /tmp/answer.json in the chroot (and in the log).
http_status() {
	token=$1 path=$2
	shift 2
	code=$(inroot curl -s -o /tmp/answer.json -w '%{http_code}' \
		-H "Authorization: Bearer $token" "$@" "http://127.0.0.1:$httpport$path")
	echo "$path: $code $(head -c 300 "$root/tmp/answer.json")" >&2
	echo "$code"
}

# A dashboard token made by the owner (fremdrift-owner), and the figures of
# the release the refresh published.
dashboard_answers() {
	token=$(inroot fremdrift-owner token create --source deb-test --role dashboard)
	[ "$(http_status "$token" /api/v1/dashboard)" = 200 ] &&
		[ "$(http_status "$token" /api/v1/dashboard/overview)" = 200 ]
}

# Records over HTTP with an ingest token (of the records' source, synth),
# as a case system sends them.
http_ingest() {
	token=$(inroot fremdrift-owner token create --source synth --role ingest)
	unit_run fremdrift.service fremdrift synth --citizens 3 --seed 2 \
		>"$root/tmp/http.ndjson"
	[ "$(http_status "$token" /api/v1/records -H 'Content-Type: application/x-ndjson' \
		--data-binary @/tmp/http.ndjson)" = 200 ] &&
		grep -q '"rejected":\[\]' "$root/tmp/answer.json"
}

make_v2() {
	rm -rf "$work/v2"
	dpkg-deb -R "$deb" "$work/v2"
	sed -i "s/^Version: .*/Version: $v2/" "$work/v2/DEBIAN/control"
	dpkg-deb --root-owner-group -b "$work/v2" "$root/tmp/fremdrift_${v2}_$arch.deb"
	rm -rf "$work/v2"
}

upgrade() {
	inroot apt-get install -y --no-install-recommends "/tmp/fremdrift_${v2}_$arch.deb"
}

migrations_current() {
	inroot fremdrift-owner migrate --check
}

purge() {
	inroot apt-get purge -y fremdrift >"$work/purge.out" 2>&1 || return 1
	cat "$work/purge.out"
	grep -q 'kept the pseudonym key' "$work/purge.out"
}

reinstall() {
	inroot apt-get install -y --no-install-recommends "/tmp/fremdrift_${v2}_$arch.deb" \
		>"$work/reinstall.out" 2>&1 || return 1
	cat "$work/reinstall.out"
	! grep -q 'wrote key' "$work/reinstall.out"
}

# ------------------------------------------------------------- the test
mkdir -p "$cache"
: >"$log"
: >"$work/serve.log"
trap cleanup EXIT
trap 'exit 130' INT TERM
say "deb-test: $(basename "$deb") in a fresh Debian 12 minbase chroot ($root)"
pgport=$(free_port 55432)
httpport=$(free_port 58080)
say "PostgreSQL on port $pgport, fremdrift on 127.0.0.1:$httpport"

stage "chroot"
step "debootstrap --variant=minbase bookworm" make_chroot
step "mount /proc, /dev, /dev/pts, /dev/shm, /sys, the apt cache" mount_all
step "PostgreSQL 15 from Debian, cluster 15/main started" setup_postgresql

stage "install"
step "apt-get install ./$(basename "$deb") (dependencies resolved)" install_package
check "installed: $version" installed_version "install ok installed $version"
check "/usr/bin/fremdrift runs" inroot fremdrift config
check "system user fremdrift" system_user
check "/etc/fremdrift/fremdrift.env 0640 root:fremdrift" mode_is /etc/fremdrift/fremdrift.env "640 root:fremdrift"
check "/etc/fremdrift/owner.env 0600 root:root" mode_is /etc/fremdrift/owner.env "600 root:root"
check "/var/lib/fremdrift 0750 fremdrift:fremdrift" mode_is /var/lib/fremdrift "750 fremdrift:fremdrift"
check "key made at install, 0600 fremdrift:fremdrift" mode_is /var/lib/fremdrift/fremdrift.key "600 fremdrift:fremdrift"
check "the key is in no package" key_not_packaged
check "units in /lib/systemd/system" test -f "$units/fremdrift.service" -a -f "$units/fremdrift-migrate.service" \
	-a -f "$units/fremdrift-refresh.service" -a -f "$units/fremdrift-refresh.timer"
key_sha=$(key_sum)
say "key id $(key_id)"

stage "database and service"
step "db-setup.sh --port $pgport (roles, database, pgpass)" inroot /usr/share/fremdrift/db-setup.sh --port "$pgport"
check "owner.pgpass 0400 root:root" mode_is /etc/fremdrift/owner.pgpass "400 root:root"
check "service.pgpass 0400 fremdrift:fremdrift" mode_is /etc/fremdrift/service.pgpass "400 fremdrift:fremdrift"
check "db-setup.sh again keeps the passwords" setup_again_same
step "fremdrift-migrate.service (dynamic user, owner's credential)" unit_run fremdrift-migrate.service
configure_http
serve_start
step "fremdrift.service: GET /health answers 200" health_ok
check "the server connects as fremdrift_app only" only_service_connected
check "fremdrift_app cannot drop a table" service_cannot_drop
check "fremdrift ingest (synth, 50 citizens) as the service" ingest_synth
check "every record stored (events and responses)" stored_all
check "the database holds the key file's id" key_in_database
check "fremdrift-refresh.service (measure refresh)" unit_run fremdrift-refresh.service
check "dashboard API answers a token fremdrift-owner made" dashboard_answers
check "POST /api/v1/records with an ingest token: 200" http_ingest
check "the service's user cannot read the owner's password" service_cannot_read_owner

stage "upgrade to $v2"
step "a second package, version $v2" make_v2
check "apt-get install over it" upgrade
check "installed: $v2" installed_version "install ok installed $v2"
check "the key untouched (same file, same id)" key_kept
check "fremdrift.env keeps the administrator's edit" grep -q "^FREMDRIFT_HTTP=127.0.0.1:$httpport\$" "$root/etc/fremdrift/fremdrift.env"
check "fremdrift.env still 0640 root:fremdrift" mode_is /etc/fremdrift/fremdrift.env "640 root:fremdrift"
serve_stop
check "fremdrift.service stopped by SIGTERM, exit 0" test "$serve_rc" -eq 0
check "restart: fremdrift-migrate.service runs" unit_run fremdrift-migrate.service
check "migrations up to date (migrate --check)" migrations_current
serve_start
check "restart: GET /health answers 200" health_ok
check "the records are still there" count_positive fremdrift.events
serve_stop

stage "remove"
check "apt-get remove fremdrift" inroot apt-get remove -y fremdrift
check "installed: config-files only" installed_version "deinstall ok config-files $v2"
check "/usr/bin/fremdrift gone" absent /usr/bin/fremdrift
check "units gone" absent /lib/systemd/system/fremdrift.service
check "fremdrift.env and owner.env kept" test -f "$root/etc/fremdrift/fremdrift.env" -a -f "$root/etc/fremdrift/owner.env"
check "the passwords kept" test -f "$root/etc/fremdrift/owner.pgpass" -a -f "$root/etc/fremdrift/service.pgpass"
check "the key kept" key_kept

stage "purge"
check "apt-get purge fremdrift (says it kept the key)" purge
check "not installed any more" not_installed
check "/etc/fremdrift gone" absent /etc/fremdrift
check "no statoverride left" no_statoverride
check "the key kept, 0600 fremdrift:fremdrift" mode_is /var/lib/fremdrift/fremdrift.key "600 fremdrift:fremdrift"
check "the key untouched" key_kept

stage "reinstall after purge"
check "apt-get install again makes no new key" reinstall
check "the same key" key_kept

trap - EXIT
cleanup_and_remove
