#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hotspot benchmark: runs tests/bench/hotspot.c, which generates windows of tickets over four
# dimensions (200 countries, 1000 account ranges, 300 app versions, 50 flags) with injected
# causes of known magnitude, and scores lia_hotspot_search against them and against a naive
# method (the single-dimension values with the highest ratio), with the search time per
# window. No daemon, no database: one process on one core. See README "Hotspots: how the
# search works".
#
#   tests/bench/hotspot.sh [--smoke] [--liaisond PATH] [--bin PATH] [--tickets N]
#                          [--windows N] [--noise-windows N] [--periods N] [--seed S]
#                          [--verbose]
#
#   --smoke            20 000 tickets, 10 windows, no target verdicts; a few seconds
#   --liaisond PATH    use the build tree of this daemon binary (its bench_hotspot, rebuilt
#                      there if out of date)
#   --bin PATH         run this bench_hotspot program instead
#   --tickets N        tickets per window (default 100000)
#   --windows N        windows with causes (default 48), --noise-windows N without (12)
#   --periods N        past periods in the reference (default 2)
#   --seed S           generator seed (default 1)
#   --verbose          print each window's causes and what was reported
#
# Without --liaisond or --bin the program is taken from build/ or build/release/ (built there
# with cmake when missing), else compiled from the sources into a temporary directory.
#
# Exit status: 0 when the program ran and printed its figures; 1 otherwise. Missed targets are
# reported as FAIL lines but do not change the exit status.
set -euo pipefail

# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/common.sh"

smoke=0
tree=
bin=
args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --smoke)
        smoke=1
        args+=(--smoke)
        ;;
    --verbose) args+=(--verbose) ;;
    --liaisond | --bin | --tickets | --windows | --noise-windows | --periods | --seed)
        [ $# -ge 2 ] || die "$1 needs a value"
        case "$1" in
        --liaisond) tree=$(dirname "$(absolute "$2")")/.. ;;
        --bin) bin=$(absolute "$2") ;;
        *) args+=("$1" "$2") ;;
        esac
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

work=$(mktemp -d "${TMPDIR:-/tmp}/liaison-hotspot.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A build tree configured by cmake builds (or refreshes) the program itself.
build_in_tree() {
    [ -f "$1/CMakeCache.txt" ] || return 1
    cmake --build "$1" --target bench_hotspot >"$work/build.log" 2>&1 ||
        die "cannot build bench_hotspot in $1: $(tail -n 5 "$work/build.log")"
    bin=$1/tests/bench_hotspot
}

if [ -z "$bin" ]; then
    if [ -n "$tree" ]; then
        build_in_tree "$tree" || die "$tree is not a cmake build tree"
    else
        for candidate in build build/release; do
            if build_in_tree "$root/$candidate"; then
                break
            fi
        done
    fi
fi
if [ -z "$bin" ]; then
    command -v cc >/dev/null || die "no build tree and no C compiler"
    build_with_libliaison tests/bench/hotspot.c "$work/bench_hotspot"
    bin=$work/bench_hotspot
fi
[ -x "$bin" ] || die "$bin is not an executable"

# Bounded: a smoke run takes seconds, a full run well under two minutes on two cores.
limit=600
if [ "$smoke" = 1 ]; then
    limit=60
fi
status=0
timeout "$limit" "$bin" "${args[@]}" | tee "$work/out.txt" || status=$?
if [ "$status" -ne 0 ]; then
    die "bench_hotspot failed (exit $status)"
fi
if ! grep -q '^search time per window: ' "$work/out.txt" ||
    ! grep -q '^BENCH hotspot ' "$work/out.txt"; then
    die "bench_hotspot printed no figures"
fi
