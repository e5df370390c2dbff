#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages liaison needs, and nothing else. Fast and quiet when everything
# is already installed: apt-get runs only for packages dpkg does not report as installed.
#
#   deploy/install-deps.sh [--runtime] [--bench] [--fuzz] [--all]
#
#   (default)   build, run and test: compiler, CMake, libraries, cmocka, PostgreSQL,
#               clang-format (lint tests), curl, prometheus-alertmanager (its integration test)
#               and prometheus (promtool checks /metrics and the shipped alert rules),
#               chromium and Node.js with npm (the dashboard's browser test), wrk (the load of
#               the database-outage test)
#   --runtime   build and run only (what deploy/quickstart.sh needs)
#   --bench     add the benchmark tools: wrk, nginx-light (with its echo module), pgbench
#   --fuzz      add clang and its libFuzzer runtime
#   --all       everything above
set -euo pipefail

usage() {
    sed -n '3,16s/^# \{0,1\}//p' "$0"
}

runtime=(build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev libpq-dev libyaml-dev
         libssl-dev libcurl4-openssl-dev libcmocka-dev postgresql)
testing=(clang-format curl prometheus-alertmanager prometheus chromium nodejs wrk)
# Debian's nodejs comes without npm; builds of Node.js from elsewhere bring their own.
if ! command -v npm >/dev/null 2>&1; then
    testing+=(npm)
fi
bench=(wrk nginx-light libnginx-mod-http-echo postgresql-contrib)
fuzz=(clang libclang-rt-14-dev)

want=("${runtime[@]}")
with_tests=1
while [ $# -gt 0 ]; do
    case "$1" in
    --runtime) with_tests=0 ;;
    --bench) want+=("${bench[@]}") ;;
    --fuzz) want+=("${fuzz[@]}") ;;
    --all) want+=("${bench[@]}" "${fuzz[@]}") ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "install-deps.sh: unknown option '$1'" >&2
        usage >&2
        exit 2
        ;;
    esac
    shift
done
if [ "$with_tests" = 1 ]; then
    want+=("${testing[@]}")
fi

# dpkg-query exits non-zero when it has never heard of a package: that only means "missing".
installed=" $({ dpkg-query -W -f='${Package}:${Status}\n' "${want[@]}" 2>/dev/null || true; } |
    sed -n 's/:install ok installed$//p' | tr '\n' ' ')"
missing=()
for pkg in "${want[@]}"; do
    case "$installed" in
    *" $pkg "*) ;;
    *) missing+=("$pkg") ;;
    esac
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps.sh: apt-get not found; install these packages by hand: ${missing[*]}" >&2
    exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install-deps.sh: not root and no sudo; install as root: ${missing[*]}" >&2
        exit 1
    fi
    sudo=(sudo)
fi

# The PostgreSQL and nginx packages start system services on install. liaison's scripts run
# their own private instances instead, so a policy-rc.d (the Debian mechanism invoke-rc.d and
# deb-systemd-invoke honour) keeps the packages from starting theirs. An existing policy is left
# exactly as it is; ours is removed when this script exits, whatever happens.
policy=/usr/sbin/policy-rc.d
own_policy=0
remove_policy() {
    if [ "$own_policy" = 1 ]; then
        "${sudo[@]}" rm -f "$policy"
    fi
}
trap remove_policy EXIT
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# Written by liaison deploy/install-deps.sh for the length of one install.\nexit 101\n' |
        "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    own_policy=1
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
