#!/usr/bin/env bash
# Build the libFuzzer targets (tests/fuzz) in build-fuzz with clang and run each one for a
# bounded time, printing executions and crashes per target.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   run every target (or those named) SECONDS each
#                                           (default 20); exit 1 if any target crashed
#   scripts/fuzz.sh --seeds                 regenerate the packed-message seed corpora
#                                           (tests/fuzz/corpus/fuzz_{envelope,payload})
#   scripts/fuzz.sh --list                  list the targets
#
# Environment: HL_FUZZ_BUILD (build folder, default <repo>/build-fuzz), HL_FUZZ_JOBS (build
# jobs, default 2). Needs clang and libclang-rt-14-dev (HL_WITH_FUZZ=1 scripts/deps.sh).
# New inputs go to build-fuzz/tests/fuzz/work/<target>, crash inputs to
# build-fuzz/tests/fuzz/artifacts/<target>-crash-*, logs to build-fuzz/tests/fuzz/logs/.
# Replay a crash: build-fuzz/bin/<target> build-fuzz/tests/fuzz/artifacts/<file>
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${HL_FUZZ_BUILD:-$root/build-fuzz}
jobs=${HL_FUZZ_JOBS:-2}
seeds=$root/tests/fuzz/corpus

if ! command -v clang >/dev/null; then
  echo "fuzz.sh: clang not found; run HL_WITH_FUZZ=1 scripts/deps.sh as root" >&2
  exit 2
fi
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DHL_FUZZ=ON -DHL_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets_all=$(cd "$seeds" && ls -d fuzz_* | sort)

case "${1:-}" in
  --list) echo "$targets_all"; exit 0 ;;
  --seeds)
    cmake --build "$build" -j "$jobs" --target fuzz_seeds >/dev/null
    "$build/bin/fuzz_seeds" "$seeds"
    exit 0 ;;
esac

secs=${1:-20}
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
  echo "fuzz.sh: SECONDS must be a positive whole number, not '$secs'" >&2
  exit 2
fi
shift || true
targets=${*:-$targets_all}

echo "fuzz.sh: building in $build"
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $targets >/dev/null

fz=$build/tests/fuzz
mkdir -p "$fz/logs" "$fz/artifacts"
printf '%-26s %6s %12s %9s %6s %8s  %s\n' target secs executions exec/s cov crashes result
failed=0
total_execs=0
for t in $targets; do
  mkdir -p "$fz/work/$t"
  log=$fz/logs/$t.log
  before=$(ls "$fz/artifacts" | grep -c "^$t-" || true)
  set +e
  "$build/bin/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$fz/artifacts/$t-" \
    "$fz/work/$t" "$seeds/$t" >"$log" 2>&1
  rc=$?
  set -e
  after=$(ls "$fz/artifacts" | grep -c "^$t-" || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  crashes=$((after - before))
  result=ok
  if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    result="CRASH (exit $rc): $(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$log" || echo "see $log")"
    [ "$crashes" -eq 0 ] && crashes=1
    failed=1
  fi
  total_execs=$((total_execs + ${execs:-0}))
  printf '%-26s %6s %12s %9s %6s %8s  %s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "$crashes" "$result"
done
echo "fuzz.sh: $total_execs executions in total; logs in $fz/logs"
if [ "$failed" -ne 0 ]; then
  echo "fuzz.sh: crash inputs in $fz/artifacts (replay: $build/bin/<target> <file>)" >&2
  exit 1
fi
