#!/usr/bin/env bash
# The test command: install what is missing, build everything with AddressSanitizer and
# UndefinedBehaviorSanitizer in build-test/, and run the whole suite with ctest on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHL_SANITIZE=ON -DHL_TESTS=ON >/dev/null
cmake --build build-test -j"$(nproc)"
cd build-test
ctest -j2 --output-on-failure --timeout 300 "$@"
