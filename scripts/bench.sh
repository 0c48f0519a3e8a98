#!/bin/sh
# Compare one DeepDream step of inceptionist-cli with the PyTorch peer.
# Usage: scripts/bench.sh [BUILD_DIR] [--model-dir DIR]
# BUILD_DIR defaults to build.  The PyTorch side finds the model in
# --model-dir, $INCEPTIONIST_NSFWJS_DIR or BUILD_DIR/nsfwjs (where
# scripts/run-tests.sh, or scripts/fetch-model.sh --unpack, puts it).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=
model_dir=
size=512
layers=mixed3,mixed5
steps=5
python=${PYTHON:-/usr/bin/python3}

die () { echo "bench: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case $1 in
    --model-dir) [ $# -ge 2 ] || die "--model-dir needs a directory"
                 model_dir=$2; shift 2 ;;
    --model-dir=*) model_dir=${1#--model-dir=}; shift ;;
    -h|--help) sed -n '2,5s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$build" ] || die "only one BUILD_DIR"; build=$1; shift ;;
  esac
done
build=${build:-build}
case $build in /*) ;; *) [ -d "$build" ] || build=$root/$build ;; esac

if [ -z "$model_dir" ]; then
  # scripts/run-tests.sh unpacks the package there.
  unpacked=$build/nsfwjs/package/dist/models/inception_v3
  for d in "${INCEPTIONIST_NSFWJS_DIR:-}" "$unpacked"; do
    if [ -n "$d" ] && [ -f "$d/model.min.js" ]; then model_dir=$d; break; fi
  done
  [ -n "$model_dir" ] || die "no model found; set INCEPTIONIST_NSFWJS_DIR or pass --model-dir"
fi

cli=$build/app/inceptionist-cli
[ -x "$cli" ] || die "$cli not found (build the project first)"

log=$(mktemp) || die "cannot create a temporary file"
trap 'rm -f "$log"' EXIT INT TERM

# Runs a command, shows its output, and prints its last seconds_per_step value.
run_side () {
  name=$1; shift
  echo "== $name: $*" >&2
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    die "$name failed"
  fi
  cat "$log" >&2
  value=$(sed -n 's/^seconds_per_step=\([0-9.eE+-]*\)[[:space:]]*$/\1/p' "$log" | tail -n 1)
  [ -n "$value" ] || die "$name printed no seconds_per_step= line"
  echo "$value"
}

ours=$(run_side inceptionist \
         "$cli" bench --size "$size" --layers "$layers" --steps "$steps") || exit 1
theirs=$(run_side pytorch "$python" "$root/scripts/reference/torch_bench.py" \
           --size "$size" --layers "$layers" --steps "$steps" \
           --model-dir "$model_dir") || exit 1

ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }')
echo
echo "size $size, layers $layers, $steps steps"
printf '%-13s seconds_per_step=%s\n' inceptionist "$ours"
printf '%-13s seconds_per_step=%s\n' pytorch "$theirs"
printf '%-13s %sx\n' ratio "$ratio"
