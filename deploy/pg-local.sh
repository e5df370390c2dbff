#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A private PostgreSQL in one directory: Unix socket only, superuser "liaison", trust auth.
# Used by deploy/quickstart.sh, the integration tests and the benchmarks. It starts and stops
# only the server whose data directory is DIR/data, never any other.
#
#   deploy/pg-local.sh start DIR [--test]   initdb on first use, start (no-op if running),
#                                           create the database "liaison"
#   deploy/pg-local.sh stop DIR             fast shutdown of the server in DIR (no-op if stopped)
#   deploy/pg-local.sh url DIR [DBNAME]     libpq URL of DBNAME (default liaison) over the socket
#   deploy/pg-local.sh createdb DIR NAME    create database NAME (fails if it exists)
#   deploy/pg-local.sh bindir               the PostgreSQL server binaries used
#
# --test trades durability for speed (fsync, synchronous_commit and full_page_writes off):
# for throwaway test clusters only, never for data anyone keeps. The setting is fixed when the
# cluster is created. Layout: DIR/data (cluster), DIR/sock (socket), DIR/pg.log (server log).
# As root (initdb refuses root) the server runs as LIAISON_PG_USER (default: postgres); when
# that user cannot reach DIR, the cluster is kept under /tmp and DIR links to it.
set -euo pipefail

prog=pg-local.sh
superuser=liaison

die() {
    echo "$prog: $*" >&2
    exit 1
}

usage() {
    sed -n '3,19s/^# \{0,1\}//p' "$0"
}

find_bindir() {
    local dir newest=""
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ]; then
            newest=$(printf '%s\n%s\n' "$newest" "$dir" | sort -V | tail -n 1)
        fi
    done
    if [ -n "$newest" ]; then
        echo "$newest"
        return
    fi
    # Distributions other than Debian put the server binaries on PATH.
    dir=$(command -v initdb 2>/dev/null) || die "initdb not found; run deploy/install-deps.sh"
    dirname "$dir"
}

# Absolute path of $1 without requiring it to exist.
abspath() {
    case "$1" in
    /*) echo "$1" ;;
    *) echo "$PWD/$1" ;;
    esac
}

# Percent-encodes a path for use as a URL query value.
urlencode() {
    local LC_ALL=C s=$1 out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case "$c" in
        [A-Za-z0-9/._~-]) out+=$c ;;
        *) out+=$(printf '%%%02X' "'$c") ;;
        esac
    done
    echo "$out"
}

# Runs a server command as the cluster's owner: the caller, or the unprivileged user as root.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$owner" -- "$@"
    else
        "$@"
    fi
}

setup_owner() {
    owner=$(id -un)
    if [ "$(id -u)" -ne 0 ]; then
        return
    fi
    owner=${LIAISON_PG_USER:-postgres}
    id "$owner" >/dev/null 2>&1 ||
        die "running as root needs an unprivileged user to own the server; '$owner' does not exist (set LIAISON_PG_USER)"
}

running() {
    [ -f "$dir/data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

psql_admin() {
    "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/sock" -U "$superuser" -d postgres "$@"
}

# As root, the server's unprivileged owner must be able to reach DIR. A checkout under /root
# (mode 700) is the common case where it cannot: the cluster then lives in a directory of its
# own under /tmp and DIR becomes a symbolic link to it, so callers keep using DIR.
relocate_if_unreachable() {
    local parent real
    parent=$(dirname "$dir")
    mkdir -p "$parent"
    if as_owner test -x "$parent"; then
        return
    fi
    if [ -e "$dir" ] && ! rmdir "$dir" 2>/dev/null; then
        die "user '$owner' cannot reach $dir (a parent directory is not traversable by it) and $dir is not empty; choose a DIR under /tmp or /var/tmp"
    fi
    real=/tmp/liaison-pg.$(printf '%s' "$dir" | sha256sum | cut -c1-16)
    mkdir -p "$real"
    chmod 700 "$real"
    ln -s "$real" "$dir"
    echo "$prog: user '$owner' cannot reach $dir; the cluster lives in $real (linked from $dir)" >&2
    dir=$real
}

cmd_start() {
    local test_mode=0
    if [ "${1:-}" = "--test" ]; then
        test_mode=1
        shift
    fi
    [ $# -eq 0 ] || die "start: unexpected argument '$1'"

    if [ "$(id -u)" -eq 0 ]; then
        relocate_if_unreachable
    fi
    # The socket path (DIR/sock/.s.PGSQL.5432) must fit in sun_path (108 bytes).
    if [ $((${#dir} + 21)) -gt 107 ]; then
        die "DIR is too long for a Unix socket path (${#dir} bytes, at most 86): $dir"
    fi

    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$owner:" "$dir"
        as_owner test -w "$dir" -a -x "$dir" ||
            die "user '$owner' cannot use $dir; choose a DIR under /tmp or /var/tmp"
    fi

    if [ ! -f "$dir/data/PG_VERSION" ]; then
        local nosync=()
        # A durable cluster is synced to disk by initdb; a test cluster need not be.
        if [ "$test_mode" = 1 ]; then
            nosync=(--nosync)
        fi
        as_owner "$bindir/initdb" -D "$dir/data" -A trust -U "$superuser" -E UTF8 --no-locale \
            "${nosync[@]}" >"$dir/initdb.log" 2>&1 || {
            cat "$dir/initdb.log" >&2
            die "initdb failed in $dir/data"
        }
        {
            echo ""
            echo "# Added by deploy/pg-local.sh: a private server reached only by its socket."
            echo "listen_addresses = ''"
            echo "unix_socket_directories = '$dir/sock'"
            echo "unix_socket_permissions = 0770"
            echo "log_destination = 'stderr'"
            echo "logging_collector = off"
            echo "max_connections = 200"
            echo "shared_buffers = 128MB"
            if [ "$test_mode" = 1 ]; then
                echo "# Test cluster: a crash may lose or corrupt data. Never use for real data."
                echo "fsync = off"
                echo "synchronous_commit = off"
                echo "full_page_writes = off"
            fi
        } >>"$dir/data/postgresql.conf"
    fi
    mkdir -p "$dir/sock"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$owner:" "$dir/sock"
    fi

    if running; then
        return 0
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/pg.log" start >/dev/null; then
        echo "$prog: PostgreSQL did not start; last lines of $dir/pg.log:" >&2
        tail -n 30 "$dir/pg.log" >&2 || true
        exit 1
    fi
    if [ -z "$(psql_admin -At -c "SELECT 1 FROM pg_database WHERE datname = 'liaison'")" ]; then
        psql_admin -c "CREATE DATABASE liaison"
    fi
}

cmd_stop() {
    [ $# -eq 0 ] || die "stop: unexpected argument '$1'"
    if ! running; then
        return 0
    fi
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

cmd_url() {
    [ $# -le 1 ] || die "url: unexpected argument '$2'"
    echo "postgresql:///${1:-liaison}?host=$(urlencode "$dir/sock")&user=$superuser"
}

cmd_createdb() {
    [ $# -eq 1 ] || die "createdb: expects DIR NAME"
    case "$1" in
    '' | *[!A-Za-z0-9_]*) die "createdb: database names are limited to letters, digits and _: '$1'" ;;
    esac
    running || die "no PostgreSQL is running in $dir (start it first)"
    psql_admin -c "CREATE DATABASE \"$1\""
}

[ $# -ge 1 ] || {
    usage >&2
    exit 2
}
command=$1
shift
case "$command" in
-h | --help)
    usage
    exit 0
    ;;
bindir)
    find_bindir
    exit 0
    ;;
start | stop | url | createdb) ;;
*)
    usage >&2
    exit 2
    ;;
esac
[ $# -ge 1 ] || die "$command: missing DIR"
dir=$(abspath "$1")
dir=${dir%/}
if [ -L "$dir" ]; then
    # Set up by relocate_if_unreachable (or by the caller): work on the real directory, whose
    # socket path the server and every client can reach.
    dir=$(readlink -f "$dir")
fi
shift
bindir=$(find_bindir)
setup_owner
"cmd_$command" "$@"
