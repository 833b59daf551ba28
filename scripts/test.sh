#!/usr/bin/env bash
# The test command: install what is missing; build the optimised programs the main job runs
# (build/, as scripts/drill.sh does, so a warning only the optimiser sees fails here too);
# run every libFuzzer target for a bounded time (HL_FUZZ_SECONDS each, default 10; clang
# build in build-fuzz/); build everything with AddressSanitizer and UndefinedBehaviorSanitizer
# in build-test/; and run the whole suite with ctest on two cores, last, so its summary closes
# the output. Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
HL_WITH_FUZZ=1 bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHL_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
bash scripts/fuzz.sh "${HL_FUZZ_SECONDS:-10}"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHL_SANITIZE=ON -DHL_TESTS=ON >/dev/null
cmake --build build-test -j"$(nproc)"
cd build-test
ctest -j2 --output-on-failure --timeout 300 "$@"
