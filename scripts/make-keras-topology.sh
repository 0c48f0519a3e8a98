#!/bin/sh
# make-keras-topology.sh: regenerates data/inception_v3-topology.json, the
# Keras InceptionV3 topology the HDF5 weights importer builds the graph from.
#
# Usage: scripts/make-keras-topology.sh PATH/TO/package/dist/models/inception_v3
#
# The file is the model object of the npm package nsfwjs@4.4.0 (MIT licence,
# Copyright (c) 2019 Infinite Red, Inc.), taken out of its model.min.js
# wrapper with node: its modelTopology (Keras 2.2.4, the same InceptionV3
# layer names the Keras weights files use) and its weightsManifest (which the
# tests use to read the package's own weights).
set -eu

dir=${1:?usage: $0 PATH/TO/dist/models/inception_v3}
out=$(cd "$(dirname "$0")/.." && pwd)/data/inception_v3-topology.json
command -v node > /dev/null || { echo "node is needed" >&2; exit 1; }

node -e '
const m = require(process.argv[1]);
const o = {
  "x-source": "nsfwjs@4.4.0 dist/models/inception_v3/model.min.js (MIT)",
  modelTopology: m.modelTopology,
  weightsManifest: m.weightsManifest,
};
process.stdout.write(JSON.stringify(o) + "\n");
' "$(cd "$dir" && pwd)/model.min.js" > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
