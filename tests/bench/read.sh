#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Read-path benchmark: bulk-loads a month of synthetic ticket history (read_load.c, COPY into a
# private, durable PostgreSQL), starts liaisond on it and measures
#   cold start  from exec to the ready file, while liaisond rebuilds its in-memory rollup
#   latency     wrk p50/p99 and req/s of /v1/buckets and /v1/series at 32 connections
#   memory      liaisond's VmRSS once ready and after the load, and its VmHWM
# with GET /healthz of the same daemon, in the same run, as the reference: the cost of HTTP
# alone. See tests/bench/README.md.
#
#   tests/bench/read.sh [--smoke] [--tickets N] [--days D] [--duration S] [--connections N]
#                       [--threads N] [--liaisond PATH] [--keep]
#
#   --smoke          50 000 tickets, 2 s per URL, no target verdicts
#   --tickets N      tickets loaded (default 5000000)
#   --days D         days of history they span, ending when the load starts (default 30)
#   --duration S     seconds of wrk per URL (default 10)
#   --connections N  wrk connections (default 32)
#   --threads N      wrk threads and liaisond http.threads (default 2)
#   --liaisond PATH  the binary (default: $LIAISOND, build/daemon/liaisond,
#                    build/release/daemon/liaisond); the loader links the libliaison.a of
#                    the same build tree when there is one
#   --keep           keep the work directory (logs, config, PostgreSQL); kept anyway when the
#                    run fails
#
# Exit status: 0 when the run completed and every check passed; 1 otherwise. Missed targets
# are reported as FAIL lines but do not change the exit status.
set -euo pipefail

bench_name=read.sh
# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/common.sh"
# Decimal points in $EPOCHREALTIME and awk output, whatever the caller's locale.
export LC_ALL=C

caller_dir=$PWD
cd "$(dirname "$0")/../.."
root=$PWD

usage() {
    sed -n '3,27s/^# \{0,1\}//p' "$0"
}

tickets=5000000
days=30
duration=10
connections=32
threads=2
smoke=0
keep=0
liaisond=${LIAISOND:-}
tickets_set=0
duration_set=0
while [ $# -gt 0 ]; do
    case "$1" in
    --smoke) smoke=1 ;;
    --tickets | --days | --duration | --connections | --threads)
        [ $# -ge 2 ] || die "$1 needs a value"
        case "$2" in
        '' | *[!0-9]* | 0*) die "$1 must be a positive integer" ;;
        esac
        case "$1" in
        --tickets)
            tickets=$2
            tickets_set=1
            ;;
        --days) days=$2 ;;
        --duration)
            duration=$2
            duration_set=1
            ;;
        --connections) connections=$2 ;;
        --threads) threads=$2 ;;
        esac
        shift
        ;;
    --liaisond)
        [ $# -ge 2 ] || die "--liaisond needs a value"
        liaisond=$2
        shift
        ;;
    --keep) keep=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
    shift
done
if [ "$smoke" = 1 ]; then
    [ "$tickets_set" = 1 ] || tickets=50000
    [ "$duration_set" = 1 ] || duration=2
fi
if [ "$connections" -lt "$threads" ]; then
    die "--connections must be at least --threads"
fi
if [ "$days" -gt 366 ]; then
    die "--days must be at most 366"
fi

for tool in wrk cc curl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found; run deploy/install-deps.sh --bench"
done
pgbin=$(deploy/pg-local.sh bindir)
find_liaisond

# ---------------------------------------------------------------------------------------------
# Work directory and cleanup. Everything started here is stopped by its PID on any exit.

work=$(mktemp -d /tmp/liaison-read.XXXXXX)
# The PostgreSQL server runs as an unprivileged user when this script runs as root.
chmod 755 "$work"
pgdir=$work/pg
liaisond_pid=
copy_pid=
index_pids=()
pg_started=0

cleanup() {
    local status=$?
    set +e
    for pid in $copy_pid "${index_pids[@]}"; do
        stop_pid "$pid"
    done
    if [ -n "$liaisond_pid" ]; then
        stop_pid "$liaisond_pid"
    fi
    if [ "$pg_started" = 1 ]; then
        deploy/pg-local.sh stop "$pgdir"
    fi
    if [ "$keep" = 1 ] || [ "$status" -ne 0 ]; then
        echo "read.sh: logs, config and the PostgreSQL cluster are kept in $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# Helpers

# Seconds since $1 (an $EPOCHREALTIME), one decimal.
since() {
    awk -v s="$1" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }'
}

failures=0
check_failed() {
    echo "    CHECK FAILED: $*"
    failures=$((failures + 1))
}

# ---------------------------------------------------------------------------------------------
# Build the loader against the daemon's own libliaison, so bucket keys match it exactly.

echo "== liaison read benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo); wrk, liaisond and PostgreSQL share them"
echo "load:    $tickets tickets over $days days; wrk ${duration} s per URL, $connections connections, $threads threads"

build_with_libliaison tests/bench/read_load.c "$work/read_load"

# ---------------------------------------------------------------------------------------------
# PostgreSQL, schema, bulk load

deploy/pg-local.sh start "$pgdir" >/dev/null
pg_started=1
pg_url=$(deploy/pg-local.sh url "$pgdir")
settings=$(psql_bench -c "SELECT current_setting('server_version') || ', fsync=' ||
    current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit')
    || ', shared_buffers=' || current_setting('shared_buffers')")
echo "postgres: $settings (private cluster in $pgdir)"

token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
cat >"$work/liaison.yaml" <<EOF
# Generated by tests/bench/read.sh.
listen: 127.0.0.1:0
database_url: "$pg_url"
http:
  threads: $threads
rollup:
  horizon: 8d
tokens:
  bench-reader:
    token_env: LIAISON_BENCH_READ_TOKEN
    scopes: [read]
EOF
export LIAISON_BENCH_READ_TOKEN=$token
"$liaisond" migrate --config "$work/liaison.yaml" >"$work/migrate.log" 2>&1 ||
    die "liaisond migrate failed: $(tail -n 5 "$work/migrate.log")"

echo "-- bulk load (tests/bench/read_load.c, COPY without indexes, then indexes rebuilt)"
load_start=$EPOCHREALTIME
# PostgreSQL's advice for populating a database: load without indexes and build them after.
# Their definitions are read from the catalog, so whatever the migrations created comes back.
index_sql="FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid
    AND c.conrelid = i.indrelid WHERE i.indrelid = '%s'::regclass ORDER BY i.indexrelid"
for t in tickets bucket_minutes; do
    # shellcheck disable=SC2059
    psql_bench -c "SELECT CASE WHEN c.conname IS NULL THEN pg_get_indexdef(i.indexrelid) || ';'
        ELSE format('ALTER TABLE %s ADD CONSTRAINT %I %s;', i.indrelid::regclass, c.conname,
        pg_get_constraintdef(c.oid)) END $(printf "$index_sql" "$t")" >"$work/indexes-$t.sql"
    # shellcheck disable=SC2059
    psql_bench -c "SELECT CASE WHEN c.conname IS NULL THEN
        format('DROP INDEX %s;', i.indexrelid::regclass)
        ELSE format('ALTER TABLE %s DROP CONSTRAINT %I;', i.indrelid::regclass, c.conname)
        END $(printf "$index_sql" "$t")" | psql_bench
done

mkfifo "$work/minutes.fifo"
psql_bench -c "COPY bucket_minutes (dimension, value, minute, tickets) FROM STDIN" \
    <"$work/minutes.fifo" >"$work/copy-minutes.log" 2>&1 &
copy_pid=$!
copy_status=0
"$work/read_load" --tickets "$tickets" --days "$days" --minutes "$work/minutes.fifo" \
    2>"$work/read_load.log" |
    psql_bench -c "COPY tickets (source, external_id, event_id, created_at, received_at,
        updated_at, country, region, account_id, tier, platform, app_version, feature_flags,
        subject, link, buckets) FROM STDIN" >"$work/copy-tickets.log" 2>&1 || copy_status=$?
if [ "$copy_status" -ne 0 ]; then
    die "loading tickets failed: $(tail -n 3 "$work/read_load.log" "$work/copy-tickets.log")"
fi
wait "$copy_pid" || die "loading bucket_minutes failed: $(tail -n 3 "$work/copy-minutes.log")"
copy_pid=
load_line=$(grep '^LOAD ' "$work/read_load.log") || die "read_load printed no summary"
copy_s=$(since "$load_start")

index_start=$EPOCHREALTIME
for t in tickets bucket_minutes; do
    psql_bench -c "SET maintenance_work_mem = '256MB'" -f "$work/indexes-$t.sql" \
        >"$work/index-$t.log" 2>&1 &
    index_pids+=($!)
done
for pid in "${index_pids[@]}"; do
    wait "$pid" || die "rebuilding indexes failed: $(tail -n 3 "$work"/index-*.log)"
done
index_pids=()
index_s=$(since "$index_start")
# A long-running database has its tuples' hint bits set and statistics known; so should this one
# before liaisond reads it, or the first reader pays for both.
vacuum_start=$EPOCHREALTIME
psql_bench -c "VACUUM (ANALYZE) tickets" -c "VACUUM (ANALYZE) bucket_minutes" -c "CHECKPOINT"
vacuum_s=$(since "$vacuum_start")
load_s=$(since "$load_start")
echo "    generate + COPY ${copy_s} s, indexes ${index_s} s, VACUUM ANALYZE + CHECKPOINT ${vacuum_s} s: ${load_s} s in all"
sed -n 's/^read_load: /    loader: /p' "$work/read_load.log"

read -r rows keys_sql minute_sum distinct db_size < <(psql_bench -F ' ' -c "SELECT
    (SELECT count(*) FROM tickets), (SELECT sum(cardinality(buckets)) FROM tickets),
    (SELECT sum(tickets) FROM bucket_minutes),
    (SELECT count(*) FROM (SELECT DISTINCT dimension, value FROM bucket_minutes) x),
    pg_size_pretty(pg_database_size(current_database()))")
per_dimension=$(psql_bench -c "SELECT string_agg(dimension || ' ' || n, ', ' ORDER BY dimension)
    FROM (SELECT dimension, count(DISTINCT value) AS n FROM bucket_minutes GROUP BY 1) x")
echo "    stored: $rows tickets, database $db_size; $distinct distinct bucket values ($per_dimension)"
if [ "$rows" != "$tickets" ] || [ "$rows" != "$(field tickets "$load_line")" ]; then
    check_failed "$rows tickets stored, $tickets requested"
fi
if [ "$keys_sql" != "$minute_sum" ] || [ "$keys_sql" != "$(field keys "$load_line")" ]; then
    check_failed "bucket keys of the tickets ($keys_sql) differ from the sum of bucket_minutes ($minute_sum)"
fi
if [ "$distinct" != "$(field values "$load_line")" ]; then
    check_failed "$distinct distinct values in bucket_minutes, the loader wrote $(field values "$load_line")"
fi

# The busiest values right now: what a dashboard would open first.
top_country=$(psql_bench -c "SELECT value FROM bucket_minutes WHERE dimension = 'country'
    AND minute >= now() - interval '24 hours' GROUP BY value ORDER BY sum(tickets) DESC, value
    LIMIT 1")
busy_version=$(psql_bench -c "SELECT value FROM bucket_minutes WHERE dimension = 'app_version'
    AND minute >= now() - interval '6 hours' GROUP BY value ORDER BY sum(tickets) DESC, value
    LIMIT 1")
if [ -z "$top_country" ] || [ -z "$busy_version" ]; then
    die "no tickets in the last 24 hours"
fi
echo "    busiest country (24 h): $top_country; busiest app_version (6 h): $busy_version"

# ---------------------------------------------------------------------------------------------
# liaisond: cold start

echo "-- liaisond: cold start (rollup.horizon 8d), http.threads=$threads, defaults otherwise"
psql_bench -c "CHECKPOINT"
start_ms=$(date +%s%3N)
start_time=$EPOCHREALTIME
"$liaisond" serve --config "$work/liaison.yaml" --ready-file "$work/ready" \
    >"$work/liaisond.log" 2>&1 &
liaisond_pid=$!
wait_ready "$liaisond_pid" "$work/ready" "$work/liaisond.log" 120
cold_s=$(since "$start_time")
ready_ms=$(date +%s%3N)
port=$(cat "$work/ready")
read -r rss_ready hwm_ready < <(memory_mib "$liaisond_pid")
rebuilt=$(sed -n 's/.*rebuilt the rollup from \([0-9]*\) recent tickets.*/\1/p' "$work/liaisond.log" | head -n 1)
# The rebuild's own share: from its first log line (tiers loaded) to its last.
rebuild_s=$(awk -F'[ =]' '/loaded tiers of/ { a = $2 } /rebuilt the rollup from/ { b = $2 }
    function secs(ts) { split(substr(ts, 12, 12), p, ":"); return p[1] * 3600 + p[2] * 60 + p[3] }
    END { if (a != "" && b != "") printf "%.1f", secs(b) - secs(a); else print "n/a" }' \
    "$work/liaisond.log")
horizon_ms=$((8 * 86400000))
read -r expect_max expect_min < <(psql_bench -F ' ' -c "SELECT
    (SELECT count(*) FROM tickets WHERE created_at >= to_timestamp(($start_ms - $horizon_ms) / 1000.0)),
    (SELECT count(*) FROM tickets WHERE created_at >= to_timestamp(($ready_ms - $horizon_ms) / 1000.0))")
echo "    ready after ${cold_s} s (rollup rebuilt from ${rebuilt:-?} tickets in ${rebuild_s} s); VmRSS ${rss_ready} MiB, VmHWM ${hwm_ready} MiB"
if [ -z "$rebuilt" ] || [ "$rebuilt" -lt "$expect_min" ] || [ "$rebuilt" -gt "$expect_max" ]; then
    check_failed "the rollup holds ${rebuilt:-no} tickets; the database has $expect_min-$expect_max in the horizon"
fi

auth="Authorization: Bearer $token"
base="http://127.0.0.1:$port"

# The API must serve what was loaded: the busiest country's hourly series over the last 24
# whole hours equals the stored minute counts.
hour_end=$((ready_ms / 1000 / 3600 * 3600))
hour_start=$((hour_end - 24 * 3600))
api_sum=$(curl -sf -H "$auth" "$base/v1/series?dimension=country&value=$top_country&from=$hour_start&to=$hour_end&step=1h" |
    grep -o '"count":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }') ||
    die "GET /v1/series failed"
db_sum=$(psql_bench -c "SELECT coalesce(sum(tickets), 0) FROM bucket_minutes WHERE dimension = 'country'
    AND value = '$top_country' AND minute >= to_timestamp($hour_start) AND minute < to_timestamp($hour_end)")
if [ "$api_sum" = "$db_sum" ] && [ "$api_sum" -gt 0 ]; then
    echo "    /v1/series agrees with bucket_minutes: $api_sum tickets from $top_country in the last 24 whole hours"
else
    check_failed "/v1/series counts $api_sum tickets from $top_country in 24 h, bucket_minutes $db_sum"
fi

# ---------------------------------------------------------------------------------------------
# liaisond: read latency

version_q=${busy_version// /%20}
labels=(healthz buckets_country_15m buckets_version_1h series_country_24h series_version_6h
    buckets_version_where)
declare -A url=(
    [healthz]="/healthz"
    [buckets_country_15m]="/v1/buckets?dimension=country&window=15m"
    [buckets_version_1h]="/v1/buckets?dimension=app_version&window=1h&limit=50"
    [series_country_24h]="/v1/series?dimension=country&value=$top_country&from=-24h&step=5m"
    [series_version_6h]="/v1/series?dimension=app_version&value=$version_q&from=-6h&step=1m"
    [buckets_version_where]="/v1/buckets?dimension=app_version&window=15m&where=country:$top_country"
)
declare -A rps p50 p99 srv50 srv99 answer

# liaisond logs every request with its own duration_ms: the server's share of the latency.
server_ms() {
    local from_line=$1 path=$2
    tail -n +"$from_line" "$work/liaisond.log" |
        awk -v p="path=\"$path\"" 'index($0, p) { for (i = 1; i <= NF; i++)
            if ($i ~ /^duration_ms=/) print substr($i, 13) }' | sort -n >"$work/server-ms.txt"
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a n/a"; exit }
        a = int(NR * 0.5); if (a < NR * 0.5) a++; b = int(NR * 0.99); if (b < NR * 0.99) b++;
        printf "%.2f %.2f\n", v[a], v[b] }' "$work/server-ms.txt"
}

for label in "${labels[@]}"; do
    u=${url[$label]}
    echo "-- $label: GET $u"
    # One request first: the answer must be a 200 with content, or the latency means nothing.
    code=$(curl -s -o "$work/answer-$label.json" -w '%{http_code}' -H "$auth" "$base$u") || code=000
    bytes=$(wc -c <"$work/answer-$label.json")
    items=$(grep -o '"value":\|"t":\|"status":' "$work/answer-$label.json" | wc -l)
    answer[$label]="$items items, $bytes bytes"
    echo "    answer: HTTP $code, ${answer[$label]}"
    if [ "$code" != 200 ] || [ "$items" -eq 0 ]; then
        check_failed "GET $u answered $code with $items items: $(head -c 200 "$work/answer-$label.json")"
    fi
    log_from=$(($(wc -l <"$work/liaisond.log") + 1))
    out=$work/wrk-$label.txt
    wrk -t "$threads" -c "$connections" -d "${duration}s" --timeout 5s -H "$auth" \
        -s tests/bench/read.lua "$base$u" >"$out" 2>&1 ||
        die "wrk against $label failed: $(tail -n 5 "$out")"
    line=$(grep '^WRK requests=' "$out") || die "wrk against $label printed no summary: $(tail -n 5 "$out")"
    rps[$label]=$(field rps "$line")
    p50[$label]=$(ms "$(field p50_us "$line")")
    p99[$label]=$(ms "$(field p99_us "$line")")
    read -r "srv50[$label]" "srv99[$label]" < <(server_ms "$log_from" "${u%%\?*}")
    echo "    ${rps[$label]} req/s, p50 ${p50[$label]} ms, p99 ${p99[$label]} ms (liaisond's own time: p50 ${srv50[$label]} ms, p99 ${srv99[$label]} ms)"
    bad=$(($(field non2xx "$line") + $(field socket_errors "$line") + $(field timeouts "$line")))
    if [ "$bad" -ne 0 ]; then
        check_failed "$label: $(field non2xx "$line") answers outside 2xx/3xx, $(field socket_errors "$line") socket errors, $(field timeouts "$line") timeouts"
    fi
done

read -r rss_after hwm_after < <(memory_mib "$liaisond_pid")
echo "-- liaisond memory after the load: VmRSS ${rss_after} MiB, VmHWM ${hwm_after} MiB"
status=0
stop_pid "$liaisond_pid" || status=$?
liaisond_pid=
if [ "$status" -ne 0 ]; then
    check_failed "liaisond exited with status $status on SIGTERM (expected 0); see $work/liaisond.log"
fi

# ---------------------------------------------------------------------------------------------
# Report

echo
printf '%-22s %10s %8s %8s %11s %11s %10s  %s\n' query "req/s" "p50 ms" "p99 ms" "server p50" \
    "server p99" "/ healthz" answer
for label in "${labels[@]}"; do
    printf '%-22s %10s %8s %8s %11s %11s %10s  %s\n' "$label" "${rps[$label]}" "${p50[$label]}" \
        "${p99[$label]}" "${srv50[$label]}" "${srv99[$label]}" \
        "$(ratio "${rps[$label]}" "${rps[healthz]}")" "${answer[$label]}"
done
echo
echo "loaded:     $rows tickets over $days days, $distinct distinct bucket values, in ${load_s} s"
for label in "${labels[@]}"; do
    [ "$label" = healthz ] && continue
    target "p99 $(printf '%-22s' "$label") = $(printf '%6s' "${p99[$label]}") ms at $connections connections  (target <= 10 ms)" \
        "${p99[$label]}" le 10
done
target "RSS after the load          = ${rss_after} MiB (VmHWM ${hwm_after} MiB)  (target <= 512 MiB)" \
    "$hwm_after" le 512
target "cold start                  = ${cold_s} s, ${rebuilt} tickets rebuilt  (target <= 15 s)" \
    "$cold_s" le 15
if [ "$smoke" = 0 ] && { [ "$tickets" -lt 5000000 ] || [ "$distinct" -lt 20000 ]; }; then
    echo "(the targets are defined for >= 5000000 tickets over >= 20000 distinct bucket values)"
fi
if [ "$smoke" = 0 ] && [ "$connections" != 32 ]; then
    echo "(the p99 target is defined at 32 connections)"
fi
echo
for label in "${labels[@]}"; do
    echo "BENCH query=$label rps=${rps[$label]} p50_ms=${p50[$label]} p99_ms=${p99[$label]} server_p99_ms=${srv99[$label]} duration_s=$duration connections=$connections smoke=$smoke"
done
echo "BENCH liaisond cold_start_s=$cold_s rebuilt_tickets=$rebuilt rebuild_s=$rebuild_s rss_ready_mib=$rss_ready rss_after_mib=$rss_after hwm_mib=$hwm_after tickets=$rows distinct_values=$distinct load_s=$load_s smoke=$smoke"

if [ "$failures" -ne 0 ]; then
    echo "read.sh: $failures check(s) failed"
    exit 1
fi
