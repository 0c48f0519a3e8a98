#!/bin/sh
# studio.sh: build, fetch the default model if it is missing, and open the
# studio (on the sample photo unless other files are given).
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
cd "$srcdir"

sh scripts/build.sh
sh scripts/fetch-model.sh build/app/inceptionist-cli
GSETTINGS_SCHEMA_DIR=$srcdir/build/app
export GSETTINGS_SCHEMA_DIR
if [ $# -eq 0 ]; then
  set -- "$srcdir/data/sample.jpg"
fi
exec build/app/inceptionist "$@"
