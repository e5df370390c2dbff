#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Detection benchmark: generates weeks of seasonal ticket traffic over thousands of buckets with
# incidents of known start, bucket and magnitude (detect_gen.c), runs it through
# `liaisond replay --bucket-events`, and scores the bucket alarms against the ground truth and
# against a static threshold rule evaluated on the same stream (detect_eval.c): detection rate
# and delay per magnitude in quiet and busy buckets, false alarms, the delays the CUSUM theory
# predicts, and the replay's speed. See tests/bench/README.md.
#
#   tests/bench/detect.sh [--smoke] [--tickets N] [--days D] [--per-case N] [--seed S]
#                         [--liaisond PATH] [--keep]
#
#   --smoke          16 days at 4 tickets a minute, one incident per case, no target verdicts
#   --tickets N      tickets in the stream (default: 80 a minute, about 4 million over 35 days)
#   --days D         days of traffic, of which the first 14 are the warm-up (default 35)
#   --per-case N     incidents per magnitude and bucket class (default 12)
#   --seed S         the generator's seed (default 1)
#   --liaisond PATH  the binary; detect_gen and detect_eval are built in its build tree
#                    (default: $LIAISOND, else build/release, configured as Release and built
#                    when needed)
#   --keep           keep the work directory (stream, truth, config, replay output); kept
#                    anyway when the run fails
#
# Exit status: 0 when every step succeeded and the figures were printed; 1 otherwise. Missed
# targets are reported as FAIL lines but do not change the exit status.
set -euo pipefail

# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/common.sh"

tickets=
days=35
per_case=12
seed=1
declare -A options=([--tickets]=whole [--days]=whole [--per-case]=whole [--seed]=whole)
parse_options "$@"

# The detector's settings, written to the replay's config and handed to the evaluator.
rho=3
false_alarms=1
period=7d
min_tickets=5
lateness=2m
warmup_days=14

gen_args=(--seed "$seed" --warmup-days "$warmup_days" --rho "$rho" --false-alarms "$false_alarms"
    --period $((7 * 24 * 60)))
replay_timeout=600
if [ "$smoke" = 1 ]; then
    [ -n "${given[--days]:-}" ] || days=16
    gen_args+=(--per-case 1 --max-hours 12)
    [ -n "$tickets" ] || gen_args+=(--rate 4)
    replay_timeout=120
else
    gen_args+=(--per-case "$per_case")
fi
gen_args+=(--days "$days")
[ -z "$tickets" ] || gen_args+=(--tickets "$tickets")
[ "$days" -gt "$warmup_days" ] || die "--days must be above the $warmup_days-day warm-up"

# ---------------------------------------------------------------------------------------------
# Work directory and cleanup.

start_work detect "stream, truth, config, logs and replay output"

# ---------------------------------------------------------------------------------------------
# Build: the bench programs come from the daemon's own build tree, so they derive bucket keys
# with the same libliaison.

command -v cmake >/dev/null 2>&1 || die "cmake not found; run deploy/install-deps.sh"
if [ -z "$liaisond" ]; then
    build=$root/build/release
    if [ ! -f "$build/CMakeCache.txt" ]; then
        echo "-- configuring $build (Release)"
        cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >"$work/configure.log" 2>&1 ||
            die "cmake configure failed: $(tail -n 5 "$work/configure.log")"
    fi
    targets=(liaisond detect_gen detect_eval)
    liaisond=$build/daemon/liaisond
else
    liaisond=$(absolute "$liaisond")
    [ -x "$liaisond" ] || die "$liaisond is not an executable"
    build=$(cd "$(dirname "$liaisond")/.." && pwd)
    [ -f "$build/CMakeCache.txt" ] || die "$liaisond is not in a CMake build tree of liaison"
    targets=(detect_gen detect_eval)
fi
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >"$work/build.log" 2>&1 ||
    die "building ${targets[*]} in $build failed: $(tail -n 20 "$work/build.log")"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
sanitize=$(sed -n 's/^LIAISON_SANITIZE:[A-Z]*=//p' "$build/CMakeCache.txt")
gen=$build/tests/detect_gen
eval_bin=$build/tests/detect_eval
"$liaisond" replay --help >/dev/null 2>&1 ||
    die "$liaisond has no replay command (liaisond replay --help failed)"

echo "== liaison detection benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "machine:  $(machine_summary)"
echo "liaisond: $liaisond (${build_type:-default} build${sanitize:+, LIAISON_SANITIZE=$sanitize})"
if [ "$build_type" != Release ] || [ "$sanitize" = ON ]; then
    echo "          (not a plain Release build: the speed figures are not comparable)"
fi

cat >"$work/liaison.yaml" <<EOF
# Written by tests/bench/detect.sh for liaisond replay.
detection:
  rho: $rho
  false_alarms: $false_alarms
  false_alarm_period: $period
  min_tickets: $min_tickets
  lateness: $lateness
EOF

echo "-- generating: detect_gen ${gen_args[*]}"
start=$EPOCHREALTIME
"$gen" --truth "$work/truth.json" "${gen_args[@]}" >"$work/stream.ndjson" 2>"$work/gen.log" ||
    die "detect_gen failed: $(tail -n 5 "$work/gen.log")"
sed -n 's/^detect_gen: /    /p' "$work/gen.log"
echo "    $(since "$start") s, $(du -m "$work/stream.ndjson" | cut -f1) MB"

echo "-- replaying: liaisond replay --config liaison.yaml --bucket-events stream.ndjson"
start=$EPOCHREALTIME
status=0
timeout "$replay_timeout" "$liaisond" replay --config "$work/liaison.yaml" --bucket-events \
    "$work/stream.ndjson" >"$work/replay.ndjson" 2>"$work/replay.err" || status=$?
if [ "$status" -eq 124 ]; then
    die "liaisond replay did not finish within $replay_timeout s"
elif [ "$status" -ne 0 ]; then
    die "liaisond replay exited with $status: $(tail -n 5 "$work/replay.err")"
fi
echo "    $(since "$start") s, $(wc -l <"$work/replay.ndjson") events"

echo "-- evaluating: detect_eval"
start=$EPOCHREALTIME
eval_args=(--truth "$work/truth.json" --stream "$work/stream.ndjson"
    --alarms "$work/replay.ndjson" --stats "$work/replay.err" --rho "$rho"
    --false-alarms "$false_alarms" --period "$period" --min-tickets "$min_tickets"
    --lateness "$lateness")
[ "$smoke" = 0 ] || eval_args+=(--smoke)
"$eval_bin" "${eval_args[@]}" >"$work/report.txt" 2>"$work/eval.log" ||
    die "detect_eval failed: $(tail -n 5 "$work/eval.log")"
echo "    $(since "$start") s"
echo
cat "$work/report.txt"
grep -q '^BENCH replay ' "$work/report.txt" || die "detect_eval printed no figures"
