#!/bin/sh
# run-tests.sh: build, make sure the default model is there, and run every
# test suite (unit, compute on the Vulkan device, ui under Xvfb).
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
cd "$srcdir"

sh scripts/build.sh
# The model tests read the unpacked npm package as well.
sh scripts/fetch-model.sh build/app/inceptionist-cli --unpack build/nsfwjs
INCEPTIONIST_NSFWJS_DIR=$srcdir/build/nsfwjs/package/dist/models/inception_v3
export INCEPTIONIST_NSFWJS_DIR

# Here a Vulkan device (lavapipe at least) and the model are required: a
# compute test that cannot find them fails instead of skipping.
INCEPTIONIST_REQUIRE_DEVICE=1
INCEPTIONIST_REQUIRE_MODEL=1
export INCEPTIONIST_REQUIRE_DEVICE INCEPTIONIST_REQUIRE_MODEL

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1600x1000x24" meson test -C build --print-errorlogs "$@"
fi
exec meson test -C build --print-errorlogs "$@"
