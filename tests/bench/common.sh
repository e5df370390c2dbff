# Shell helpers shared by the benchmarks (tests/bench/*.sh). The sourcing script sets
# bench_name (for messages) and, before calling psql_bench, check_acked or target, pgbin, pg_url
# and smoke; build_with_libliaison needs liaisond (see find_liaisond).

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

# VmRSS, VmHWM of a process in MiB, one decimal: "rss hwm".
memory_mib() {
    awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 }
        END { printf "%.1f %.1f\n", r / 1024, h / 1024 }' "/proc/$1/status"
}

# Waits up to $4 seconds for liaisond (PID $1) to write its ready file $2; $3 is its log.
wait_ready() {
    local pid=$1 ready=$2 log=$3 i
    for ((i = 0; i < $4 * 50; i++)); do
        [ -s "$ready" ] && return 0
        kill -0 "$pid" 2>/dev/null || die "liaisond exited during start-up: $(tail -n 5 "$log")"
        sleep 0.02
    done
    die "liaisond did not become ready within $4 s"
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

# Compiles the benchmark program $1 (C source) into $2 against the libliaison.a of the build
# tree that holds $liaisond (build/lib/libliaison.a for build/daemon/liaisond), so it computes
# with the same library as the daemon; without one, against lib/*.c. The compiler's messages go
# to $2.log.
build_with_libliaison() {
    local src=$1 out=$2 lib sources
    lib=$(dirname "$liaisond")/../lib/libliaison.a
    if [ -f "$lib" ]; then
        sources=("$lib")
    else
        sources=(lib/*.c)
    fi
    cc -std=c17 -D_DEFAULT_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla \
        -Wstrict-prototypes -Wmissing-prototypes -Wimplicit-fallthrough -Ilib \
        "$src" "${sources[@]}" -ljansson -lyaml -lcrypto -lm -o "$out" 2>"$out.log" ||
        die "cannot build $src: $(tail -n 5 "$out.log")"
}
