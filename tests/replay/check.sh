#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `liaisond replay` as a user runs it: the shipped incident stream gives the escalations the
# detection model promises (unseen, then understated while a critical alert covers the country,
# then lingering once it resolves), the same output on every run, a line-numbered error and
# exit 1 for a bad record (the other records still replayed), and exit 2 for a missing file.
#
#   tests/replay/check.sh LIAISOND STREAM
set -euo pipefail

liaisond=$1
stream=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
    echo "replay check: $*" >&2
    exit 1
}

"$liaisond" replay "$stream" >"$work/a.ndjson" 2>"$work/a.err" || fail "exit $? on a good stream"
"$liaisond" replay "$stream" >"$work/b.ndjson" 2>/dev/null || fail "second run failed"
cmp -s "$work/a.ndjson" "$work/b.ndjson" || fail "two runs over the same stream differ"

opens=$(grep -o '"event":"open"[^}]*"reason":"[a-z]*"' "$work/a.ndjson" |
    sed 's/.*"reason":"\([a-z]*\)"/\1/' | tr '\n' ' ')
[ "$opens" = "unseen understated lingering " ] ||
    fail "escalations opened: '$opens', expected 'unseen understated lingering '"
grep -q '"tickets":3856,' "$work/a.err" || fail "summary: $(cat "$work/a.err")"

{
    head -n 100 "$stream"
    echo '{"type":"ticket","time":"yesterday","id":"x"}'
    echo 'not json'
    tail -n +101 "$stream"
} >"$work/bad.ndjson"
status=0
"$liaisond" replay "$work/bad.ndjson" >"$work/c.ndjson" 2>"$work/c.err" || status=$?
[ "$status" = 1 ] || fail "a stream with bad records exited $status, expected 1"
grep -q 'bad.ndjson:101: time: ' "$work/c.err" || fail "no error for line 101: $(head -3 "$work/c.err")"
grep -q 'bad.ndjson:102: malformed JSON' "$work/c.err" || fail "no error for line 102"
cmp -s "$work/a.ndjson" "$work/c.ndjson" || fail "bad records changed what the good ones gave"

status=0
"$liaisond" replay "$work/missing.ndjson" >/dev/null 2>"$work/d.err" || status=$?
[ "$status" = 2 ] || fail "a missing file exited $status, expected 2"
grep -q 'cannot read' "$work/d.err" || fail "no message for a missing file"
echo "replay check OK"
