#!/usr/bin/env bash
# The main job: install what is missing, build hazlink (optimised, no sanitizers) in build/,
# and run the Kuitun benzene drill on the built-in data. The report lands in drill-out/.
# Extra arguments go to hazdrill (e.g. --scale 240).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHL_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
exec build/bin/hazdrill run playbooks/drills/kuitun-benzene.yaml --out drill-out "$@"
