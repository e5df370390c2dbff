#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Long libFuzzer campaigns, outside CI (which runs tests/fuzz/smoke.sh). Builds the fuzzers
# with clang into build/fuzz and works on copies of the corpora in build/fuzz/campaign/, so
# tests/fuzz/corpus/ changes only through "merge" and "minimize".
#
#   deploy/fuzz.sh [run] [TARGET...]    fuzz each target (default: all) for FUZZ_SECONDS
#                                       (default 600) with FUZZ_JOBS parallel jobs (default:
#                                       the number of cores); new inputs collect in
#                                       build/fuzz/campaign/TARGET/corpus, crashes next to it
#   deploy/fuzz.sh merge [TARGET...]    add the campaign inputs that reach new coverage to
#                                       tests/fuzz/corpus/TARGET (libFuzzer -merge=1)
#   deploy/fuzz.sh minimize [TARGET...] shrink tests/fuzz/corpus/TARGET to the inputs needed
#                                       for its coverage; hand-named seeds (every file whose
#                                       name is not a 40-digit SHA-1) are always kept
#
# When a campaign reports a crash (crash-*, leak-*, timeout-*, oom-* under
# build/fuzz/campaign/TARGET/artifacts/):
#   1. reproduce it: build/fuzz/tests/fuzz/TARGET_fuzzer FILE, and shrink it with
#      -minimize_crash=1 -runs=100000 -exact_artifact_path=small FILE;
#   2. fix lib/ together with a test that failed before the fix: a unit test, or a fixture
#      case under tests/fixtures/ when the input is a payload;
#   3. copy the input to tests/fuzz/corpus/TARGET/regress-<what-it-broke>, so the ctest
#      fuzz/TARGET replays it in every build from then on.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build/fuzz}
fuzzdir=$root/tests/fuzz
seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-$(nproc)}
# Every target has a seed corpus directory, so the corpus names the targets.
mapfile -t all_targets < <(cd "$fuzzdir/corpus" && ls)

mode=run
case ${1:-} in
run | merge | minimize)
    mode=$1
    shift
    ;;
-h | --help)
    sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
esac
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=("${all_targets[@]}")
fi
for t in "${targets[@]}"; do
    if [ ! -d "$fuzzdir/corpus/$t" ]; then
        echo "fuzz.sh: unknown target $t (known: ${all_targets[*]})" >&2
        exit 2
    fi
done

cmake -S "$root" -B "$build" -DLIAISON_FUZZ=ON -DCMAKE_C_COMPILER=clang \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" --target fuzzers -j "$(nproc)" >/dev/null

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Each mode takes one target and returns 1 when it failed (for run: saved a crashing input).
run() {
    local t=$1 dir=$build/campaign/$1 status=0 found
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp -n "$fuzzdir/corpus/$t"/* "$dir/corpus/" 2>/dev/null || true
    echo "== $t: ${seconds}s x $jobs jobs, corpus $(find "$dir/corpus" -type f | wc -l) files"
    # Each job writes fuzz-N.log into the working directory and runs for max_total_time; the
    # jobs share the corpus directory and pick up each other's finds.
    (cd "$dir" && "$build/tests/fuzz/${t}_fuzzer" -jobs="$jobs" -workers="$jobs" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -dict="$fuzzdir/json.dict" -artifact_prefix="$dir/artifacts/" -print_final_stats=1 \
        corpus >"$dir/campaign.log" 2>&1) || status=$?
    found=$(find "$dir/artifacts" -type f | sort)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir"/fuzz-*.log |
        awk '{ n += $1 } END { print n + 0 }')
    echo "== $t: exit $status, $runs executions, corpus $(find "$dir/corpus" -type f | wc -l)" \
        "files, logs in $dir/{campaign,fuzz-*}.log"
    if [ -n "$found" ] || [ "$status" -ne 0 ]; then
        grep -h -A30 '^==[0-9]*==ERROR\|^invariant violated\|SUMMARY' "$dir"/fuzz-*.log |
            head -n 60 | sed 's/^/   /'
        for f in $found; do
            echo "   saved input: $f"
        done
        return 1
    fi
    return 0
}

merge() {
    local t=$1 dir=$build/campaign/$1
    if [ ! -d "$dir/corpus" ]; then
        echo "== $t: no campaign corpus in $dir; run first"
        return 0
    fi
    if ! "$build/tests/fuzz/${t}_fuzzer" -merge=1 "$fuzzdir/corpus/$t" "$dir/corpus" \
        >"$build/merge-$t.log" 2>&1; then
        echo "== $t: merge failed, see $build/merge-$t.log"
        return 1
    fi
    echo "== $t: $(find "$fuzzdir/corpus/$t" -type f | wc -l) files in tests/fuzz/corpus/$t"
}

minimize() {
    local t=$1 corpus=$fuzzdir/corpus/$t keep f
    keep=$(mktemp -d)
    for f in "$corpus"/*; do
        if [[ ! $(basename "$f") =~ ^[0-9a-f]{40}$ ]]; then
            cp "$f" "$keep/"
        fi
    done
    # The corpus is replaced only after a merge that worked.
    if ! "$build/tests/fuzz/${t}_fuzzer" -merge=1 "$keep" "$corpus" \
        >"$build/minimize-$t.log" 2>&1; then
        echo "== $t: merge failed, see $build/minimize-$t.log; corpus unchanged"
        rm -rf "$keep"
        return 1
    fi
    rm -f "$corpus"/*
    cp "$keep"/* "$corpus/"
    rm -rf "$keep"
    echo "== $t: $(find "$corpus" -type f | wc -l) files in tests/fuzz/corpus/$t"
}

failed=()
for t in "${targets[@]}"; do
    if ! "$mode" "$t"; then
        failed+=("$t")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: $mode failed for ${failed[*]}; for crashes see the steps at the top of" \
        "deploy/fuzz.sh" >&2
    exit 1
fi
