#!/bin/sh
# install-deps.sh: the Debian 12 packages Inceptionist builds, runs and tests
# with. Needs root (or sudo). The one list every other script relies on.
set -eu

packages="
  build-essential meson ninja-build pkg-config
  glslang-tools libvulkan-dev mesa-vulkan-drivers vulkan-tools
  libglib2.0-dev libglib2.0-bin libjson-glib-dev libgdk-pixbuf-2.0-dev
  libgtk-4-dev libepoxy-dev
  libpng-dev libjpeg-dev libstb-dev
  libsoup-3.0-dev libhdf5-dev libarchive-dev
  desktop-file-utils appstream
  xvfb xauth fonts-cantarell adwaita-icon-theme
  ca-certificates
"
# npm fetches the default model. A machine may already have Node.js from
# elsewhere (whose npm conflicts with Debian's): use it when present.
if ! command -v npm > /dev/null 2>&1; then
  packages="$packages nodejs npm"
fi

if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $packages
