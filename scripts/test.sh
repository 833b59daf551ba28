#!/usr/bin/env bash
# The test command: install what is missing; build the optimised programs the main job runs
# (build/, as scripts/drill.sh does, so a warning only the optimiser sees fails here too);
# build everything with AddressSanitizer and UndefinedBehaviorSanitizer in build-test/; and
# run the whole suite with ctest on two cores. Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHL_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHL_SANITIZE=ON -DHL_TESTS=ON >/dev/null
cmake --build build-test -j"$(nproc)"
cd build-test
ctest -j2 --output-on-failure --timeout 300 "$@"
