# Shell helpers shared by the benchmarks (tests/bench/*.sh). The sourcing script sets
# bench_name (for messages) and, before calling psql_bench or target, pgbin, pg_url and smoke.

die() {
    echo "$bench_name: $*" >&2
    exit 1
}

# Stops a process this benchmark started: SIGTERM, then SIGKILL after 10 s. Returns its status.
stop_pid() {
    local pid=$1 i status=0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$bench_name: PID $pid did not stop within 10 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || status=$?
    return "$status"
}

# Value of key=value in a line of "KEY k=v ..." output.
field() {
    sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2" | head -n 1
}

# Microseconds to milliseconds with two decimals.
ms() {
    awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'
}

psql_bench() {
    PGOPTIONS="-c client_min_messages=warning" "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -At \
        -d "$pg_url" "$@"
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

# Sets liaisond to an executable daemon: the given path (relative to the caller's directory,
# caller_dir), else the default build directories under root.
find_liaisond() {
    if [ -z "$liaisond" ]; then
        for candidate in "$root/build/daemon/liaisond" "$root/build/release/daemon/liaisond"; do
            if [ -x "$candidate" ]; then
                liaisond=$candidate
                break
            fi
        done
    fi
    case "$liaisond" in
    '' | /*) ;;
    *) liaisond=$caller_dir/$liaisond ;;
    esac
    if [ -z "$liaisond" ] || [ ! -x "$liaisond" ]; then
        die "liaisond not found; build it first: cmake -S . -B build && cmake --build build -j\$(nproc)"
    fi
}
