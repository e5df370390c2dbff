#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite, as CI runs it: installs the Debian packages and the browser test's
# npm packages (tests/browser), then
#   1. build/release: Release with -Werror, full ctest
#   2. build/asan:    Debug with AddressSanitizer + UndefinedBehaviorSanitizer, full ctest,
#                     every run a leak check
#   3. short smoke runs of the benchmarks (tests/bench/ingest.sh, read.sh, detect.sh,
#      hotspot.sh, soak.sh, --smoke)
#   4. the fuzz smoke (tests/fuzz/smoke.sh), when the tree has one
# It runs every step even after a failure, ends with one summary line and exits non-zero when
# anything failed.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
started=$SECONDS
jobs=$(nproc)

deps=(--bench)
if [ -f tests/fuzz/smoke.sh ]; then
    deps+=(--fuzz)
fi
if ! bash deploy/install-deps.sh "${deps[@]}"; then
    echo "test.sh: installing dependencies failed"
    exit 1
fi
# The dashboard's browser test drives Chromium with playwright-core, pinned in
# tests/browser/package-lock.json.
if ! npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; then
    echo "test.sh: installing the browser test's npm packages failed"
    exit 1
fi

builds=0
passed=0
failed=0
failures=()

fail() {
    failed=$((failed + $2))
    failures+=("$1")
}

# Counts the results of a ctest run from its summary line ("N% tests passed, F tests failed
# out of T"); a run without that line (it could not start) counts as one failure.
count_ctest() {
    local name=$1 log=$2 status=$3 summary nfail total
    summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
    if [ -z "$summary" ]; then
        fail "$name: ctest did not run (exit $status)" 1
        return
    fi
    nfail=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$summary")
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
    passed=$((passed + total - nfail))
    if [ "$nfail" -gt 0 ]; then
        fail "$name: $nfail of $total tests failed" "$nfail"
    elif [ "$status" -ne 0 ]; then
        fail "$name: ctest exited with $status" 1
    fi
}

# build_and_test NAME [cmake options...]: configures build/NAME, builds it, runs the full ctest
# with the environment in test_env.
build_and_test() {
    local name=$1 dir=build/$1 status
    shift
    echo "== test.sh: $name build"
    if ! cmake -S . -B "$dir" "$@" || ! cmake --build "$dir" -j"$jobs"; then
        fail "$name: build failed" 1
        return 1
    fi
    builds=$((builds + 1))
    echo "== test.sh: $name ctest"
    env "${test_env[@]}" ctest --test-dir "$dir" --output-on-failure --no-tests=error -j2 2>&1 |
        tee "$dir/ctest.log"
    status=${PIPESTATUS[0]}
    count_ctest "$name" "$dir/ctest.log" "$status"
    return 0
}

test_env=()
release_ok=0
if build_and_test release -DCMAKE_BUILD_TYPE=Release -DLIAISON_WERROR=ON; then
    release_ok=1
fi

test_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
build_and_test asan -DCMAKE_BUILD_TYPE=Debug -DLIAISON_SANITIZE=ON -DLIAISON_WERROR=ON

for bench in ingest read detect hotspot soak; do
    echo "== test.sh: $bench benchmark smoke"
    if [ "$release_ok" = 1 ]; then
        if tests/bench/$bench.sh --smoke --liaisond build/release/daemon/liaisond; then
            passed=$((passed + 1))
        else
            fail "$bench benchmark smoke failed" 1
        fi
    else
        fail "$bench benchmark smoke skipped: no release build" 1
    fi
done

if [ -f tests/fuzz/smoke.sh ]; then
    echo "== test.sh: fuzz smoke"
    if bash tests/fuzz/smoke.sh; then
        passed=$((passed + 1))
    else
        fail "fuzz smoke failed" 1
    fi
fi

for f in "${failures[@]}"; do
    echo "test.sh: FAILED $f"
done
elapsed=$((SECONDS - started))
echo "test.sh: $builds builds in $((elapsed / 60))m$((elapsed % 60))s"
echo "test.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
