#!/bin/sh
# Compare one DeepDream step of inceptionist-cli with the PyTorch peer.
# Usage: scripts/bench.sh [BUILD_DIR] [--model-dir DIR] [--rounds N]
#                         [--size N] [--preset tf-tutorial [--octave-steps N]]
#                         [--profile] [--peer-device cpu|cuda]
# BUILD_DIR defaults to build. The PyTorch side finds the model in
# --model-dir, $INCEPTIONIST_NSFWJS_DIR or BUILD_DIR/nsfwjs (where
# scripts/run-tests.sh, or scripts/fetch-model.sh --unpack, puts it).
# The step is timed in N rounds (default 3), each running ours then the
# peer; the ratio is of the two medians, so that on a noisy machine both
# sides are measured across the same windows. --size N steps an N x N
# image instead of 512 x 512 (the step and --profile; at least 75, the
# smallest InceptionV3 reads): the preset's octaves and tiles are smaller
# than 512, and the ratio changes with the size.
# --preset tf-tutorial instead times the whole tf-tutorial recipe on
# data/sample.jpg (5 octaves x 100 steps; four runs a round, many
# minutes; one round unless --rounds says): ours and the PyTorch peer's,
# each with the recipe's 512-px tiles (32-px halo, random roll per step)
# and untiled (--tile 0, no roll); then the ratios of the octaves'
# seconds (the same span on both sides) and of the whole runs' wall
# times (our start-up and the peer's, loading the model included), and
# each octave's seconds on both sides. --octave-steps N runs N steps an
# octave instead of the recipe's 100: a shorter check.
# --profile instead prints the step's time per kind of layer on both sides
# (ours from Vulkan timestamps, the peer's from torch.profiler), side by
# side: where the gap is; then this CPU's peak GFLOPS for 256-bit
# multiplies and adds (what lavapipe's JIT emits) and for fused
# multiply-adds (what oneDNN uses), from BUILD_DIR/scripts/cpu-peak.
# --peer-device cuda runs the PyTorch peer on the GPU (torch with CUDA):
# the peer to compare with where ours runs on a GPU. The default is the
# CPU, with 2 threads.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=
model_dir=
preset=
octave_steps=
profile=
size=512
layers=mixed3,mixed5
steps=5
rounds=3
rounds_given=
size_given=
peer_device=cpu
python=${PYTHON:-/usr/bin/python3}

die () { echo "bench: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case $1 in
    --model-dir) [ $# -ge 2 ] || die "--model-dir needs a directory"
                 model_dir=$2; shift 2 ;;
    --model-dir=*) model_dir=${1#--model-dir=}; shift ;;
    --preset) [ $# -ge 2 ] || die "--preset needs a name"
              preset=$2; shift 2 ;;
    --preset=*) preset=${1#--preset=}; shift ;;
    --octave-steps) [ $# -ge 2 ] || die "--octave-steps needs a count"
                    octave_steps=$2; shift 2 ;;
    --octave-steps=*) octave_steps=${1#--octave-steps=}; shift ;;
    --rounds) [ $# -ge 2 ] || die "--rounds needs a count"
              rounds=$2 rounds_given=1; shift 2 ;;
    --rounds=*) rounds=${1#--rounds=} rounds_given=1; shift ;;
    --size) [ $# -ge 2 ] || die "--size needs a side in pixels"
            size=$2 size_given=1; shift 2 ;;
    --size=*) size=${1#--size=} size_given=1; shift ;;
    --profile) profile=1; shift ;;
    --peer-device) [ $# -ge 2 ] || die "--peer-device needs cpu or cuda"
                   peer_device=$2; shift 2 ;;
    --peer-device=*) peer_device=${1#--peer-device=}; shift ;;
    # The comment at the top, up to its first line of code.
    -h|--help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$build" ] || die "only one BUILD_DIR"; build=$1; shift ;;
  esac
done
build=${build:-build}
case $rounds in
  ''|*[!0-9]*|0) die "--rounds needs a positive count, not '$rounds'" ;;
esac
case $octave_steps in
  '') ;;
  *[!0-9]*|0) die "--octave-steps needs a positive count, not '$octave_steps'" ;;
esac
[ -z "$octave_steps" ] || [ -n "$preset" ] || die "--octave-steps goes with --preset"
case $size in
  ''|*[!0-9]*) die "--size needs a side in pixels, not '$size'" ;;
esac
[ "$size" -ge 75 ] || die "--size must be at least 75 (InceptionV3's smallest input), not $size"
[ -z "$size_given" ] || [ -z "$preset" ] || die "--size does not go with --preset (the recipe runs on the sample photo)"
case $peer_device in
  cpu|cuda) ;;
  *) die "--peer-device must be cpu or cuda, not '$peer_device'" ;;
esac
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
# The peer's modules, checked before minutes of our side's runs: the
# preset reads the sample photo through PIL.
peer_modules=torch
[ -z "$preset" ] || peer_modules="torch, PIL"
"$python" -c "import $peer_modules" 2>/dev/null ||
  die "the PyTorch peer needs $python with $peer_modules (Debian: apt-get install python3-torch python3-pil)"
[ "$peer_device" = cpu ] || "$python" -c "import torch; assert torch.cuda.is_available()" 2>/dev/null ||
  die "--peer-device cuda: $python's torch sees no CUDA device"

log=$(mktemp) || die "cannot create a temporary file"
trap 'rm -f "$log"' EXIT INT TERM

# Runs a command (NAME in messages) with its output in FILE; if it fails,
# shows that output and stops.
run_logged () {
  run_name=$1 run_file=$2; shift 2
  "$@" >"$run_file" 2>&1 || { cat "$run_file" >&2; die "$run_name failed"; }
}

# show_side NAME LINES COMMAND...: runs the command (NAME in messages)
# with its output in $log, and shows the output's last LINES lines (+1:
# all of it).
show_side () {
  name=$1 lines=$2; shift 2
  echo "== $name: $*" >&2
  run_logged "$name" "$log" "$@"
  tail -n "$lines" "$log" >&2
}

# run_side NAME COMMAND...: runs a step benchmark, shows all its output,
# and prints its last seconds_per_step=<number> value.
run_side () {
  name=$1; shift
  show_side "$name" +1 "$@"
  found=$(sed -n "s/^seconds_per_step=\([0-9.eE+-]*\)[[:space:]]*\$/\1/p" "$log" | tail -n 1)
  [ -n "$found" ] || die "$name printed no seconds_per_step= line"
  echo "$found"
}

case $preset in
  '') ;;
  tf-tutorial) ;;
  *) die "unknown preset $preset (only tf-tutorial has a PyTorch peer)" ;;
esac

# octave_lines SIDE LOG: one line 'WxH SECONDS' an octave, from a run's
# log: ours (side 1) prints 'octave K/N done: WxH, S steps, T s', the
# peer (side 2) 'octave +-K: WxH, T tiles, S steps, T s, loss L'. Both
# span an octave from its resize to its last step, so the two sides'
# seconds cover the same work, without either side's start-up.
octave_lines () {
  awk -v side="$1" 'side == 1 && / done: / { s = $4; t = $(NF - 1) }
                    side == 2 && /^octave [-+0-9]*: / { s = $3; t = $(NF - 3) }
                    t != "" { sub(/,$/, "", s); print s, t; t = "" }' "$2"
}

# The median of the numbers in $1, separated by spaces.
median () {
  for v in $1; do echo "$v"; done | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

if [ -n "$preset" ]; then
  image=$root/data/sample.jpg
  out=$(mktemp -d) || die "cannot create a temporary directory"
  trap 'rm -f "$log"; rm -rf "$out"' EXIT INT TERM
  [ -n "$rounds_given" ] || rounds=1
  ours_steps='' peer_steps=''
  if [ -n "$octave_steps" ]; then
    ours_steps="--steps $octave_steps" peer_steps="--steps-per-octave $octave_steps"
  fi
  # TILE 512 (the recipe's tile, core/recipe.c) or 0 (untiled).
  ours_run () {
    # shellcheck disable=SC2086 # the step options split into words
    show_side "inceptionist (tile $1, round $r)" 8 \
      "$cli" dream "$image" -o "$out/tile$1.png" --preset "$preset" --tile "$1" $ours_steps
  }
  peer_run () {
    # shellcheck disable=SC2086
    show_side "pytorch (tile $1, round $r)" 8 "$python" \
      "$root/scripts/reference/torch_bench.py" --preset "$preset" --image "$image" \
      --model-dir "$model_dir" --tile "$1" --device "$peer_device" $peer_steps
  }
  # The name of run K of a round.
  run_name () {
    case $1 in
      1) echo "inceptionist (tiles)" ;; 2) echo "pytorch (tiles)" ;;
      3) echo "inceptionist (untiled)" ;; 4) echo "pytorch (untiled)" ;;
    esac
  }
  # timed_run K TILE: run K of the round (odd: ours, even: the peer's).
  # Each run gives two figures, appended to $out/K.wall and $out/K.oct:
  # its whole wall time, timed from outside on both sides (start-up,
  # loading the model and writing the output too), and the sum of its
  # octaves' seconds (the same span on both sides), whose lines are kept
  # as $out/R-K.octaves for the per-octave table.
  timed_run () {
    start=$(date +%s.%N)
    if [ $(($1 % 2)) -eq 1 ]; then ours_run "$2"; else peer_run "$2"; fi
    awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf " %.1f", b - a }' >>"$out/$1.wall"
    octave_lines $((2 - $1 % 2)) "$log" >"$out/$r-$1.octaves"
    [ -s "$out/$r-$1.octaves" ] || die "$(run_name "$1") printed no octave lines"
    awk '{ s += $2 } END { printf " %.1f", s }' "$out/$r-$1.octaves" >>"$out/$1.oct"
  }
  # A round runs ours and the peer tiled, then both untiled, so that each
  # ratio compares runs minutes apart.
  r=1
  while [ "$r" -le "$rounds" ]; do
    timed_run 1 512
    timed_run 2 512
    timed_run 3 0
    timed_run 4 0
    r=$((r + 1))
  done
  echo
  echo "preset $preset on data/sample.jpg${octave_steps:+, $octave_steps steps an octave}," \
       "$rounds round(s) (medians)"
  # report TITLE EXT: the rounds' figures in $out/1.EXT .. 4.EXT, their
  # medians and the two ratios.
  report () {
    echo "$1"
    medians=
    for k in 1 2 3 4; do
      all=$(cat "$out/$k.$2")
      m=$(median "$all")
      medians="$medians $m"
      printf '  %-22s seconds_total=%s   (rounds:%s)\n' "$(run_name $k)" "$m" "$all"
    done
    echo "$medians" | awk '{ printf "  %-22s %.2fx\n  %-22s %.2fx\n",
                                    "ratio (tiles)", $1 / $2, "ratio (untiled)", $3 / $4 }'
  }
  report "the octaves (each side's own clock, from each octave's resize to its last step):" oct
  report "whole runs (wall clock from outside: start-up, model loading and output too):" wall
  # Seconds per octave: files R-1 .. R-4 of round R hold ours tiled, the
  # peer's, ours untiled and the peer's (octave_lines); the table shows
  # each octave's median over the rounds.
  echo
  echo "seconds per octave (medians of $rounds round(s))"
  files=
  r=1
  while [ "$r" -le "$rounds" ]; do
    files="$files $out/$r-1.octaves $out/$r-2.octaves $out/$r-3.octaves $out/$r-4.octaves"
    r=$((r + 1))
  done
  # shellcheck disable=SC2086 # the file names have no spaces (mktemp -d)
  awk 'function med(side, k,    i, j, n, v, x) {
         n = 0
         for (i = 1; i <= rounds; i++)
           if ((side, k, i) in t) {
             x = t[side, k, i]
             for (j = n; j > 0 && v[j] > x; j--) v[j + 1] = v[j]
             v[j + 1] = x; n++
           }
         if (n == 0) return 0
         return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
       }
       FNR == 1 { f++; side = (f - 1) % 4 + 1; round = int((f - 1) / 4) + 1 }
       { t[side, FNR, round] = $2; size[FNR] = $1; if (FNR > n) n = FNR }
       END {
         printf "%-10s %12s %12s %7s %12s %12s %7s\n", "size", "ours tiles", "peer tiles",
                "ratio", "ours whole", "peer whole", "ratio"
         for (k = 1; k <= n; k++) {
           a = med(1, k); b = med(2, k); c = med(3, k); d = med(4, k)
           # (Parenthesised: a bare > in print arguments is a redirection.)
           printf "%-10s %12.1f %12.1f %6.2fx %12.1f %12.1f %6.2fx\n", size[k], a, b,
                  (b > 0 ? a / b : 0), c, d, (d > 0 ? c / d : 0)
         }
       }' rounds="$rounds" $files
  exit 0
fi

if [ -n "$profile" ]; then
  ours_log=$(mktemp) || die "cannot create a temporary file"
  trap 'rm -f "$log" "$ours_log"' EXIT INT TERM
  echo "== inceptionist: bench --profile" >&2
  run_logged inceptionist "$ours_log" \
    "$cli" bench --profile --size "$size" --layers "$layers" --steps "$steps"
  echo "== pytorch: torch_bench.py --profile" >&2
  run_logged pytorch "$log" "$python" "$root/scripts/reference/torch_bench.py" --profile \
    --size "$size" --layers "$layers" --steps "$steps" --model-dir "$model_dir" \
    --device "$peer_device"
  echo "size $size, layers $layers, $steps steps: ms a step per kind, and our GFLOPS"
  echo "(GFLOPS of the direct convolution's work: above the CPU's peak where Winograd saves work)"
  # Ours: '  NAME  ms share% GFLOP GFLOPS dispatches' in the per-kind table; the peer:
  # '  NAME  ms share%'. Names have spaces: the numbers are the last fields.
  awk 'FNR == 1 { side++ }
       /^# profile per layer/ { done[side] = 1 }
       /^  / && !done[side] {
         n = side == 1 ? NF - 5 : NF - 2
         name = $1; for (i = 2; i <= n; i++) name = name " " $i
         if (!(name in seen)) { seen[name] = 1; order[++count] = name }
         ms[side, name] = $(n + 1)
         if (side == 1 && $(n + 4) > 0) gflops[name] = $(n + 4)
       }
       END {
         printf "%-32s %10s %10s %7s %12s\n", "kind", "ours", "pytorch", "ratio", "ours GFLOPS"
         for (k = 1; k <= count; k++) {
           name = order[k]; a = ms[1, name]; b = ms[2, name]
           ta += a; tb += b
           printf "%-32s %10s %10s %7s %12s\n", name, a == "" ? "-" : a, b == "" ? "-" : b,
                  (a != "" && b > 0) ? sprintf("%.2fx", a / b) : "", gflops[name]
         }
         printf "%-32s %10.2f %10.2f %7.2fx\n", "sum of the rows", ta, tb, ta / tb
       }' "$ours_log" "$log"
  grep -E '^(seconds_per_step|# profile per kind)' "$ours_log" "$log" |
    sed "s|^$ours_log:|inceptionist: |; s|^$log:|pytorch: |"
  # What this CPU can do, to read the GFLOPS column against: lavapipe's
  # JIT emits multiplies and adds, oneDNN fused multiply-adds.
  if [ -x "$build/scripts/cpu-peak" ]; then
    "$build/scripts/cpu-peak" || echo "cpu peak: not measured"
  else
    echo "cpu peak: not measured (no $build/scripts/cpu-peak: it is built on x86-64 only)"
  fi
  exit 0
fi

all_ours=
all_theirs=
per_round=
r=1
while [ "$r" -le "$rounds" ]; do
  ours=$(run_side "inceptionist (round $r)" \
           "$cli" bench --size "$size" --layers "$layers" --steps "$steps") || exit 1
  theirs=$(run_side "pytorch (round $r)" \
             "$python" "$root/scripts/reference/torch_bench.py" --size "$size" \
             --layers "$layers" --steps "$steps" --model-dir "$model_dir" \
             --device "$peer_device") || exit 1
  all_ours="$all_ours $ours"
  all_theirs="$all_theirs $theirs"
  per_round="$per_round $(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2fx", a / b }')"
  r=$((r + 1))
done
ours=$(median "$all_ours")
theirs=$(median "$all_theirs")

ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }')
echo
echo "size $size, layers $layers, $steps steps, $rounds rounds (medians)"
printf '%-13s seconds_per_step=%s   (rounds:%s)\n' inceptionist "$ours" "$all_ours"
printf '%-13s seconds_per_step=%s   (rounds:%s)\n' pytorch "$theirs" "$all_theirs"
printf '%-13s %sx   (rounds:%s)\n' ratio "$ratio" "$per_round"
