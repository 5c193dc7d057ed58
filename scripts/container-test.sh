#!/bin/sh
# make container-test: the images and docker/compose.yaml for real, with
# Debian 12's podman and podman-compose, as root on this machine
# (docs/containers.md, "The container test"). In order:
#
#   1. the Debian packages (scripts/deps.sh container) and build/fremdrift
#      (its keygen makes the test's key);
#   2. a private containers.conf (CONTAINERS_CONF): runc, since crun fails
#      on these machines, explicit nofile and nproc limits (podman's
#      defaults exceed this machine's hard limits), cgroupfs and file
#      events (no systemd), netavark;
#   3. the base image: no image registry is reachable, so Debian 12 comes
#      from `debootstrap --variant=minbase bookworm` (the rootfs tarball is
#      cached in /var/tmp/fremdrift-container for a week) and `podman
#      import`, tagged docker.io/library/debian:12 and :12-slim, which the
#      Dockerfiles' FROM lines resolve to (the builds' downloaded .debs
#      are cached there too, mounted outside the layers);
#   4. the secrets, by docker/make-secrets.sh, into a temporary folder; the
#      same secrets and fake tokens are then planted in the build context
#      (var/, docker/secrets/ and three source folders) before building;
#   5. the images (the service image's build stage too), then every layer
#      of each scanned for any secret (scripts/container-scan.py); the
#      scanner is first shown to find a key in an image made to hold one;
#   6. the stack, `podman-compose up -d`: health of db and fremdrift, the
#      migrate exiting 0, nginx on HTTPS (HTTP/2, HSTS, TLS 1.1 refused,
#      plain HTTP redirected, 413 over 8 MiB), an ingest token made as the
#      owner, a file of records POSTed through nginx, a refresh, a
#      dashboard answer, an owner's command with the key in a one-off
#      container, the server's sessions all fremdrift_app (neither
#      owner nor superuser), and a restart of the database container that
#      keeps the database (same rows, same dashboard answer, the same file
#      again all duplicates); the backup commands of docs/containers.md;
#      the nightly loop set to the coming minute;
#   7. everything it made removed (containers, volume, network, images,
#      the planted files), also when a step fails.
#
# Prints PASS or FAIL and the time taken. FREMDRIFT_CTEST_KEEP=1 leaves the
# stack and images up after a failure, for looking into it (then remove
# them by hand: the commands are printed).
set -eu

start=$(date +%s)
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ "$(id -u)" -ne 0 ]; then
	echo "container-test: run it as root (it runs rootful podman)" >&2
	exit 2
fi

passed=0
step() { echo "container-test: $*"; }
ok() {
	passed=$((passed + 1))
	echo "  ok $passed: $*"
}
die() {
	echo "  FAILED: $*" >&2
	exit 1
}

id=$$
tag=ctest$id
P=frctest$id
T=$(mktemp -d /tmp/fremdrift-ctest.XXXXXX)
chmod 0700 "$T"
cache=${FREMDRIFT_CTEST_CACHE:-/var/tmp/fremdrift-container}
mirror=${FREMDRIFT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
images="fremdrift-build:$tag fremdrift:$tag fremdrift-postgres:$tag fremdrift-nginx:$tag"
made_base=""
made_dirs=""
stack_up=0
t_base=0 t_build=0 t_scan=0 t_stack=0

compose() {
	podman-compose -p "$P" -f "$root/docker/compose.yaml" "$@" >>"$T/compose.log" 2>&1
}

remove_plants() {
	if [ -f "$T/planted" ]; then
		while IFS= read -r f; do rm -f "$f"; done <"$T/planted"
		rm -f "$T/planted"
	fi
	for d in $made_dirs; do rmdir "$d" 2>/dev/null || true; done
	made_dirs=""
}

cleanup() {
	rc=$?
	trap - EXIT INT TERM
	set +e
	remove_plants
	if [ "$rc" -ne 0 ] && [ "$stack_up" = 1 ]; then
		for c in db migrate fremdrift refresh nginx; do
			echo "--- podman logs ${P}_${c}_1 (last 25 lines)" >&2
			podman logs --tail 25 "${P}_${c}_1" 2>&1 | sed 's/^/    /' >&2
		done
	fi
	if [ "$rc" -ne 0 ] && [ "${FREMDRIFT_CTEST_KEEP:-0}" = 1 ]; then
		echo "container-test: FREMDRIFT_CTEST_KEEP=1: left as they are; remove with" >&2
		echo "  CONTAINERS_CONF=$T/containers.conf FREMDRIFT_TAG=$tag podman-compose -p $P -f docker/compose.yaml down -v" >&2
		echo "  podman network rm ${P}_default; podman rmi $images; rm -rf $T" >&2
	else
		if [ "$stack_up" = 1 ]; then
			compose down -v -t 10
			podman ps -aq --filter "label=io.podman.compose.project=$P" |
				xargs -r podman rm -f >/dev/null 2>&1
			podman volume rm -f "${P}_pgdata" >/dev/null 2>&1
			podman network rm -f "${P}_default" >/dev/null 2>&1
		fi
		for i in $images $made_base; do
			podman image exists "$i" && podman rmi -f "$i" >/dev/null 2>&1
		done
		# Untagged images this run's builds left (the build steps' cache).
		if [ -f "$T/images-before" ]; then
			podman images -a -q --no-trunc --filter dangling=true 2>/dev/null |
				grep -vxF -f "$T/images-before" |
				xargs -r podman rmi -f >/dev/null 2>&1
		fi
		rm -rf "$T"
	fi
	took=$(($(date +%s) - start))
	if [ "$rc" -eq 0 ]; then
		echo "container-test: PASS: $passed checks in ${took} s (base image ${t_base} s, builds ${t_build} s, layer scan ${t_scan} s, stack ${t_stack} s)"
		echo "container-test: $passed passed, 0 failed"
	else
		echo "container-test: FAIL after $passed checks passed, in ${took} s" >&2
		echo "container-test: $passed passed, 1 failed" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. Packages and the local binary.
sh scripts/deps.sh container
make -j2 --no-print-directory all >"$T/make.log" 2>&1 || {
	tail -20 "$T/make.log" >&2
	die "make"
}

# 2. podman's settings for this run only.
# podman's own defaults (nofile 1048576) exceed this machine's hard limit,
# and runc refused nproc 65536 here: plenty for the stack, and never above
# the hard limit of this shell.
limit() { # NAME WANTED: WANTED, or the hard limit NAME in /proc/self/limits if lower
	v=$(awk -v n="$1" 'index($0, n) == 1 {print $(NF - 1)}' /proc/self/limits)
	case $v in '' | unlimited) v=$2 ;; esac
	[ "$v" -gt "$2" ] && v=$2
	echo "$v"
}
nofile=$(limit "Max open files" "${FREMDRIFT_CTEST_NOFILE:-16384}")
nproc=$(limit "Max processes" "${FREMDRIFT_CTEST_NPROC:-4096}")
cat >"$T/containers.conf" <<EOF
# make container-test (scripts/container-test.sh)
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_backend = "netavark"
EOF
export CONTAINERS_CONF="$T/containers.conf"
podman images -a -q --no-trunc >"$T/images-before" 2>/dev/null || true
step "podman $(podman version --format '{{.Client.Version}}'), runc, ulimits nofile=$nofile nproc=$nproc"

# 3. Debian 12 without a registry.
t0=$(date +%s)
tarball=$cache/bookworm-minbase.tar.gz
if ! podman image exists docker.io/library/debian:12; then
	if [ ! -s "$tarball" ] || [ -n "$(find "$tarball" -mtime +7 2>/dev/null)" ]; then
		step "debootstrap --variant=minbase bookworm (cached in $cache afterwards)"
		mkdir -p "$cache"
		rootfs=$cache/rootfs.$id
		rm -rf "$rootfs"
		debootstrap --variant=minbase bookworm "$rootfs" "$mirror" \
			>"$cache/debootstrap.log" 2>&1 || {
			tail -20 "$cache/debootstrap.log" >&2
			rm -rf "$rootfs"
			die "debootstrap"
		}
		cat >"$rootfs/etc/apt/sources.list" <<-EOF
		deb $mirror bookworm main
		deb $mirror bookworm-updates main
		deb ${mirror%/debian}/debian-security bookworm-security main
		EOF
		# As Debian's own container images: no service starts at install.
		printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
		chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
		: >"$rootfs/etc/hostname"
		: >"$rootfs/etc/resolv.conf"
		rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
			"$rootfs"/var/cache/apt/archives/*.deb
		tar --numeric-owner -C "$rootfs" --exclude='./dev/*' \
			--exclude='./proc/*' --exclude='./sys/*' -czf "$tarball.tmp" .
		mv "$tarball.tmp" "$tarball"
		rm -rf "$rootfs"
	fi
	podman import --change 'CMD ["/bin/bash"]' "$tarball" \
		docker.io/library/debian:12 >/dev/null
	made_base="docker.io/library/debian:12"
fi
if ! podman image exists docker.io/library/debian:12-slim; then
	podman tag docker.io/library/debian:12 docker.io/library/debian:12-slim
	made_base="$made_base docker.io/library/debian:12-slim"
fi
t_base=$(($(date +%s) - t0))
ok "base image debian:12 and debian:12-slim (${t_base} s)"

# 4. Secrets, and the same planted in the build context.
FREMDRIFT_BIN="$root/build/fremdrift" sh docker/make-secrets.sh "$T/secrets" 2>"$T/secrets.log" ||
	{ cat "$T/secrets.log" >&2; die "make-secrets"; }
for f in db_owner_password db_app_password pgpass_owner pgpass_app fremdrift.key tls.crt tls.key; do
	[ -s "$T/secrets/$f" ] || die "make-secrets made no $f"
done
[ "$(stat -c '%u %a' "$T/secrets/fremdrift.key")" = "10001 600" ] ||
	die "fremdrift.key is not uid 10001, mode 0600"
grep -qx '\*:\*:fremdrift:fremdrift_app:[0-9a-f]*' "$T/secrets/pgpass_app" ||
	die "pgpass_app is not a pgpass line"
FREMDRIFT_BIN="$root/build/fremdrift" sh docker/make-secrets.sh "$T/secrets" 2>"$T/secrets2.log"
grep -q 'nothing changed' "$T/secrets2.log" || die "make-secrets changed existing secrets"
ok "make-secrets: all seven, key uid 10001 mode 0600, pgpass format, a second run changes nothing"

token_a="fr_$(openssl rand -hex 32)"
token_b="fr_$(openssl rand -hex 32)"
{
	cat "$T/secrets/db_owner_password" "$T/secrets/db_app_password"
	cat "$T/secrets/pgpass_owner" "$T/secrets/pgpass_app"
	grep '^key ' "$T/secrets/fremdrift.key"
	grep -v -e '-----' "$T/secrets/tls.key"
	echo "$token_a"
	echo "$token_b"
} >"$T/markers"

plant() { # SOURCE DEST: put a secret into the build context
	mkdir_p "$(dirname "$2")"
	cp "$1" "$2"
	echo "$root/$2" >>"$T/planted"
}
mkdir_p() { # make a folder, remembering the ones this run made
	[ -d "$1" ] && return 0
	mkdir_p "$(dirname "$1")"
	mkdir "$1"
	made_dirs="$root/$1 $made_dirs"
}
echo "$token_a" >"$T/ingest.token"
echo "$token_b" >"$T/dashboard.token"
p=ctest-$id
plant "$T/secrets/fremdrift.key" "var/$p/fremdrift.key"
plant "$T/ingest.token" "var/$p/ingest.token"
plant "$T/dashboard.token" "var/$p/dashboard.token"
for f in "$T"/secrets/*; do
	plant "$f" "docker/secrets/$p/$(basename "$f")"
done
plant "$T/secrets/fremdrift.key" "server/$p.key"
plant "$T/ingest.token" "sql/$p.token"
plant "$T/secrets/pgpass_owner" "docker/$p-pgpass"
plant "$T/secrets/db_owner_password" "cli/$p-db_password"
ok "planted the key, tokens, pgpass and password files in var/, docker/secrets/, server/, sql/, docker/, cli/"

# 5. The images, then every layer scanned.
t0=$(date +%s)
build() { # IMAGE DOCKERFILE [OPTIONS]
	img=$1 df=$2
	shift 2
	step "podman build $img ($df)"
	# The downloaded .debs are kept between runs, outside every layer.
	mkdir -p "$cache/apt-archives"
	podman build --pull=never --network host \
		-v "$cache/apt-archives:/var/cache/apt/archives" \
		-f "$df" -t "$img" "$@" "$root" >>"$T/build.log" 2>&1 || {
		tail -30 "$T/build.log" >&2
		die "podman build $img"
	}
}
build "fremdrift-build:$tag" docker/Dockerfile --target build
build "fremdrift:$tag" docker/Dockerfile
build "fremdrift-postgres:$tag" docker/postgres.Dockerfile
build "fremdrift-nginx:$tag" docker/nginx.Dockerfile
t_build=$(($(date +%s) - t0))
remove_plants
ok "four images built from Debian packages (${t_build} s)"

[ "$(podman image inspect -f '{{.Config.User}}' "fremdrift:$tag")" = "10001:10001" ] ||
	die "the service image does not run as 10001"
ok "the service image runs as uid 10001"

t0=$(date +%s)
# The scanner must find what is there: an image made to hold the key.
mkdir "$T/neg"
cp "$T/secrets/fremdrift.key" "$T/neg/innocent.txt"
printf 'FROM docker.io/library/debian:12\nCOPY innocent.txt /opt/\n' >"$T/neg/Containerfile"
podman build --pull=never -q -f "$T/neg/Containerfile" -t "fremdrift-neg:$tag" "$T/neg" >/dev/null 2>&1 ||
	die "the scanner's own test image did not build"
podman save --format docker-archive -o "$T/neg.tar" "fremdrift-neg:$tag" 2>/dev/null
podman rmi -f "fremdrift-neg:$tag" >/dev/null 2>&1
if python3 scripts/container-scan.py "$T/markers" "$T/neg.tar" >"$T/neg.out" 2>&1; then
	cat "$T/neg.out" >&2
	die "the scanner missed a key"
fi
grep -q "keygen's header" "$T/neg.out" || die "the scanner did not name the key"
rm -f "$T/neg.tar"
ok "the scanner finds a key hidden in an image"
for img in $images; do
	podman save --format docker-archive -o "$T/image.tar" "$img" 2>/dev/null ||
		die "podman save $img"
	rc=0
	python3 scripts/container-scan.py "$T/markers" "$T/image.tar" >"$T/scan.out" 2>&1 || rc=$?
	sed 's/^/  /' "$T/scan.out"
	[ "$rc" -eq 0 ] || die "a secret in a layer of $img (or the scan failed)"
	rm -f "$T/image.tar"
done
t_scan=$(($(date +%s) - t0))
ok "no secret in any layer of the four images (${t_scan} s)"

# 6. The stack.
t0=$(date +%s)
free_port() {
	port=$1
	while ss -Htln "sport = :$port" | grep -q .; do port=$((port + 1)); done
	echo "$port"
}
https_port=$(free_port $((20000 + id % 20000)))
http_port=$(free_port $((https_port + 1)))
export FREMDRIFT_TAG="$tag" FREMDRIFT_SECRETS="$T/secrets" FREMDRIFT_BIND=127.0.0.1 \
	FREMDRIFT_HTTPS_PORT="$https_port" FREMDRIFT_HTTP_PORT="$http_port" \
	FREMDRIFT_PUBLIC_URL="https://localhost:$https_port"
step "podman-compose -p $P up -d (nginx on 127.0.0.1:$https_port and :$http_port)"
stack_up=1
compose up -d --no-build || {
	tail -30 "$T/compose.log" >&2
	die "podman-compose up"
}

wait_healthy() { # SERVICE SECONDS: the compose healthcheck passes
	n=0
	until podman healthcheck run "${P}_$1_1" >/dev/null 2>&1; do
		n=$((n + 1))
		[ "$n" -lt "$2" ] || return 1
		sleep 1
	done
}
# (Without systemd podman runs no healthcheck timers; `podman healthcheck
# run` runs the compose file's check once and records the result.)
wait_healthy db 120 || die "db not healthy within 120 s"
ok "db healthy (pg_isready over TCP)"
n=0
until [ "$(podman inspect -f '{{.State.Status}}' "${P}_migrate_1")" = exited ]; do
	n=$((n + 1))
	[ "$n" -lt 120 ] || die "migrate did not finish within 120 s"
	sleep 1
done
[ "$(podman inspect -f '{{.State.ExitCode}}' "${P}_migrate_1")" = 0 ] ||
	die "migrate exited $(podman inspect -f '{{.State.ExitCode}}' "${P}_migrate_1")"
podman logs "${P}_migrate_1" 2>&1 | grep -q 'database is up to date' ||
	die "migrate did not say the database is up to date"
ok "migrate ran once as the owner and exited 0"
wait_healthy fremdrift 180 || die "fremdrift not healthy within 180 s"
[ "$(podman inspect -f '{{.State.Health.Status}}' "${P}_fremdrift_1")" = healthy ] ||
	die "podman does not record fremdrift as healthy"
ok "fremdrift healthy (GET /health inside the container)"
for c in db fremdrift refresh nginx; do
	[ "$(podman inspect -f '{{.HostConfig.RestartPolicy.Name}}' "${P}_${c}_1")" = unless-stopped ] ||
		die "$c has no restart policy unless-stopped"
done
ok "db, fremdrift, refresh and nginx restart unless-stopped"
[ "$(podman exec "${P}_fremdrift_1" awk '/^Uid:/ {print $2}' /proc/1/status)" = 10001 ] ||
	die "fremdrift does not run as uid 10001"
[ "$(podman exec "${P}_refresh_1" awk '/^Uid:/ {print $2}' /proc/1/status)" = 10001 ] ||
	die "refresh does not run as uid 10001"
[ "$(podman exec "${P}_db_1" awk '/^Uid:/ {print $2}' /proc/1/status)" = "$(podman exec "${P}_db_1" id -u postgres)" ] ||
	die "PostgreSQL does not run as postgres"
ok "fremdrift and refresh run as uid 10001, PostgreSQL as postgres"
podman logs "${P}_refresh_1" 2>&1 | grep -q 'next fremdrift measure refresh at .* 02:30' ||
	die "the refresh service did not schedule the night's refresh"
ok "the refresh service waits for 02:30"

cacert="$T/secrets/tls.crt"
url="https://localhost:$https_port"
curl_tls() {
	curl -sS --max-time 120 --cacert "$cacert" \
		--resolve "localhost:$https_port:127.0.0.1" "$@"
}
n=0
until [ "$(curl_tls -o "$T/health.json" -w '%{http_code}' "$url/health" 2>/dev/null)" = 200 ]; do
	n=$((n + 1))
	[ "$n" -lt 60 ] || die "no 200 from $url/health through nginx"
	sleep 1
done
curl_tls -D "$T/headers" -o /dev/null -w '%{http_version}\n' "$url/health" >"$T/httpver" ||
	die "GET /health through nginx"
[ "$(cat "$T/httpver")" = 2 ] || die "not HTTP/2 through nginx"
grep -qi '^strict-transport-security: max-age=63072000' "$T/headers" || die "no HSTS header"
ok "GET /health through nginx over TLS: 200, HTTP/2, HSTS"
echo | openssl s_client -connect "127.0.0.1:$https_port" -tls1_2 >/dev/null 2>&1 ||
	die "TLS 1.2 refused"
if echo | openssl s_client -connect "127.0.0.1:$https_port" -tls1_1 \
	-cipher 'DEFAULT@SECLEVEL=0' >/dev/null 2>&1; then
	die "TLS 1.1 accepted"
fi
ok "TLS 1.2 accepted, TLS 1.1 refused"
redirect=$(curl -sS --max-time 30 -o /dev/null -w '%{http_code} %{redirect_url}' \
	"http://127.0.0.1:$http_port/health" || true)
case $redirect in "301 https://"*) ;; *) die "plain HTTP answered $redirect, not a redirect" ;; esac
ok "plain HTTP redirects to HTTPS"

owner() { podman exec "${P}_refresh_1" fremdrift "$@"; }
ingest_token=$(owner token create --source synth --role ingest 2>/dev/null)
dash_token=$(owner token create --source ctest-dashboard --role dashboard 2>/dev/null)
case $ingest_token$dash_token in fr_*fr_*) ;; *) die "token create as the owner" ;; esac
ok "ingest and dashboard tokens made as the owner (fremdrift token create in the refresh container)"

owner synth --citizens 300 --seed 17 >"$T/records.ndjson"
nrec=$(wc -l <"$T/records.ndjson")
post_records() {
	curl_tls -o "$T/post.json" -w '%{http_code}' \
		-H "Authorization: Bearer $ingest_token" \
		-H 'Content-Type: application/x-ndjson' \
		--data-binary @"$T/records.ndjson" "$url/api/v1/records" || true
}
code=$(post_records)
[ "$code" = 200 ] || die "POST /api/v1/records answered $code: $(cat "$T/post.json")"
grep -q "^{\"accepted\":$nrec,\"duplicates\":0,\"rejected\":\[\]}" "$T/post.json" ||
	die "POST /api/v1/records: $(head -c 300 "$T/post.json")"
ok "POSTed $nrec records ($(wc -c <"$T/records.ndjson") bytes) through nginx over TLS: all accepted"
code=$(head -c 9437184 /dev/zero | curl_tls -o /dev/null -w '%{http_code}' \
	-H "Authorization: Bearer $ingest_token" -H 'Content-Type: application/x-ndjson' \
	--data-binary @- "$url/api/v1/records" || true)
[ "$code" = 413 ] || die "a 9 MiB body answered $code, not 413"
ok "a 9 MiB body is refused with 413"
if podman logs "${P}_nginx_1" 2>&1 | grep -q 'buffered to a temporary file'; then
	die "nginx wrote a request body (records) to a temporary file"
fi
ok "nginx passed the records on without writing them to disk"

owner measure refresh >"$T/refresh.log" 2>&1 || {
	cat "$T/refresh.log" >&2
	die "measure refresh"
}
ok "measure refresh as the owner"
dashboard() { # OUT
	curl_tls -o "$1" -w '%{http_code}' -H "Authorization: Bearer $dash_token" \
		"$url/api/v1/dashboard/overview" || true
}
code=$(dashboard "$T/overview.json")
[ "$code" = 200 ] || die "GET /api/v1/dashboard/overview answered $code"
grep -q '"view":"overview"' "$T/overview.json" && grep -q '"citizens":[0-9]' "$T/overview.json" ||
	die "no figures in the overview: $(head -c 300 "$T/overview.json")"
ok "GET /api/v1/dashboard/overview through nginx: $(grep -o '"citizens":[0-9]' "$T/overview.json" | wc -l) figures"

# An owner's command that needs the key, in a one-off container as
# docs/containers.md shows it.
podman run --rm --network "${P}_default" --user 10001:10001 \
	-v "$T/secrets/pgpass_owner:/run/secrets/pgpass_owner:ro" \
	-v "$T/secrets/fremdrift.key:/run/secrets/fremdrift_key:ro" \
	-e DATABASE_URL='host=db dbname=fremdrift user=fremdrift passfile=/run/secrets/pgpass_owner' \
	"fremdrift:$tag" invite --due >"$T/due.csv" 2>"$T/due.err" ||
	die "invite --due in a one-off container: $(cat "$T/due.err")"
[ "$(head -n 1 "$T/due.csv")" = "course,instrument,respondent,round,opens_on,state,url,expires_at" ] ||
	die "invite --due printed no CSV header"
ok "an owner's command with the key in a one-off container (invite --due: $(($(wc -l <"$T/due.csv") - 1)) rounds)"

sql() { podman exec -u postgres "${P}_db_1" psql -X -At -d fremdrift -c "$1"; }
ip=$(podman inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "${P}_fremdrift_1")
users=$(sql "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity WHERE client_addr = '$ip'")
[ "$users" = fremdrift_app ] || die "the server's sessions are [$users], not fremdrift_app"
roles=$(sql "SELECT string_agg(rolname, ' ' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('fremdrift', 'fremdrift_app') AND NOT rolsuper AND NOT rolcreaterole AND NOT rolcreatedb")
[ "$roles" = "fremdrift fremdrift_app" ] ||
	die "fremdrift or fremdrift_app may be a superuser or make roles or databases"
[ "$(sql "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'fremdrift'")" = fremdrift ] ||
	die "the database is not owned by fremdrift"
[ "$(sql "SELECT pg_has_role('fremdrift_app', 'fremdrift_service', 'MEMBER'), pg_has_role('fremdrift_app', 'fremdrift', 'MEMBER')")" = "t|f" ] ||
	die "fremdrift_app is not (only) a member of fremdrift_service"
ok "the server's sessions are fremdrift_app's (member of fremdrift_service, not of the owner); fremdrift owns the database; neither is a superuser"

# Backups as docs/containers.md gives them: roles without passwords, the
# database, and no secret of the test in either.
podman exec -u postgres "${P}_db_1" pg_dumpall --roles-only --no-role-passwords >"$T/roles.sql" ||
	die "pg_dumpall --roles-only"
podman exec -u postgres "${P}_db_1" pg_dump --format=custom fremdrift >"$T/fremdrift.dump" ||
	die "pg_dump"
grep -q 'CREATE ROLE fremdrift_app;' "$T/roles.sql" || die "roles.sql has no fremdrift_app"
if grep -q 'SCRAM-SHA-256' "$T/roles.sql"; then die "roles.sql holds a password hash"; fi
podman exec -i -u postgres "${P}_db_1" pg_restore --file=- <"$T/fremdrift.dump" >"$T/fremdrift.sql" ||
	die "pg_restore of the dump"
grep -q '^COPY fremdrift.events ' "$T/fremdrift.sql" || die "the dump has no events"
if grep -qF -f "$T/markers" "$T/fremdrift.sql" "$T/roles.sql"; then
	die "a password or the key in the backup"
fi
ok "backup: roles without passwords and a pg_dump ($(wc -c <"$T/fremdrift.dump") bytes) that restores to SQL, with no password or key of the test"
rm -f "$T/fremdrift.dump" "$T/fremdrift.sql"

events=$(sql "SELECT count(*) FROM fremdrift.events")
step "podman restart ${P}_db_1"
podman restart "${P}_db_1" >/dev/null 2>&1 || die "podman restart db"
wait_healthy db 120 || die "db not healthy again within 120 s"
[ "$(sql "SELECT count(*) FROM fremdrift.events")" = "$events" ] ||
	die "the restarted database lost rows"
n=0
until [ "$(curl_tls -o /dev/null -w '%{http_code}' "$url/health" 2>/dev/null)" = 200 ]; do
	n=$((n + 1))
	[ "$n" -lt 120 ] || die "fremdrift did not come back after the database's restart"
	sleep 1
done
code=$(dashboard "$T/overview2.json")
[ "$code" = 200 ] && cmp -s "$T/overview.json" "$T/overview2.json" ||
	die "the dashboard answer changed across the restart"
code=$(post_records)
grep -q "^{\"accepted\":0,\"duplicates\":$nrec," "$T/post.json" ||
	die "the same file again: $(head -c 300 "$T/post.json")"
ok "after a restart of the db container: the database, its $events events and the same dashboard answer are there; the same file again is all duplicates"

# The nightly loop of the refresh service, set to the coming minute in a
# one-off container of the same image and settings.
at=$(date -u -d '+1 minute' +%H:%M)
podman run -d --name "${P}_nightly" --label "io.podman.compose.project=$P" \
	--network "${P}_default" --user 10001:10001 --read-only \
	-v "$T/secrets/pgpass_owner:/run/secrets/pgpass_owner:ro" \
	-e DATABASE_URL='host=db dbname=fremdrift user=fremdrift passfile=/run/secrets/pgpass_owner' \
	-e TZ=UTC -e FREMDRIFT_REFRESH_AT="$at" \
	--entrypoint /usr/local/bin/fremdrift-container "fremdrift:$tag" \
	nightly measure refresh >/dev/null 2>&1 || die "the one-off nightly container"
# Done, and the next night scheduled: a second "next … at" line.
n=0
until [ "$(podman logs "${P}_nightly" 2>&1 | grep -c 'next fremdrift measure refresh at')" -ge 2 ]; do
	n=$((n + 1))
	[ "$n" -lt 150 ] || die "the nightly loop did not refresh at $at UTC: $(podman logs "${P}_nightly" 2>&1 | tail -3)"
	sleep 1
done
podman logs "${P}_nightly" 2>&1 | grep -q 'fremdrift measure refresh done' ||
	die "the nightly refresh failed: $(podman logs "${P}_nightly" 2>&1 | tail -3)"
podman stop -t 5 "${P}_nightly" >/dev/null 2>&1
[ "$(podman inspect -f '{{.State.ExitCode}}' "${P}_nightly")" = 0 ] ||
	die "the nightly loop did not stop at once on SIGTERM"
podman rm -f "${P}_nightly" >/dev/null 2>&1
ok "the nightly loop ran measure refresh at $at (UTC), scheduled the next, and stops on SIGTERM"
t_stack=$(($(date +%s) - t0))
