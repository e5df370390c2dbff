# shellcheck shell=bash
# Shell helpers shared by the benchmarks (tests/bench/*.sh), sourced first thing. Sourcing sets
# bench_name (for messages), the C locale, caller_dir (where the script was started: the paths
# given as options are relative to it) and root (the source tree, which becomes the working
# directory). psql_bench and check_acked need pgbin and pg_url, target needs smoke;
# build_with_libliaison uses liaisond when it is set (see find_liaisond); start_work arranges
# the clean-up on exit (see finish_work).

bench_name=${0##*/}
# Decimal points in $EPOCHREALTIME and awk output, whatever the caller's locale.
export LC_ALL=C
caller_dir=$PWD
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
root=$PWD

die() {
    echo "$bench_name: $*" >&2
    exit 1
}

# The script's header comment, from its third line (after the SPDX line) to its first line of
# code.
usage() {
    sed -n '3,/^[^#]/s/^# \{0,1\}//p' "$0"
}

# A path given on the command line, made absolute against caller_dir.
absolute() {
    case "$1" in
    /*) echo "$1" ;;
    *) echo "$caller_dir/$1" ;;
    esac
}

# Reads a benchmark's command line. Every benchmark takes --smoke (smoke=1), --keep (keep=1),
# --liaisond PATH (liaisond, by default $LIAISOND) and -h/--help; anything else must be a key
# of the script's associative array options, whose value is the kind of value the option takes:
# positive (an integer above 0, without a leading zero, which bash would read as octal), whole
# (an integer, 0 or more) or text. The value goes to the variable named after the option
# (--pg-clients to pg_clients) and given[option] becomes 1, so that --smoke changes only the
# defaults the caller left alone.
parse_options() {
    local kind var
    smoke=0
    keep=0
    liaisond=${LIAISOND:-}
    declare -gA given=()
    while [ $# -gt 0 ]; do
        case "$1" in
        --smoke) smoke=1 ;;
        --keep) keep=1 ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            kind=
            case "$1" in
            --liaisond) kind=text ;;
            --?*) kind=${options[$1]:-} ;;
            esac
            if [ -z "$kind" ]; then
                usage >&2
                exit 2
            fi
            [ $# -ge 2 ] || die "$1 needs a value"
            case "$kind:$2" in
            positive: | positive:*[!0-9]* | positive:0*) die "$1 must be a positive integer" ;;
            whole: | whole:*[!0-9]*) die "$1 must be a whole number" ;;
            esac
            var=${1#--}
            var=${var//-/_}
            printf -v "$var" '%s' "$2"
            given[$1]=1
            shift
            ;;
        esac
        shift
    done
}

# Dies unless each of the commands $@ is installed.
require_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool not found; run deploy/install-deps.sh --bench"
    done
}

# Makes the work directory $work (/tmp/liaison-$1.XXXXXX, with $pgdir for a private PostgreSQL)
# and arranges for finish_work to run on any exit. $2 says what the directory holds, for the
# message when it is kept.
start_work() {
    work=$(mktemp -d "/tmp/liaison-$1.XXXXXX")
    # The PostgreSQL server runs as an unprivileged user when this script runs as root.
    chmod 755 "$work"
    work_holds=$2
    pgdir=$work/pg
    pg_started=0
    liaisond_pid=
    trap 'finish_work $?' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# Stops what the script started itself (its function stop_started, when it has one), liaisond
# and the private PostgreSQL when they run, removes the work directory unless --keep was given
# or the run failed, and exits with the run's status $1.
finish_work() {
    local status=$1
    set +e
    if declare -F stop_started >/dev/null; then
        stop_started
    fi
    if [ -n "$liaisond_pid" ]; then
        stop_pid "$liaisond_pid"
    fi
    if [ "$pg_started" = 1 ]; then
        deploy/pg-local.sh stop "$pgdir"
    fi
    if [ "$keep" = 1 ] || [ "$status" -ne 0 ]; then
        echo "$bench_name: $work_holds are kept in $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}

# Sends SIGTERM to the process $1, then SIGKILL if it still runs 10 s later; $2 names it in the
# message that says so. Returns 1 when there is no such process.
terminate() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 1
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$bench_name: $2 did not stop within 10 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

# Stops a process this benchmark started (a child of this shell). Returns its status.
stop_pid() {
    local status=0
    terminate "$1" "PID $1" || return 0
    wait "$1" 2>/dev/null || status=$?
    return "$status"
}

failures=0
check_failed() {
    echo "    CHECK FAILED: $*"
    failures=$((failures + 1))
}

# Exits with status 1 when a check failed.
exit_if_failed() {
    if [ "$failures" -ne 0 ]; then
        echo "$bench_name: $failures check(s) failed"
        exit 1
    fi
}

# Value of key=value in a line of "KEY k=v ..." output.
field() {
    sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2" | head -n 1
}

# Microseconds to milliseconds with two decimals.
ms() {
    awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'
}

# Seconds since $1 (an $EPOCHREALTIME), one decimal.
since() {
    awk -v s="$1" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }'
}

# The machine the figures come from: "N CPUs, M GB".
machine_summary() {
    echo "$(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)"
}

# 32 random hexadecimal digits, for a bearer token.
random_token() {
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

psql_bench() {
    PGOPTIONS="-c client_min_messages=warning" "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -At \
        -d "$pg_url" "$@"
}

# Starts the private PostgreSQL in $pgdir, sets pg_url and prints the server's version and its
# durability settings, with those named in $@ as well.
# shellcheck disable=SC2120 # the extra settings are optional
start_pg() {
    local query="current_setting('server_version') || ', fsync=' || current_setting('fsync')
        || ', synchronous_commit=' || current_setting('synchronous_commit')" name settings
    for name in "$@"; do
        query+=" || ', $name=' || current_setting('$name')"
    done
    # Marked first: an interrupt while the server starts must still stop it (stop is a no-op then).
    pg_started=1
    deploy/pg-local.sh start "$pgdir" >/dev/null
    pg_url=$(deploy/pg-local.sh url "$pgdir")
    settings=$(psql_bench -c "SELECT $query")
    echo "postgres: $settings (private cluster in $pgdir)"
}

# Creates liaisond's schema as $work/liaison.yaml configures it.
migrate_schema() {
    "$liaisond" migrate --config "$work/liaison.yaml" >"$work/migrate.log" 2>&1 ||
        die "liaisond migrate failed: $(tail -n 5 "$work/migrate.log")"
}

# Starts liaisond serve with $work/liaison.yaml, its log in $work/liaisond.log; sets liaisond_pid
# and, once it is ready, port. Dies when it exits or is not ready within $1 seconds.
start_liaisond() {
    local i
    rm -f "$work/ready"
    "$liaisond" serve --config "$work/liaison.yaml" --ready-file "$work/ready" \
        >"$work/liaisond.log" 2>&1 &
    liaisond_pid=$!
    for ((i = 0; i < $1 * 50; i++)); do
        [ -s "$work/ready" ] && break
        kill -0 "$liaisond_pid" 2>/dev/null ||
            die "liaisond exited during start-up: $(tail -n 5 "$work/liaisond.log")"
        sleep 0.02
    done
    [ -s "$work/ready" ] || die "liaisond did not become ready within $1 s"
    port=$(cat "$work/ready")
}

# Stops liaisond; any exit status but 0 on SIGTERM is a failed check.
stop_liaisond() {
    local status=0
    stop_pid "$liaisond_pid" || status=$?
    liaisond_pid=
    if [ "$status" -ne 0 ]; then
        check_failed "liaisond exited with status $status on SIGTERM (expected 0); see $work/liaisond.log"
    fi
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

verdict() {
    # $1 value, $2 operator (ge|le), $3 target
    awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == "ge") ? v >= t : v <= t;
        print ok ? "PASS" : "FAIL" }'
}

# A figure line, with PASS/FAIL against its target unless this is a smoke run.
target() {
    if [ "$smoke" = 1 ]; then
        echo "$1"
    else
        echo "$1  $(verdict "$2" "$3" "$4")"
    fi
}

# Sets liaisond to an executable daemon: the given path (relative to caller_dir), else the
# default build directories under root.
find_liaisond() {
    if [ -z "$liaisond" ]; then
        for candidate in "$root/build/daemon/liaisond" "$root/build/release/daemon/liaisond"; do
            if [ -x "$candidate" ]; then
                liaisond=$candidate
                break
            fi
        done
    fi
    [ -z "$liaisond" ] || liaisond=$(absolute "$liaisond")
    if [ -z "$liaisond" ] || [ ! -x "$liaisond" ]; then
        die "liaisond not found; build it first: cmake -S . -B build && cmake --build build -j\$(nproc)"
    fi
}

# VmRSS, VmHWM of a process in MiB, one decimal: "rss hwm".
memory_mib() {
    awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 }
        END { printf "%.1f %.1f\n", r / 1024, h / 1024 }' "/proc/$1/status"
}

# Durability of acknowledged tickets, checked while liaisond still runs so that it does not
# rely on a clean shutdown. $1: file of acknowledged ticket ids, one a line; $2: the source;
# $3: the 2xx answers that should each have named one; $4: the 2xx answers without an id.
# Prints what it found; returns 1 unless every 2xx named a distinct ticket that is stored.
check_acked() {
    local file=$1 source=$2 s2xx=$3 without_id=$4 acked distinct missing stored
    read -r acked distinct missing stored < <(psql_bench -F ' ' <<SQL
CREATE TEMP TABLE acked (external_id text);
\\copy acked FROM '$file'
SELECT (SELECT count(*) FROM acked), (SELECT count(DISTINCT external_id) FROM acked),
       (SELECT count(*) FROM acked a WHERE NOT EXISTS
            (SELECT 1 FROM tickets t WHERE t.source = '$source' AND t.external_id = a.external_id)),
       (SELECT count(*) FROM tickets WHERE source = '$source');
SQL
    )
    echo "    durability: $s2xx 2xx answers, $acked ticket ids acknowledged, $missing of them missing from PostgreSQL, $stored rows stored"
    if [ "$acked" != "$s2xx" ] || [ "$without_id" != 0 ] || [ "$missing" != 0 ] ||
        [ "$distinct" != "$acked" ] || [ "$stored" -lt "$acked" ]; then
        echo "    durability: FAIL (every 2xx must name a distinct ticket that is stored)"
        return 1
    fi
    echo "    durability: OK (every acknowledged ticket is stored; $((stored - acked)) more were in flight when wrk stopped)"
}

# How the benchmark programs are compiled: the project's warnings (CMakeLists.txt), as errors.
bench_cflags=(-std=c17 -D_DEFAULT_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
    -Wstrict-prototypes -Wmissing-prototypes -Wimplicit-fallthrough)

# Compiles the benchmark program $1 (C source) into $2 against the libliaison.a of the build
# tree that holds $liaisond (build/lib/libliaison.a for build/daemon/liaisond), so it computes
# with the same library as the daemon; without one, against lib/*.c. The compiler's messages go
# to $2.log.
build_with_libliaison() {
    local src=$1 out=$2 lib='' sources
    [ -z "${liaisond:-}" ] || lib=$(dirname "$liaisond")/../lib/libliaison.a
    if [ -n "$lib" ] && [ -f "$lib" ]; then
        sources=("$lib")
    else
        sources=(lib/*.c)
    fi
    cc "${bench_cflags[@]}" -Ilib "$src" "${sources[@]}" -ljansson -lyaml -lcrypto -lm \
        -o "$out" 2>"$out.log" ||
        die "cannot build $src: $(tail -n 5 "$out.log")"
}

# Compiles tests/bench/gen_requests.c, the signed-webhook generator, into $work/gen_requests.
build_gen_requests() {
    cc "${bench_cflags[@]}" tests/bench/gen_requests.c -lcrypto -o "$work/gen_requests" ||
        die "cannot build tests/bench/gen_requests.c (needs libssl-dev)"
}
