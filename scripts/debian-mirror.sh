#!/bin/sh
# Prints the first Debian mirror of this machine's apt sources (lines that
# are not comments; not the security archive), or deb.debian.org. Used by
# scripts/deb-test.sh and scripts/minimal-debian-check.sh for debootstrap.
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	/etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v '^[[:space:]]*#' |
	grep -Eo 'https?://[^ ]*/debian/?' | grep -v security | head -n 1 || true)
echo "${mirror:-http://deb.debian.org/debian}"
