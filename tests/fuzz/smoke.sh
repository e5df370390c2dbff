#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Short libFuzzer run for CI: builds every fuzz target with clang into build/fuzz
# (-DLIAISON_FUZZ=ON) and runs each one for FUZZ_SECONDS (default 20) on a scratch copy of its
# corpus, so the repository is never modified. Fails when any target crashes, leaks, times out
# or runs out of memory, and names the saved input; the inputs stay in build/fuzz/artifacts/.
# Long campaigns: deploy/fuzz.sh. Usage: tests/fuzz/smoke.sh [target...]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build/fuzz}
seconds=${FUZZ_SECONDS:-20}
# Every target has a seed corpus directory, so the corpus names the targets.
targets=${*:-$(cd "$here/corpus" && ls)}

cmake -S "$root" -B "$build" -DLIAISON_FUZZ=ON -DCMAKE_C_COMPILER=clang \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" --target fuzzers -j "$(nproc)"

# UBSan reports need a stack to be useful; libFuzzer turns ASan's leak check on by itself.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export UBSAN_OPTIONS

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
failed=""
for t in $targets; do
    artifacts="$build/artifacts/$t"
    log="$build/logs/$t.log"
    rm -rf "$artifacts"
    mkdir -p "$artifacts" "$build/logs" "$scratch/$t"
    cp -R "$here/corpus/$t" "$scratch/$t/corpus"
    status=0
    "$build/tests/fuzz/${t}_fuzzer" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -dict="$here/json.dict" -artifact_prefix="$artifacts/" \
        -print_final_stats=1 "$scratch/$t/corpus" >"$log" 2>&1 || status=$?
    # libFuzzer exits non-zero whenever it saves an input, but check both anyway.
    saved=$(find "$artifacts" -type f | sort)
    if [ "$status" -eq 0 ] && [ -z "$saved" ]; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "ok    $t: ${runs:-?} runs in ${seconds}s"
        continue
    fi
    echo "FAIL  $t: exit $status (log: $log)"
    tail -n 50 "$log" | sed 's/^/    /'
    for f in $saved; do
        echo "    saved input: $f"
    done
    failed="$failed $t"
done

if [ -n "$failed" ]; then
    echo "fuzz smoke failed:$failed" >&2
    echo "reproduce with: $build/tests/fuzz/<target>_fuzzer <input>" >&2
    exit 1
fi
echo "fuzz smoke passed"
