#!/usr/bin/env bash
# Install what hazlink needs to build and test on Debian 12, as root. Installs only what is
# missing, so a second run is quick. Used by scripts/drill.sh and scripts/test.sh.
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      libzmq3-dev libprotobuf-c-dev protobuf-c-compiler liblmdb-dev libuv1-dev
      libyaml-dev libjansson-dev libcsv-dev libcmocka-dev)
if [ "${HL_WITH_FUZZ:-0}" = 1 ]; then
  pkgs+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages: ${missing[*]}; run as root (or install them) and retry" >&2
    exit 1
  fi
  echo "deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
