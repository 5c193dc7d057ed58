#!/bin/sh
# Makes the secrets of docker/compose.yaml for a new installation, once:
#
#   sh docker/make-secrets.sh [DIR]          (DIR: default docker/secrets)
#
# Run it as root on the container host (the files get the owners the
# containers read them as). It never overwrites a file: what exists is
# kept, and only what is missing is made, so running it again is safe.
#
#   db_owner_password, db_app_password   random passwords of the database
#                                        logins fremdrift (the owner) and
#                                        fremdrift_app (the service); read
#                                        by the database image's entry as
#                                        root: root, 0600
#   pgpass_owner, pgpass_app             the same passwords as libpq
#                                        password files, one line
#                                        `*:*:fremdrift:LOGIN:PASSWORD`;
#                                        uid 10001, 0600 (libpq refuses a
#                                        file others may read)
#   fremdrift.key                        the pseudonym key, from `fremdrift
#                                        keygen`; uid 10001, 0600. Keep a
#                                        copy somewhere safe, apart from
#                                        the database's backups
#                                        (docs/privacy.md)
#   tls.crt, tls.key                     a SELF-SIGNED certificate for
#                                        FREMDRIFT_TLS_NAME (default
#                                        localhost), for testing only:
#                                        replace both with the provider's
#                                        certificate and key (same names)
#
# The key comes from FREMDRIFT_BIN if set, else `fremdrift` on the PATH,
# else build/fremdrift of this repository, else the built service image
# (FREMDRIFT_IMAGE, default fremdrift:latest) run with podman or docker.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-${FREMDRIFT_SECRETS:-$here/secrets}}
tls_name=${FREMDRIFT_TLS_NAME:-localhost}
image=${FREMDRIFT_IMAGE:-fremdrift:latest}
uid=10001

umask 077
mkdir -p "$dir"
chmod 0700 "$dir"
made=""

is_root() { [ "$(id -u)" -eq 0 ]; }

own() { # FILE UID: hand a file to the uid the container reads it as
	if is_root; then
		chown "$2:$2" "$1"
	elif [ "$2" != 0 ]; then
		echo "make-secrets: not root, so $1 is yours, not uid $2's: as root run" >&2
		echo "  chown $2:$2 $1     (rootless podman: podman unshare chown $2:$2 $1)" >&2
	fi
	chmod 0600 "$1"
}

password() { # FILE: a random password (hex: nothing to escape in pgpass)
	[ -e "$1" ] && return 0
	openssl rand -hex 24 >"$1.tmp"
	mv "$1.tmp" "$1"
	own "$1" 0
	made="$made $(basename "$1")"
}

pgpass() { # FILE LOGIN PASSWORD_FILE
	[ -e "$1" ] && return 0
	printf '*:*:fremdrift:%s:%s\n' "$2" "$(head -n 1 "$3")" >"$1.tmp"
	mv "$1.tmp" "$1"
	own "$1" "$uid"
	made="$made $(basename "$1")"
}

keygen() { # FILE
	[ -e "$1" ] && return 0
	bin=${FREMDRIFT_BIN:-}
	if [ -z "$bin" ]; then
		if command -v fremdrift >/dev/null 2>&1; then
			bin=fremdrift
		elif [ -x "$here/../build/fremdrift" ]; then
			bin=$here/../build/fremdrift
		fi
	fi
	if [ -n "$bin" ]; then
		"$bin" keygen --out "$1" >&2
	else
		engine=""
		for e in podman docker; do
			if command -v "$e" >/dev/null 2>&1; then
				engine=$e
				break
			fi
		done
		if [ -z "$engine" ]; then
			echo "make-secrets: no fremdrift binary and no podman or docker for the image $image;" >&2
			echo "  build the image first, or set FREMDRIFT_BIN" >&2
			exit 1
		fi
		# As root in the container, without a network, into this folder.
		"$engine" run --rm --network none --user 0 \
			--entrypoint /usr/local/bin/fremdrift \
			-v "$(dirname "$1"):/out" "$image" \
			keygen --out "/out/$(basename "$1")" >&2
	fi
	own "$1" "$uid"
	made="$made $(basename "$1")"
}

tls() { # CERT KEY
	[ -e "$1" ] && [ -e "$2" ] && return 0
	if [ -e "$1" ] || [ -e "$2" ]; then
		echo "make-secrets: only one of $1 and $2 exists; add the other or move both away" >&2
		exit 1
	fi
	case $tls_name in
	*[!0-9.]*) san="DNS:$tls_name" ;;
	*) san="IP:$tls_name" ;;
	esac
	[ "$tls_name" = localhost ] && san="$san,IP:127.0.0.1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 825 -subj "/CN=$tls_name" \
		-addext "subjectAltName=$san" \
		-keyout "$2.tmp" -out "$1.tmp" 2>/dev/null
	mv "$2.tmp" "$2"
	mv "$1.tmp" "$1"
	own "$2" 0
	chmod 0644 "$1"
	made="$made $(basename "$1") $(basename "$2")"
	echo "make-secrets: $1 is SELF-SIGNED for $tls_name, for testing:" \
		"replace it and $(basename "$2") with the provider's certificate and key" >&2
}

password "$dir/db_owner_password"
password "$dir/db_app_password"
pgpass "$dir/pgpass_owner" fremdrift "$dir/db_owner_password"
pgpass "$dir/pgpass_app" fremdrift_app "$dir/db_app_password"
keygen "$dir/fremdrift.key"
tls "$dir/tls.crt" "$dir/tls.key"

if [ -n "$made" ]; then
	echo "make-secrets: made in $dir:$made" >&2
else
	echo "make-secrets: $dir has every secret already; nothing changed" >&2
fi
