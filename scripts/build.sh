#!/bin/sh
# build.sh: configure (once) and build into ./build.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
cd "$srcdir"
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=debugoptimized
fi
ninja -C build
