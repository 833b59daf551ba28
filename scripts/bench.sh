#!/usr/bin/env bash
# The benchmark: install what is missing, build hazlink optimised without sanitizers in
# build-bench/, and run hazbench, which prints in one run (a) the raw ZeroMQ DEALER<->ROUTER
# round trip, (b) one durable LMDB commit and (c) the Kuitun benzene drill's
# trigger -> all-acknowledged time, with (c) as multiples of (a) and (b).
# The LMDB temp dir is made under build-bench/ (on disk, not /tmp, which may be tmpfs).
# Extra arguments go to hazbench (e.g. --rt 5000 --commits 500 --scale 2000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DHL_SANITIZE=OFF -DHL_TESTS=ON >/dev/null
cmake --build build-bench -j"$(nproc)" --target hazbench
exec build-bench/bin/hazbench --dir build-bench "$@"
