#!/usr/bin/env bash
# Builds the libFuzzer targets of Tests/Fuzz (with AddressSanitizer) and runs each for a fixed number of
# executions from the committed seeds, then prints executions, exec/s, time and findings per target.
#
#   scripts/fuzz.sh                      all five targets, 1,000,000 executions each, seed 1
#   scripts/fuzz.sh FuzzGGUF FuzzSAE     only these
#   FUZZ_RUNS=100000 FUZZ_SEED=7 scripts/fuzz.sh
#   FUZZ_RUNS=0 scripts/fuzz.sh          build only;  FUZZ_BUILD=0 scripts/fuzz.sh   run what is built
#
# Targets: FuzzGGUF (GGUF reader + Llama configuration + tokenizer), FuzzSafeTensors, FuzzSAE (SAELens /
# sparsify cfg.json + weights), FuzzConfiguration (YAML configuration), FuzzCorpus (JSONL corpus).
# A thrown error is the expected answer to bad input; a crash, a trap (Swift precondition, overflow, bounds),
# an ASan report, an input slower than FUZZ_TIMEOUT s or one allocating more than FUZZ_MEMORY_MB is a finding,
# saved under .build-fuzz/findings/<target>/ (reproduce: .build-fuzz/release/<target> <file>).
# Not part of `make test` or CI. The main package ignores Tests/Fuzz: its targets exist only while
# FEATURE_ATLAS_FUZZ is set (Package.swift), and they build into their own .build-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${FUZZ_RUNS:-1000000}
SEED=${FUZZ_SEED:-1}
TIMEOUT=${FUZZ_TIMEOUT:-10}
MEMORY_MB=${FUZZ_MEMORY_MB:-2048}
BUILD=.build-fuzz
NICE=${FUZZ_NICE-nice -n 19}   # FUZZ_NICE= (empty) runs at normal priority
ALL=(FuzzGGUF FuzzSafeTensors FuzzSAE FuzzConfiguration FuzzCorpus)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")

seeds() {
  case "$1" in
    FuzzGGUF) echo gguf ;; FuzzSafeTensors) echo safetensors ;; FuzzSAE) echo sae ;;
    FuzzConfiguration) echo configuration ;; FuzzCorpus) echo corpus ;;
    *) echo "unknown fuzz target '$1'; expected one of: ${ALL[*]}" >&2; exit 2 ;;
  esac
}

# -sanitize=fuzzer,address in one flag: with two `--sanitize` options the Swift driver keeps only the last
# one for compiling, and the code would not be coverage-instrumented.
for target in "${TARGETS[@]}"; do
  seeds "$target" >/dev/null
  [ "${FUZZ_BUILD:-1}" != 0 ] || continue
  echo "== building $target"
  FEATURE_ATLAS_FUZZ=1 $NICE swift build -c release --build-path "$BUILD" --product "$target" \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
done

[ "$RUNS" != 0 ] || exit 0
summary=()
status=0
# FuzzCorpus writes each input to a temporary file: in memory it runs 25 times faster than on a busy disk.
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=${TMPDIR:-/dev/shm}
for target in "${TARGETS[@]}"; do
  work="$BUILD/corpus/$target"      # grows with what the fuzzer finds; the committed seeds stay as they are
  findings="$BUILD/findings/$target"
  log="$BUILD/logs/$target.log"
  mkdir -p "$work" "$findings" "$(dirname "$log")"
  rm -f "$findings"/*
  command=("$BUILD/release/$target" -runs="$RUNS" -seed="$SEED" -timeout="$TIMEOUT" -rss_limit_mb="$MEMORY_MB"
    -malloc_limit_mb="$MEMORY_MB" -print_final_stats=1 -artifact_prefix="$findings/" "$work"
    "Tests/Fuzz/corpus/$(seeds "$target")")
  echo "== $target: $NICE ${command[*]}"
  start=$(date +%s)
  rc=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} $NICE "${command[@]}" >"$log" 2>&1 || rc=$?
  seconds=$(( $(date +%s) - start ))
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  # A slow-unit report is libFuzzer noting one input that took longer than -report_slow_units (10 s) while the
  # run went on; on a shared machine that can be a stall of the whole process. Each one is run again alone:
  # it is a finding only if it is still slower than the timeout, else it is listed as a stall.
  stalls=0
  for unit in "$findings"/slow-unit-*; do
    [ -e "$unit" ] || continue
    t0=$(date +%s%N)
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} timeout "$((TIMEOUT * 3))" "$BUILD/release/$target" "$unit" >/dev/null 2>&1 || true
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    if [ "$ms" -lt $((TIMEOUT * 1000)) ]; then
      echo "$unit: reported slow in the run, $ms ms when run again alone: a stall, not a finding"
      mv "$unit" "$BUILD/logs/$target.stall-$(basename "$unit")"
      stalls=$((stalls + 1))
    else
      echo "$unit: still $ms ms when run again alone"
    fi
  done
  found=$(find "$findings" -type f | wc -l)
  [ "$rc" -eq 0 ] && [ "$found" -eq 0 ] || status=1
  tail -3 "$log"
  summary+=("$(printf '%-18s %10s executions %7s exec/s %6ss  %d finding(s), %d stall(s)  rc %d' "$target" "${executions:-?}" \
    "${rate:-?}" "$seconds" "$found" "$stalls" "$rc")")
done

echo
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')  runs=$RUNS seed=$SEED timeout=${TIMEOUT}s memory=${MEMORY_MB} MB"
printf '%s\n' "${summary[@]}"
[ "$status" -eq 0 ] || echo "findings: see $BUILD/findings/ and $BUILD/logs/"
exit "$status"
