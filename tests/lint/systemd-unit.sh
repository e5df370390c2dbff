#!/usr/bin/env bash
# Checks deploy/liaisond.service with `systemd-analyze verify`: any message fails. The unit
# names installed paths, so a copy points them at stand-ins first. Skips (77) without systemd.
# Usage: tests/lint/systemd-unit.sh UNIT
set -euo pipefail
unit=${1:?usage: $0 UNIT}
if ! command -v systemd-analyze >/dev/null; then
    echo "systemd-analyze is not installed; skipping"
    exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed -e 's#/usr/bin/liaisond#/bin/true#g' \
    -e 's#^EnvironmentFile=/#EnvironmentFile=-/#' \
    "$unit" >"$dir/liaisond.service"
out=$(systemd-analyze verify "$dir/liaisond.service" 2>&1) || {
    printf '%s\n' "$out"
    exit 1
}
if [ -n "$out" ]; then
    printf '%s\n' "$out"
    exit 1
fi
echo "systemd unit OK"
