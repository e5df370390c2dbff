#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Ingest benchmark: wrk posts signed Zendesk trigger webhooks (distinct tickets, ~1.2 KB) to
# liaisond backed by a private, durable PostgreSQL (fsync and synchronous_commit on), and
# measures two references in the same run on the same machine:
#   nginx    answers the same requests after reading each body (echo module), storing nothing
#   pgbench  one durable single-row INSERT of a ticket row per transaction, 32 clients,
#            against the same PostgreSQL
# It then checks that every ticket liaisond acknowledged with a 2xx is in the database.
# See tests/bench/README.md.
#
#   tests/bench/ingest.sh [--smoke] [--duration S] [--rounds N] [--connections N] [--threads N]
#                         [--pg-clients N] [--pool-rate R] [--only LIST] [--liaisond PATH]
#                         [--keep]
#
#   --smoke          2 s, 16 connections, one round, a small request pool, no target verdicts
#   --duration S     seconds per measured system (default 10)
#   --rounds N       measure the systems one after the other N times and judge the medians
#                    (default 3)
#   --connections N  wrk connections (default 64)
#   --threads N      wrk threads (default 2); also liaisond http.threads and nginx workers
#   --pg-clients N   pgbench clients (default 32)
#   --pool-rate R    pre-generate duration*R distinct requests (default 80000)
#   --only LIST      comma-separated subset of liaisond,nginx,pgbench
#   --liaisond PATH  the binary (default: $LIAISOND, build/daemon/liaisond,
#                    build/release/daemon/liaisond)
#   --keep           keep the work directory (logs, configs, PostgreSQL); kept anyway
#                    when the run fails
#
# Exit status: 0 when the run completed and the durability check passed; 1 otherwise.
# Missed speed targets are reported as FAIL lines but do not change the exit status.
set -euo pipefail

# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/common.sh"

duration=10
rounds=3
connections=64
threads=2
pg_clients=32
pool_rate=80000
only=liaisond,nginx,pgbench
declare -A options=([--duration]=positive [--rounds]=positive [--connections]=positive [--threads]=positive
    [--pg-clients]=positive [--pool-rate]=positive [--only]=text)
parse_options "$@"
if [ "$smoke" = 1 ]; then
    [ -n "${given[--duration]:-}" ] || duration=2
    [ -n "${given[--rounds]:-}" ] || rounds=1
    [ -n "${given[--connections]:-}" ] || connections=16
    [ -n "${given[--pool-rate]:-}" ] || pool_rate=25000
fi

selected() {
    case ",$only," in
    *",$1,"*) return 0 ;;
    esac
    return 1
}
for s in ${only//,/ }; do
    case "$s" in
    liaisond | nginx | pgbench) ;;
    *) die "--only: unknown system '$s' (liaisond, nginx, pgbench)" ;;
    esac
done
if [ "$connections" -lt "$threads" ]; then
    die "--connections must be at least --threads"
fi

require_tools wrk cc
if selected nginx; then
    require_tools nginx
    echo_module=/usr/lib/nginx/modules/ngx_http_echo_module.so
    [ -f "$echo_module" ] ||
        die "nginx echo module not found ($echo_module); run deploy/install-deps.sh --bench"
fi
pgbin=$(deploy/pg-local.sh bindir)
if selected pgbench; then
    [ -x "$pgbin/pgbench" ] || die "pgbench not found in $pgbin; run deploy/install-deps.sh --bench"
fi
# The schema comes from liaisond's own migrations, so pgbench needs the binary too.
if selected liaisond || selected pgbench; then
    find_liaisond
fi

# ---------------------------------------------------------------------------------------------
# Work directories and cleanup. Everything started here is stopped by its PID on any exit.

start_work bench "logs, configs and the PostgreSQL cluster"
pool=$((duration * pool_rate))
per_thread=$(((pool + threads - 1) / threads))
# The request pool can reach a GB (about 1.7 KB a request). tmpfs keeps its writeback away from
# PostgreSQL's fsyncs, when it has room to spare.
reqdir=$work/requests
shm_free_kb=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
if [ -w /dev/shm ] && [ "${shm_free_kb:-0}" -gt $((pool * 2 * 17 / 10)) ]; then
    reqdir=$(mktemp -d /dev/shm/liaison-bench.XXXXXX)
fi
mkdir -p "$reqdir"
gen_pids=()
nginx_pidfile=$work/nginx/nginx.pid

# nginx daemonises, so it is not a child of this script: its master's PID is in the pid file.
stop_nginx() {
    local pid
    [ -f "$nginx_pidfile" ] || return 0
    pid=$(cat "$nginx_pidfile")
    terminate "$pid" "nginx (PID $pid)" || true
    rm -f "$nginx_pidfile"
}

stop_started() {
    local pid
    for pid in "${gen_pids[@]}"; do
        stop_pid "$pid"
    done
    stop_nginx
    rm -rf "$reqdir"
}

# ---------------------------------------------------------------------------------------------
# Helpers

# Runs wrk with the request files and sets line to its WRK summary line. $1: label, $2: URL,
# $3: mode (once|cycle), $4: prefix for the acknowledged ticket ids or "-".
run_wrk() {
    local label=$1 url=$2 mode=$3 ids=$4 out=$work/wrk-$1.txt
    wrk -t "$threads" -c "$connections" -d "${duration}s" --timeout 5s \
        -s tests/bench/ingest.lua "$url" -- "$reqdir/req" "$mode" "$ids" >"$out" 2>&1 ||
        die "wrk against $label failed: $(tail -n 5 "$out")"
    line=$(grep '^WRK requests=' "$out") ||
        die "wrk against $label printed no summary: $(tail -n 5 "$out")"
    sed -n 's/^WRK first_error=/    first non-2xx answer: /p' "$out"
}

# A TCP port nothing listens on at the moment of the check.
free_port() {
    local port i
    for ((i = 0; i < 50; i++)); do
        port=$((20000 + (RANDOM % 20000)))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "no free TCP port found"
}

percentile() {
    # Nearest-rank percentile $1 of the sorted numbers on stdin.
    awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) { print 0; exit } i = int(NR * p / 100);
        if (i < NR * p / 100) i++; if (i < 1) i = 1; print v[i] }'
}

secret=bench-only-zendesk-secret
source_name=zendesk-bench

# ---------------------------------------------------------------------------------------------
# Set-up: request pool, PostgreSQL, schema

echo "== liaison ingest benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "machine: $(machine_summary); wrk, server and PostgreSQL share them"
echo "load:    ${duration} s per system, $rounds round(s), $connections connections, $threads wrk threads"

build_gen_requests

# Seconds since $1 (a `date +%s.%N`), to one decimal.
seconds_since() {
    awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'
}

# Generates the request pool of round $1: every round's tickets are new ones.
generate_pool() {
    local start k pid
    start=$(date +%s.%N)
    rm -f "$reqdir"/req.*
    for ((k = 0; k < threads; k++)); do
        "$work/gen_requests" --secret "$secret" --count "$per_thread" --stride "$threads" \
            --offset "$k" --first-id $((1000000 + ($1 - 1) * per_thread * threads)) \
            --path "/v1/webhooks/$source_name" --out "$reqdir/req.$((k + 1))" &
        gen_pids+=($!)
    done
    for pid in "${gen_pids[@]}"; do
        wait "$pid" || die "gen_requests failed"
    done
    gen_pids=()
    body_avg=$(awk '/^Content-Length: / { n++; s += $2 } n >= 2000 { exit }
        END { printf "%.0f", s / n }' "$reqdir/req.1")
    echo "pool:    $((per_thread * threads)) signed requests, bodies ~$body_avg bytes, generated in $(seconds_since "$start") s"
}

# A fresh cluster creates and zero-fills a new 16 MB WAL segment about every second under this
# load, and every commit waits meanwhile (25-100 ms); a server that has run for a while recycles
# old segments instead. Writing and checkpointing about 32 MB of WAL per second of run before
# measuring puts both liaisond and pgbench on recycled segments, as in production.
warm_wal() {
    local start
    start=$(date +%s.%N)
    psql_bench <<EOF
CREATE TABLE bench_wal_warmup AS
    SELECT repeat('w', 1000) AS filler FROM generate_series(1, $((duration * 32000)));
DROP TABLE bench_wal_warmup;
CHECKPOINT;
EOF
    echo "    WAL warmed up: $(psql_bench -c "SELECT count(*) FROM pg_ls_waldir()") segments ready, in $(seconds_since "$start") s"
}

# Prints how the run's tickets were grouped into commits, from liaisond's /metrics: the fixed
# cost of a statement is paid per group, so small groups are what limits throughput. The whole
# scrape stays in the work directory (--keep).
group_commit_summary() {
    curl -sf -o "$work/liaisond.metrics" "http://127.0.0.1:$port/metrics" || return 0
    awk '
        /^liaison_batch_tickets_count / { n = $2 }
        /^liaison_batch_tickets_sum / { s = $2 }
        /^liaison_batch_tickets_bucket\{le="1"\}/ { one = $2 }
        /^liaison_batch_tickets_bucket\{le="4"\}/ { four = $2 }
        /^liaison_batch_commit_duration_seconds_sum / { t = $2 }
        END { if (n > 0) printf "    group commits: %d, %.1f tickets each on average, %.0f%% of one ticket, %.0f%% of four or fewer, %.2f ms each\n",
                  n, s / n, 100 * one / n, 100 * four / n, 1000 * t / n }' "$work/liaisond.metrics"
}

if selected liaisond || selected pgbench; then
    start_pg full_page_writes
    cat >"$work/liaison.yaml" <<EOF
# Generated by tests/bench/ingest.sh.
listen: 127.0.0.1:0
database_url: "$pg_url"
http:
  threads: $threads
metrics:
  public: true
log:
  level: ${LIAISON_BENCH_LOG_LEVEL:-info}
batch:
  writers: ${LIAISON_BENCH_WRITERS:-2}
  max_wait: ${LIAISON_BENCH_MAX_WAIT:-0}
sources:
  $source_name:
    type: zendesk
    secret: $secret
    # The pool is signed once per round, before it: accept its timestamp for the whole run.
    replay_window: $((duration + 600))s
EOF
    migrate_schema
    warm_wal
fi

# Figures of the round being measured, by system; all rounds' in all["round system figure"].
declare -A rps p50 p99 note all

measure_liaisond() {
    echo "-- liaisond: http.threads=$threads, defaults otherwise"
    # Every round starts from the same empty tables.
    psql_bench -c "TRUNCATE tickets, ticket_events, bucket_deltas, bucket_minutes" -c "CHECKPOINT"
    start_liaisond 30
    run_wrk liaisond "http://127.0.0.1:$port/v1/webhooks/$source_name" once "$work/ids"
    rps[liaisond]=$(field rps "$line")
    p50[liaisond]=$(ms "$(field p50_us "$line")")
    p99[liaisond]=$(ms "$(field p99_us "$line")")
    note[liaisond]="answers $(field codes "$line"), socket errors $(field socket_errors "$line"), timeouts $(field timeouts "$line")"
    if [ "$(field exhausted "$line")" != 0 ]; then
        echo "    request pool exhausted: req/s is a lower bound; rerun with a larger --pool-rate"
        failures=$((failures + 1))
    fi

    cat "$work"/ids.* >"$work/acked.txt" 2>/dev/null || : >"$work/acked.txt"
    rm -f "$work"/ids.*
    check_acked "$work/acked.txt" "$source_name" "$(field s2xx "$line")" \
        "$(field without_id "$line")" || failures=$((failures + 1))
    non2xx=$(field non2xx "$line")
    if [ "$non2xx" != 0 ]; then
        echo "    $non2xx answers were not 2xx (codes $(field codes "$line")); see $work/liaisond.log"
        failures=$((failures + 1))
    fi
    group_commit_summary
    stop_liaisond
}

measure_nginx() {
    echo "-- nginx: $threads worker processes, reads each body, answers 202"
    mkdir -p "$work/nginx"
    rm -f "$work/nginx/access.log"
    user_line=""
    if [ "$(id -u)" -eq 0 ]; then
        user_line="user nobody $(id -gn nobody);"
    fi
    started=0
    for _ in 1 2 3 4 5; do
        nginx_port=$(free_port)
        sed -e "s|@ECHO_MODULE@|$echo_module|" -e "s|@USER@|$user_line|" \
            -e "s|@WORKERS@|$threads|" -e "s|@DIR@|$work/nginx|g" -e "s|@PORT@|$nginx_port|" \
            tests/bench/nginx.conf.in >"$work/nginx/nginx.conf"
        if nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" \
            2>"$work/nginx/start.log"; then
            started=1
            break
        fi
    done
    [ "$started" = 1 ] || die "nginx did not start: $(tail -n 5 "$work/nginx/start.log")"
    for ((i = 0; i < 50; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$nginx_port") 2>/dev/null && break
        sleep 0.1
    done
    run_wrk nginx "http://127.0.0.1:$nginx_port/v1/webhooks/$source_name" cycle -
    stop_nginx
    rps[nginx]=$(field rps "$line")
    p50[nginx]=$(ms "$(field p50_us "$line")")
    p99[nginx]=$(ms "$(field p99_us "$line")")
    note[nginx]="answers $(field codes "$line"), socket errors $(field socket_errors "$line"), timeouts $(field timeouts "$line")"
    # The access log has status, $request_length, $content_length and whether $request_body
    # was filled, which nginx does only once it has read the whole body into memory.
    read -r logged with_body < <(awk '$1 == 202 && $4 == 1 && $2 > $3 && $3 > 1000 { ok++ }
        END { print NR + 0, ok + 0 }' "$work/nginx/access.log")
    if [ "$logged" -gt 0 ] && [ "$logged" = "$with_body" ]; then
        echo "    nginx read the full body of all $logged logged requests"
    else
        echo "    nginx read the full body of only $with_body of $logged logged requests: the reference is invalid"
        failures=$((failures + 1))
    fi
}

measure_pgbench() {
    echo "-- pgbench: $pg_clients clients, one single-row INSERT per transaction, -M prepared"
    psql_bench <<'EOF'
DROP TABLE IF EXISTS bench_tickets;
CREATE TABLE bench_tickets (LIKE tickets INCLUDING ALL);
CHECKPOINT;
EOF
    rm -rf "$work/pgbench"
    mkdir -p "$work/pgbench"
    (cd "$work/pgbench" && "$pgbin/pgbench" -n -M prepared -f "$root/tests/bench/pgbench_insert.sql" \
        -c "$pg_clients" -j "$threads" -T "$duration" -l --log-prefix=tx \
        "$pg_url" >"$work/pgbench.txt" 2>&1) ||
        die "pgbench failed: $(tail -n 5 "$work/pgbench.txt")"
    rps[pgbench]=$(awk '/^tps = / { printf "%.1f", $3; exit }' "$work/pgbench.txt")
    cat "$work"/pgbench/tx.* | awk '{ print $3 }' | sort -n >"$work/pgbench-latency.txt"
    p50[pgbench]=$(ms "$(percentile 50 <"$work/pgbench-latency.txt")")
    p99[pgbench]=$(ms "$(percentile 99 <"$work/pgbench-latency.txt")")
    processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/pgbench.txt")
    rows=$(psql_bench -c "SELECT count(*) FROM bench_tickets")
    note[pgbench]="$processed transactions, $rows rows stored"
    if [ "$rows" != "$processed" ]; then
        echo "    pgbench reported $processed transactions but $rows rows are stored"
        failures=$((failures + 1))
    fi
    psql_bench -c "DROP TABLE bench_tickets"
}

# ---------------------------------------------------------------------------------------------
# Rounds: the systems one after the other, so that a machine whose speed drifts (a shared VM)
# moves all three alike, and the medians of the rounds are reported.

# The median of the numbers on stdin.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a";
        else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

table_header() {
    printf '%-9s %5s %12s %9s %9s  %s\n' system round "req/s" "p50 ms" "p99 ms" notes
}

for ((round = 1; round <= rounds; round++)); do
    echo
    echo "== round $round of $rounds"
    if selected liaisond || [ "$round" = 1 ]; then
        generate_pool "$round"
    fi
    for s in liaisond nginx pgbench; do
        selected "$s" || continue
        "measure_$s"
        all[$round $s rps]=${rps[$s]}
        all[$round $s p50]=${p50[$s]}
        all[$round $s p99]=${p99[$s]}
    done
    echo
    table_header
    for s in liaisond nginx pgbench; do
        selected "$s" || continue
        printf '%-9s %5s %12s %9s %9s  %s\n' "$s" "$round" "${rps[$s]}" "${p50[$s]}" "${p99[$s]}" "${note[$s]}"
    done
done

# ---------------------------------------------------------------------------------------------
# Report: medians over the rounds; each ratio is the median of the rounds' own ratios.

# Figure $2 (rps, p50, p99) of system $1 in every round.
column() {
    local r
    for ((r = 1; r <= rounds; r++)); do
        echo "${all[$r $1 $2]}"
    done
}

# The median over the rounds of system $1's req/s divided by system $2's.
median_ratio() {
    local r
    for ((r = 1; r <= rounds; r++)); do
        ratio "${all[$r $1 rps]}" "${all[$r $2 rps]}"
        echo
    done | median
}

declare -A med_rps med_p50 med_p99
echo
echo "== median of $rounds round(s)"
table_header
for s in liaisond nginx pgbench; do
    selected "$s" || continue
    med_rps[$s]=$(column "$s" rps | median)
    med_p50[$s]=$(column "$s" p50 | median)
    med_p99[$s]=$(column "$s" p99 | median)
    printf '%-9s %5s %12s %9s %9s\n' "$s" all "${med_rps[$s]}" "${med_p50[$s]}" "${med_p99[$s]}"
done
echo
if selected liaisond && selected nginx; then
    r=$(median_ratio liaisond nginx)
    target "liaisond / nginx   = $r  (target >= 0.20)" "$r" ge 0.20
fi
if selected liaisond && selected pgbench; then
    r=$(median_ratio liaisond pgbench)
    target "liaisond / pgbench = $r  (target >= 1.00)" "$r" ge 1.00
fi
if selected liaisond; then
    target "liaisond p99       = ${med_p99[liaisond]} ms at $connections connections  (target <= 25 ms at 64)" \
        "${med_p99[liaisond]}" le 25
    if [ "$smoke" = 0 ] && [ "$connections" != 64 ]; then
        echo "(the p99 target is defined at 64 connections)"
    fi
fi
echo
for s in liaisond nginx pgbench; do
    selected "$s" || continue
    echo "BENCH system=$s rps=${med_rps[$s]} p50_ms=${med_p50[$s]} p99_ms=${med_p99[$s]} duration_s=$duration connections=$([ "$s" = pgbench ] && echo "$pg_clients" || echo "$connections") rounds=$rounds smoke=$smoke"
done

exit_if_failed
