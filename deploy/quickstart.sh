#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs liaison from a fresh checkout: installs the Debian packages, builds a release build in
# build/, and starts liaisond in the foreground with deploy/liaison.example.yaml (or
# $LIAISON_CONFIG). When neither $LIAISON_DATABASE_URL nor the config names a database, it
# starts a private PostgreSQL in state/pg (durable settings, Unix socket only) and stops it
# again when liaisond exits. Ctrl-C stops both.
set -euo pipefail

# A relative LIAISON_CONFIG is relative to where the user ran the command.
config=${LIAISON_CONFIG:-}
if [ -n "$config" ] && [ "${config#/}" = "$config" ]; then
    config=$PWD/$config
fi
cd "$(dirname "$0")/.."
config=${config:-$PWD/deploy/liaison.example.yaml}
[ -f "$config" ] || {
    echo "quickstart.sh: config file not found: $config" >&2
    exit 1
}

bash deploy/install-deps.sh --runtime
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target liaisond
bin=build/daemon/liaisond

# A top-level database_url with a value other than "" or ''.
config_names_database() {
    grep -Eq "^database_url:[[:space:]]*[^[:space:]#\"']|^database_url:[[:space:]]*(\"[^\"]+\"|'[^']+')" \
        "$1"
}

pgdir=state/pg
pg_started=0
daemon_pid=
ready=state/liaisond.port

cleanup() {
    local status=$?
    set +e
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill -TERM "$daemon_pid"
        wait "$daemon_pid"
    fi
    if [ "$pg_started" = 1 ]; then
        echo "quickstart.sh: stopping the private PostgreSQL in $pgdir"
        deploy/pg-local.sh stop "$pgdir"
    fi
    exit "$status"
}
trap cleanup EXIT

database="from the configuration"
if [ -n "${LIAISON_DATABASE_URL:-}" ]; then
    database="from LIAISON_DATABASE_URL"
elif ! config_names_database "$config"; then
    mkdir -p state
    deploy/pg-local.sh start "$pgdir"
    pg_started=1
    LIAISON_DATABASE_URL=$(deploy/pg-local.sh url "$pgdir")
    export LIAISON_DATABASE_URL
    database="private PostgreSQL in $PWD/$pgdir (data kept between runs)"
fi

rm -f "$ready"
mkdir -p state
# The spool (tickets kept while the database is down) goes to state/spool, not next to the config.
STATE_DIRECTORY=$PWD/state "$bin" serve --migrate --config "$config" --ready-file "$ready" &
daemon_pid=$!
# liaisond stops gracefully on SIGTERM; it is a background job, so the shell forwards Ctrl-C.
trap 'kill -TERM "$daemon_pid" 2>/dev/null' INT TERM

while [ ! -s "$ready" ] && kill -0 "$daemon_pid" 2>/dev/null; do
    sleep 0.1
done
if [ -s "$ready" ]; then
    listen=$(sed -n 's/^listen:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$config" | tr -d "\"'")
    host=${listen%:*}
    host=${host:-127.0.0.1}
    base="http://$host:$(cat "$ready")"
    # Source names and types, read from the config's "sources:" block.
    sources=$(awk '/^[^[:space:]#]/ { in_sources = ($0 ~ /^sources:/); next }
        in_sources && /^  [^[:space:]#][^:]*:[[:space:]]*$/ { sub(/^  /, ""); sub(/:.*/, "");
            name = $0; names[++n] = name; next }
        in_sources && /^    type:/ { t = $2; gsub(/["\047]/, "", t); types[name] = t }
        END { for (i = 1; i <= n; i++) printf "%s%s (%s)", (i > 1 ? ", " : ""), names[i],
            types[names[i]] }' "$config")
    cat <<EOF

liaisond is running.
  listening  $base
  database   $database
  config     $config
  sources    ${sources:-none}
  try        curl -s $base/healthz
             signed webhook examples: README.md
  stop       Ctrl-C
EOF
fi

status=0
wait "$daemon_pid" || status=$?
# wait also returns (with 128+signal) when a trapped signal arrives: wait for liaisond to finish.
while [ "$status" -gt 128 ] && kill -0 "$daemon_pid" 2>/dev/null; do
    status=0
    wait "$daemon_pid" || status=$?
done
daemon_pid=
exit "$status"
