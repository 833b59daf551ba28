#!/usr/bin/env bash
# The long fault test of issue 3: build hazfault and the programs it runs (with the
# sanitizers, like the test command, in build-fault/), then load the whole stack for SECONDS
# (default 600) with readings and incident reports while services and partner agents are
# killed with SIGKILL (one kill every 6 s), and check from the stores that nothing was lost
# and nothing applied twice.
#
#   scripts/fault.sh [SECONDS] [SEED] [more hazfault options, e.g. --rate 25 --keep]
#
# SEED defaults to one from the clock; it is printed first, so a failure can be repeated.
# The figures are printed at the end and written to build-fault/fault-out/fault.json; the data
# and the logs of every process stay in build-fault/fault-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
seed=${2:-}
shift $(( $# > 2 ? 2 : $# ))
bash scripts/deps.sh
cmake -S . -B build-fault -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHL_SANITIZE=ON -DHL_TESTS=ON >/dev/null
cmake --build build-fault -j"$(nproc)" --target hazfault
out="$PWD/build-fault/fault-out"
rm -rf "$out"
mkdir -p "$out"
args=(--seconds "$seconds" --rate 20 --kills $(( seconds / 6 )) --settle 300 --dir "$out"
      --json "$out/fault.json")
if [ -n "$seed" ]; then
  args+=(--seed "$seed")
fi
exec build-fault/bin/hazfault "${args[@]}" "$@"
