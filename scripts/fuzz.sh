#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of fuzz/ with clang (AddressSanitizer and
# UndefinedBehaviorSanitizer) in build-fuzz/, then runs each for FUZZ_SECONDS (600 by default),
# JOBS at a time. Each starts from its seeds in fuzz/corpus/<target> and keeps what it finds
# interesting in build-fuzz/corpus/<target>; a crash, a sanitizer report, a leak of our own, a
# timeout or an out-of-memory is written to build-fuzz/findings/<target>/ and fails the run.
# Findings worth keeping become seeds: copy them into fuzz/corpus/<target>/ (make test replays
# those). Usage: scripts/fuzz.sh [target ...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${FUZZ_BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-600}
JOBS=${FUZZ_JOBS:-2}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(idx gzip csv npy image request checkpoint config)
command -v clang++ >/dev/null || { echo "fuzz: clang++ is needed (apt-get install clang)"; exit 2; }

flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
# Configured every time: a target added to fuzz/ since the last run needs the new rules.
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
      -DLATENTKIT_FUZZ=ON -DLATENTKIT_BUILD_TESTS=OFF -DCMAKE_CXX_FLAGS="$flags" >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target "${TARGETS[@]/#/fuzz_}"

run_one() {
  local t=$1 corpus="$BUILD/corpus/$1" findings="$BUILD/findings/$1" rc=0
  mkdir -p "$corpus" "$findings"
  # LibTorch's start-up allocations are never freed; our leaks would show in the replay's code.
  # -timeout=30: under ASan some 200-byte PNGs make stb_image allocate and free enough for ASan's
  # quarantine to take 2 s on an idle core (`latentkit train` on it ends in 0.85 s, start-up
  # included), over 10 s with two fuzzers and a build sharing 2 cores (fuzz/corpus/image/slow-under-asan.png); a hang still ends the run.
  ASAN_OPTIONS=detect_leaks=0 TMPDIR=/dev/shm "$BUILD/fuzz/fuzz_$t" "$corpus" "fuzz/corpus/$t" \
    -max_total_time="$SECONDS_EACH" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$findings/" >"$BUILD/fuzz-$t.log" 2>&1 || rc=$?
  local execs speed
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$BUILD/fuzz-$t.log" | grep -o '[0-9]*$' || echo "?")
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$BUILD/fuzz-$t.log" | grep -o '[0-9]*$' || echo "?")
  if [ $rc -eq 0 ]; then
    echo "fuzz $t: ${SECONDS_EACH} s, $execs executions, $speed per second, no finding"
  else
    echo "fuzz $t: FINDING (exit $rc) after $execs executions; see $BUILD/fuzz-$t.log and $findings/"
  fi
  return $rc
}

status=0
pids=()
for t in "${TARGETS[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$JOBS" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
