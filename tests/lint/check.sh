#!/usr/bin/env bash
# Source hygiene gate: formatting (clang-format), banned C functions, and open-work markers.
# Usage: tests/lint/check.sh format|banned
set -euo pipefail
cd "$(dirname "$0")/../.."

sources() {
    git ls-files -co --exclude-standard -- 'lib/*.[ch]' 'daemon/*.[ch]' 'tests/*.[ch]'
}

case "${1:-}" in
format)
    if ! command -v clang-format >/dev/null; then
        echo "clang-format is not installed (deploy/install-deps.sh installs it)" >&2
        exit 1
    fi
    sources | xargs clang-format --dry-run -Werror
    echo "formatting OK"
    ;;
banned)
    # Unbounded or locale/error-blind calls; see the style guide. Word-bounded so that
    # snprintf and friends pass.
    pattern='\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|gets|atoi|atol|atof|sscanf|system|rand)[[:space:]]*\('
    found=$(sources | xargs grep -nE "$pattern" | grep -vE '\b(snprintf|vsnprintf)\b' || true)
    markers=$(git ls-files -co --exclude-standard -- lib daemon schema deploy |
        xargs grep -nE '\b(TODO|FIXME|XXX)\b' || true)
    if [ -n "$found$markers" ]; then
        [ -z "$found" ] || printf 'banned functions:\n%s\n' "$found"
        [ -z "$markers" ] || printf 'open-work markers:\n%s\n' "$markers"
        exit 1
    fi
    echo "no banned functions or markers"
    ;;
*)
    echo "usage: $0 format|banned" >&2
    exit 2
    ;;
esac
