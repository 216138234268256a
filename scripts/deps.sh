#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages termgram needs, only those that are missing.
# Run as root (or with sudo available). Extra package names may be given.
set -eu

pkgs="build-essential cmake ninja-build pkg-config clang clang-format
libclang-rt-14-dev libncurses-dev libb64-dev libcmocka-dev libsqlite3-dev
libsodium-dev libssl-dev tmux procps socat python3 mandoc man-db systemd
dpkg-dev file nftables $*"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "termgram: installing:$missing"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "termgram: need root (or sudo) to install:$missing" >&2
		exit 1
	}
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
