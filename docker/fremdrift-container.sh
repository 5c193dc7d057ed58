#!/bin/bash
# Small helpers for the services of docker/compose.yaml, installed in the
# service image as /usr/local/bin/fremdrift-container:
#
#   fremdrift-container health
#       exit 0 when the server's GET /health answers 200 (the compose
#       healthcheck; the image has no curl, so bash's /dev/tcp asks).
#   fremdrift-container after-db COMMAND…
#       wait until the database of DATABASE_URL answers (`fremdrift
#       migrate --check` exits 0 or 1, not 2), at most
#       FREMDRIFT_WAIT_SECONDS (120), then run `fremdrift COMMAND…` (the
#       one-shot migrate), which reports the error if it still cannot
#       connect. So migrate waits for the database also under a compose
#       that ignores depends_on's conditions (Debian 12's podman-compose
#       1.0.3 does).
#   fremdrift-container nightly COMMAND…
#       run `fremdrift COMMAND…` once a day at FREMDRIFT_REFRESH_AT (HH:MM,
#       default 02:30) in the container's TZ, for ever; a failed run is
#       logged and the next night runs again. On a day that changes the
#       clock, HH:MM is counted from midnight (02:30 is then 03:30 or
#       01:30 on the wall clock).
set -u

log() { # LEVEL MESSAGE: one logfmt line, as fremdrift's own
	printf 'ts=%s level=%s module=container msg="%s"\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" >&2
}

health() {
	local port=${FREMDRIFT_HTTP##*:} status
	exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
	printf 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
	IFS= read -r -t 5 status <&3 || exit 1
	case $status in
	"HTTP/1."?" 200 "*) exit 0 ;;
	*) exit 1 ;;
	esac
}

after_db() {
	local waited=0 max=${FREMDRIFT_WAIT_SECONDS:-120} err
	until err=$(/usr/local/bin/fremdrift migrate --check 2>&1 >/dev/null) ||
		[ $? -ne 2 ]; do
		if [ "$waited" -ge "$max" ]; then
			log warning "the database did not answer within ${max}s"
			break
		fi
		[ "$waited" -eq 0 ] && log info "waiting for the database: ${err%%$'\n'*}"
		sleep 2
		waited=$((waited + 2))
	done
	exec /usr/local/bin/fremdrift "$@"
}

nightly() {
	local at=${FREMDRIFT_REFRESH_AT:-02:30} h m now next rc
	case $at in
	[0-2][0-9]:[0-5][0-9]) ;;
	*) log error "FREMDRIFT_REFRESH_AT must be HH:MM, not $at"; exit 2 ;;
	esac
	h=$((10#${at%:*})) m=$((10#${at#*:}))
	# `podman stop` (SIGTERM) ends the wait at once, not after 10 s.
	trap 'exit 0' TERM INT
	while :; do
		now=$(date +%s)
		next=$(( $(date -d 'today 00:00' +%s) + h * 3600 + m * 60 ))
		[ "$next" -gt "$now" ] ||
			next=$(( $(date -d 'tomorrow 00:00' +%s) + h * 3600 + m * 60 ))
		log info "next fremdrift $* at $(date -d "@$next" '+%Y-%m-%d %H:%M %Z')"
		sleep $((next - now)) &
		wait $!
		/usr/local/bin/fremdrift "$@"
		rc=$?
		if [ "$rc" -eq 0 ]; then
			log info "fremdrift $* done"
		else
			log error "fremdrift $* failed (exit $rc); the next night tries again"
		fi
	done
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
health) health ;;
after-db) after_db "$@" ;;
nightly) nightly "$@" ;;
*)
	echo "usage: fremdrift-container health | after-db COMMAND… | nightly COMMAND…" >&2
	exit 2
	;;
esac
