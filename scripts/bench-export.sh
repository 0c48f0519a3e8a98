#!/bin/sh
# Export the sample photo at print size and report time and peak memory.
# Usage: scripts/bench-export.sh [BUILD_DIR] [LONG_EDGE...]
# BUILD_DIR defaults to build; the long edges to 4096 8192.  Needs the
# default model (scripts/fetch-model.sh).  On lavapipe the device memory
# is host memory too, so it is part of the process's peak RSS.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=
edges=

die () { echo "bench-export: $*" >&2; exit 1; }

for arg in "$@"; do
  case $arg in
    -h|--help) sed -n '2,6s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *[!0-9]*) [ -z "$build" ] || die "only one BUILD_DIR"; build=$arg ;;
    *) edges="$edges $arg" ;;
  esac
done
build=${build:-build}
case $build in /*) ;; *) [ -d "$build" ] || build=$root/$build ;; esac
edges=${edges:-4096 8192}

bench=$build/tests/bench-export
[ -x "$bench" ] || die "$bench not found (build the project first)"

status=0
for edge in $edges; do
  echo "== long edge $edge"
  "$bench" --long-edge "$edge" "$root/data/sample.jpg" || status=1
  echo
done
exit $status
