#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Soak benchmark: a steady mixed load on liaisond, backed by a private, durable PostgreSQL, for
# a bounded time (an hour by default): signed Zendesk webhooks (new tickets), Alertmanager
# deliveries (alerts firing, repeating and resolving) and dashboard reads (/v1/escalation,
# /v1/buckets, /v1/series, /v1/hotspots), each from its own paced wrk. Every interval it
# samples liaisond's RSS, open file descriptors, threads and CPU; at the end it reports
# throughput, latency and errors per kind of request, whether RSS (beyond what the stored
# tickets hold in the rollup, computed by soak_rollup.c) and descriptors stayed flat after the
# warm-up, and checks that every acknowledged ticket is in PostgreSQL.
# See tests/bench/README.md.
#
#   tests/bench/soak.sh [--smoke] [--duration S] [--warmup S] [--interval S]
#                       [--webhook-rate R] [--alert-rate R] [--read-rate R] [--threads N]
#                       [--liaisond PATH] [--keep]
#
#   --smoke           2 minutes (30 s warm-up, a sample every 10 s), no target verdicts
#   --duration S      seconds of load (default 3600)
#   --warmup S        seconds before the steady phase (default a quarter, at most 300)
#   --interval S      seconds between samples (default 60)
#   --webhook-rate R  new tickets a second, about (default 200)
#   --alert-rate R    Alertmanager deliveries a second, about (default 10)
#   --read-rate R     requests a second to each of /v1/escalation, /v1/buckets and
#                     /v1/series, a tenth of it (at least one) to /v1/hotspots (default 10)
#   --threads N       liaisond http.threads (default 2)
#   --liaisond PATH   the binary (default: $LIAISOND, build/daemon/liaisond,
#                     build/release/daemon/liaisond)
#   --keep            keep the work directory (logs, config, samples, PostgreSQL); kept
#                     anyway when the run fails
#
# Exit status: 0 when the run completed and every check passed (no answer outside 2xx, no
# socket error or timeout, every acknowledged ticket stored, liaisond exits 0 on SIGTERM); 1
# otherwise. Missed targets (flat RSS and descriptors) are reported as FAIL lines but do not
# change the exit status.
set -euo pipefail

# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/common.sh"

duration=3600
warmup=
interval=60
webhook_rate=200
alert_rate=10
read_rate=10
threads=2
declare -A options=([--duration]=positive [--warmup]=positive [--interval]=positive
    [--webhook-rate]=positive [--alert-rate]=positive [--read-rate]=positive [--threads]=positive)
parse_options "$@"
if [ "$smoke" = 1 ]; then
    [ -n "${given[--duration]:-}" ] || duration=120
    [ -n "${given[--interval]:-}" ] || interval=10
fi
# Dashboards poll the hotspot search less often than the rest: it is the costliest read.
hotspot_rate=$(((read_rate + 9) / 10))
if [ -z "$warmup" ]; then
    warmup=$((duration / 4 < 300 ? duration / 4 : 300))
fi
# The webhooks are signed once, before the run, and a source accepts signatures up to a day old.
if [ "$duration" -gt 82800 ]; then
    die "--duration must be at most 82800 (23 hours)"
fi
if [ "$warmup" -ge "$duration" ] || [ $((duration - warmup)) -lt "$interval" ]; then
    die "the steady phase (--duration minus --warmup) must be at least one --interval"
fi

require_tools wrk cc curl
pgbin=$(deploy/pg-local.sh bindir)
find_liaisond

# ---------------------------------------------------------------------------------------------
# Work directory and cleanup. Everything started here is stopped by its PID on any exit.

start_work soak "logs, config, samples and the PostgreSQL cluster"
gen_pid=
declare -A wrk_pid

stop_started() {
    local pid
    for pid in "${wrk_pid[@]}" $gen_pid; do
        stop_pid "$pid"
    done
}

# ---------------------------------------------------------------------------------------------
# Helpers

# One request to each dashboard URL before the load: each must answer 200, or the figures
# would measure errors.
check_dashboard() {
    local load code
    for load in "${reads[@]}"; do
        code=$(curl -s -o /dev/null -w '%{http_code}' -H "$read_auth" \
            "http://127.0.0.1:$port${url[$load]}") || code=000
        [ "$code" = 200 ] || die "GET ${url[$load]} answered $code"
    done
}

# Sleeps until the $EPOCHREALTIME $1, a second at most at a time, so that Ctrl-C is not
# deferred until a long sleep ends.
sleep_until() {
    local left
    while left=$(awk -v e="$1" -v n="$EPOCHREALTIME" 'BEGIN { d = e - n; if (d <= 0) exit 1
        printf "%.3f", (d > 1 ? 1 : d) }'); do
        sleep "$left"
    done
}

# Open file descriptors of a process.
fd_count() {
    local entries=("/proc/$1/fd"/*)
    echo "${#entries[@]}"
}

# CPU seconds (user + system) a process has used.
cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
        "/proc/$1/stat"
}

# ---------------------------------------------------------------------------------------------
# Set-up: PostgreSQL, schema, liaisond

echo "== liaison soak benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "machine: $(machine_summary); the wrk processes, liaisond and PostgreSQL share them"
echo "load:    ${duration} s (warm-up ${warmup} s), about $webhook_rate webhooks/s, $alert_rate alert deliveries/s, $read_rate reads/s on each of three dashboard URLs, $hotspot_rate/s on /v1/hotspots"

build_gen_requests
build_with_libliaison tests/bench/soak_rollup.c "$work/soak_rollup"

start_pg

secret=bench-only-zendesk-secret
source_name=zendesk-soak
read_token=$(random_token)
ingest_token=$(random_token)
export LIAISON_BENCH_READ_TOKEN=$read_token LIAISON_BENCH_INGEST_TOKEN=$ingest_token
cat >"$work/liaison.yaml" <<EOF
# Generated by tests/bench/soak.sh.
listen: 127.0.0.1:0
database_url: "$pg_url"
http:
  threads: $threads
log:
  level: ${LIAISON_BENCH_LOG_LEVEL:-info}
sources:
  $source_name:
    type: zendesk
    secret: $secret
    # The webhooks are signed once, before the run: accept their timestamp for the whole run.
    replay_window: $((duration + 600))s
tokens:
  soak-dashboard:
    token_env: LIAISON_BENCH_READ_TOKEN
    scopes: [read]
  soak-alertmanager:
    token_env: LIAISON_BENCH_INGEST_TOKEN
    scopes: [ingest]
EOF
migrate_schema

read_auth="Authorization: Bearer $read_token"
loads=(webhooks alerts escalation buckets series hotspots)
reads=(escalation buckets series hotspots)
declare -A url=(
    [webhooks]="/v1/webhooks/$source_name"
    [alerts]="/v1/monitoring/alertmanager"
    [escalation]="/v1/escalation"
    [buckets]="/v1/buckets?dimension=country&window=15m"
    [series]="/v1/series?dimension=country&value=US&from=-1h&step=1m"
    [hotspots]="/v1/hotspots?window=15m&limit=5"
)
# Requests a second and connections per load: enough connections that the pace holds while
# answers take a few tens of milliseconds.
declare -A conns=([webhooks]=16 [alerts]=2 [escalation]=2 [buckets]=2 [series]=2 [hotspots]=1)
declare -A rate=([webhooks]=$webhook_rate [alerts]=$alert_rate [escalation]=$read_rate
    [buckets]=$read_rate [series]=$read_rate [hotspots]=$hotspot_rate)
alerts_per_thread=24

start_liaisond 60
check_dashboard
read -r rss_ready _ < <(memory_mib "$liaisond_pid")
echo "-- liaisond ready on 127.0.0.1:$port (http.threads=$threads, defaults otherwise): VmRSS ${rss_ready} MiB, $(fd_count "$liaisond_pid") fds"

# ---------------------------------------------------------------------------------------------
# The load: one paced wrk per kind of request, all for the same duration. The webhooks are
# streamed through a FIFO by gen_requests, so an hour of distinct tickets needs no disk.

mkfifo "$work/webhooks.1"
"$work/gen_requests" --secret "$secret" --count $((webhook_rate * duration * 11 / 10 + 1000)) \
    --path "${url[webhooks]}" --out "$work/webhooks.1" 2>"$work/gen_requests.log" &
gen_pid=$!
for load in "${loads[@]}"; do
    case "$load" in
    webhooks) args=(webhooks "${rate[$load]}" "$work/webhooks" "$work/ids") ;;
    alerts) args=(alerts "${rate[$load]}" "$alerts_per_thread") ;;
    *) args=(get "${rate[$load]}") ;;
    esac
    headers=()
    case "$load" in
    webhooks) ;;
    alerts) headers=(-H "Authorization: Bearer $ingest_token") ;;
    *) headers=(-H "$read_auth") ;;
    esac
    wrk -t 1 -c "${conns[$load]}" -d "${duration}s" --timeout 5s "${headers[@]}" \
        -s tests/bench/soak.lua "http://127.0.0.1:$port${url[$load]}" -- "${args[@]}" \
        >"$work/wrk-$load.txt" 2>&1 &
    wrk_pid[$load]=$!
done
load_start=$EPOCHREALTIME

# Samples every interval while the load runs: time, VmRSS, VmHWM, fds, threads, the CPU
# liaisond used since the last sample, tickets stored, and the machine's load average.
echo "-- samples every ${interval} s (steady phase from ${warmup} s)"
printf '    %6s %9s %9s %5s %7s %6s %9s %6s\n' "t s" "RSS MiB" "HWM MiB" fds threads "cpu %" tickets load
: >"$work/samples.txt"
cpu_last=$(cpu_seconds "$liaisond_pid")
for ((k = 1; k * interval < duration; k++)); do
    sleep_until "$(awk -v s="$load_start" -v t=$((k * interval)) 'BEGIN { printf "%.3f", s + t }')"
    kill -0 "$liaisond_pid" 2>/dev/null || die "liaisond exited during the load: $(tail -n 5 "$work/liaisond.log")"
    read -r rss hwm < <(memory_mib "$liaisond_pid")
    fds=$(fd_count "$liaisond_pid")
    nthreads=$(awk '/^Threads:/ { print $2 }' "/proc/$liaisond_pid/status")
    cpu=$(cpu_seconds "$liaisond_pid")
    cpu_pct=$(awk -v a="$cpu_last" -v b="$cpu" -v t="$interval" 'BEGIN { printf "%.0f", (b - a) * 100 / t }')
    cpu_last=$cpu
    stored=$(psql_bench -c "SELECT count(*) FROM tickets")
    loadavg=$(cut -d ' ' -f 1 /proc/loadavg)
    echo "$((k * interval)) $rss $hwm $fds $nthreads $cpu_pct $stored" >>"$work/samples.txt"
    printf '    %6s %9s %9s %5s %7s %6s %9s %6s\n' $((k * interval)) "$rss" "$hwm" "$fds" \
        "$nthreads" "$cpu_pct" "$stored" "$loadavg"
done

declare -A line
# wrk stops itself after the duration; the deadline, a minute later, only guards against a hung one.
deadline=$(awk -v s="$load_start" -v d="$duration" 'BEGIN { printf "%d", s + d + 60 }')
for load in "${loads[@]}"; do
    while kill -0 "${wrk_pid[$load]}" 2>/dev/null && [ "$EPOCHSECONDS" -lt "$deadline" ]; do
        sleep 0.1
    done
    status=0
    stop_pid "${wrk_pid[$load]}" || status=$?
    unset "wrk_pid[$load]"
    [ "$status" = 0 ] || die "wrk ($load) failed: $(tail -n 5 "$work/wrk-$load.txt")"
    line[$load]=$(grep '^WRK requests=' "$work/wrk-$load.txt") ||
        die "wrk ($load) printed no summary: $(tail -n 5 "$work/wrk-$load.txt")"
done
stop_pid "$gen_pid" || true
gen_pid=

# ---------------------------------------------------------------------------------------------
# Checks: every answer a 2xx, every acknowledged ticket stored, alerts stored

echo "-- checks"
for load in "${loads[@]}"; do
    l=${line[$load]}
    bad=$(($(field non2xx "$l") + $(field socket_errors "$l") + $(field timeouts "$l")))
    if [ "$bad" -ne 0 ]; then
        check_failed "$load: answers $(field codes "$l"), $(field socket_errors "$l") socket errors, $(field timeouts "$l") timeouts"
        sed -n 's/^WRK first_error=/    first non-2xx answer: /p' "$work/wrk-$load.txt"
    fi
done
if [ "$(field exhausted "${line[webhooks]}")" != 0 ]; then
    check_failed "the webhook stream ran out of tickets before the end"
fi
cat "$work"/ids.* >"$work/acked.txt" 2>/dev/null || : >"$work/acked.txt"
check_acked "$work/acked.txt" "$source_name" "$(field s2xx "${line[webhooks]}")" \
    "$(field without_id "${line[webhooks]}")" || failures=$((failures + 1))
read -r alerts alert_events < <(psql_bench -F ' ' -c "SELECT (SELECT count(*) FROM alerts),
    (SELECT count(*) FROM alert_events)")
echo "    alerts: $alerts stored, $alert_events state changes recorded"
if [ "$alerts" != "$alerts_per_thread" ]; then
    check_failed "$alerts alerts stored, $alerts_per_thread were sent"
fi

# The last sample under load against the first of the steady phase.
read -r t0 rss0 _ fds0 _ _ stored0 < <(awk -v w="$warmup" '$1 >= w { print; exit }' "$work/samples.txt")
read -r t1 rss1 hwm1 fds1 _ _ stored1 < <(tail -n 1 "$work/samples.txt")
fds_max=$(awk -v w="$warmup" '$1 >= w && $4 > m { m = $4 } END { print m }' "$work/samples.txt")
sleep 1
fds_idle=$(fd_count "$liaisond_pid")
tickets=$(psql_bench -c "SELECT count(*) FROM tickets")
stop_liaisond

# liaisond keeps every ticket of rollup.horizon (8 days) in its rollup, so its RSS grows with
# the tickets stored; growth beyond what they hold there is what the soak looks for.
psql_bench -F $'\t' -c "SELECT source, external_id, (extract(epoch FROM created_at) * 1000)::bigint,
    (extract(epoch FROM received_at) * 1000)::bigint, coalesce(account_id, ''),
    array_to_json(buckets) FROM tickets ORDER BY id" |
    "$work/soak_rollup" --at "$stored0,$stored1" >"$work/rollup.txt" 2>"$work/soak_rollup.log" ||
    die "soak_rollup failed: $(tail -n 3 "$work/soak_rollup.log")"
read -r held growth unexplained tolerance < <(awk -v a="$rss0" -v b="$rss1" '
    /^ROLLUP / { split($3, f, "="); bytes[++n] = f[2] }
    END { held = (bytes[2] - bytes[1]) / 1048576; g = b - a; tol = a * 0.10 > 16 ? a * 0.10 : 16
        printf "%.1f %.1f %.1f %.1f\n", held, g, g - held, tol }' "$work/rollup.txt")

# ---------------------------------------------------------------------------------------------
# Report

echo
printf '%-11s %9s %9s %8s %8s %10s  %s\n' load "req/s" "paced/s" "p50 ms" "p99 ms" requests \
    "answers, socket errors, timeouts"
for load in "${loads[@]}"; do
    l=${line[$load]}
    printf '%-11s %9s %9s %8s %8s %10s  %s\n' "$load" "$(field rps "$l")" "${rate[$load]}" \
        "$(ms "$(field p50_us "$l")")" "$(ms "$(field p99_us "$l")")" "$(field requests "$l")" \
        "$(field codes "$l"), $(field socket_errors "$l"), $(field timeouts "$l")"
done
echo
errors=0
for load in "${loads[@]}"; do
    l=${line[$load]}
    errors=$((errors + $(field non2xx "$l") + $(field socket_errors "$l") + $(field timeouts "$l")))
done
echo "errors                = $errors answers outside 2xx, socket errors and timeouts  (target 0)"
echo "RSS in the steady phase = ${rss0} MiB at ${t0} s, ${rss1} MiB at ${t1} s (VmHWM ${hwm1} MiB): ${growth} MiB more, of which the $((stored1 - stored0)) tickets stored meanwhile hold ${held} MiB in the rollup"
target "RSS growth not held by tickets = ${unexplained} MiB  (target <= ${tolerance} MiB: 10 % of the steady start, at least 16)" \
    "$unexplained" le "$tolerance"
target "open fds              = ${fds0} at ${t0} s, ${fds1} at ${t1} s, at most ${fds_max}; ${fds_idle} after the load  (target: at most 4 more at the end)" \
    "$fds1" le $((fds0 + 4))
echo
for load in "${loads[@]}"; do
    l=${line[$load]}
    echo "BENCH load=$load rps=$(field rps "$l") p50_ms=$(ms "$(field p50_us "$l")") p99_ms=$(ms "$(field p99_us "$l")") requests=$(field requests "$l") errors=$(($(field non2xx "$l") + $(field socket_errors "$l") + $(field timeouts "$l"))) duration_s=$duration smoke=$smoke"
done
echo "BENCH liaisond rss_ready_mib=$rss_ready rss_steady_start_mib=$rss0 rss_end_mib=$rss1 hwm_mib=$hwm1 rollup_growth_mib=$held unexplained_growth_mib=$unexplained fds_start=$fds0 fds_end=$fds1 fds_max=$fds_max tickets=$tickets smoke=$smoke"

exit_if_failed
