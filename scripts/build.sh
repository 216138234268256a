#!/bin/sh
# Configure and build termgram into build/release (or $BUILD_DIR).
set -eu
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build/release}
type=${BUILD_TYPE:-RelWithDebInfo}
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
ninja -C "$dir" -j "$jobs"
