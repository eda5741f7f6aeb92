#!/usr/bin/env bash
# Type-check the code as Linux, Windows and macOS each see it, so that a call one OS lacks
# (os.O_NOFOLLOW, fcntl, os.fchmod, signal.SIGKILL, ... on Windows) fails here and not on a
# user's laptop. typeshed marks what each platform has; mypy's --platform picks the view.
#
#   tools/mypy_platforms.sh                   all three runs must pass (CI, once the code is clean)
#   tools/mypy_platforms.sh --platform-only   fail only on errors that some platforms have and
#                                             others do not (useful while other errors remain)
#   tools/mypy_platforms.sh [--platform-only] PATH...   other paths (default: kindcheck screens)
#
# mypy reads [tool.mypy] from pyproject.toml when the project has one; until then missing stubs
# are ignored. Each platform keeps its own cache (.mypy_cache/<platform>), so re-runs are fast.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

mode=all
if [[ "${1:-}" == "--platform-only" ]]; then
    mode="platform-only"
    shift
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(kindcheck screens)
fi

extra=()
if ! python -c 'import sys, tomllib
sys.exit(0 if "mypy" in tomllib.load(open("pyproject.toml", "rb")).get("tool", {}) else 1)'; then
    extra=(--ignore-missing-imports)
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

failed=()
for platform in linux win32 darwin; do
    if mypy --platform "$platform" --cache-dir ".mypy_cache/$platform" \
        ${extra[@]+"${extra[@]}"} "${targets[@]}" >"$results/$platform.txt" 2>&1; then
        echo "mypy --platform $platform: ok"
    else
        failed+=("$platform")
        echo "mypy --platform $platform: $(tail -n 1 "$results/$platform.txt")"
    fi
    grep ': error:' "$results/$platform.txt" | sort -u >"$results/$platform.errors"
done

# An error that not every platform has comes from what one OS lacks (or has only there).
cat "$results"/*.errors | sort | uniq -c | sed -nE 's/^ *[12] //p' >"$results/differing"
if [[ -s "$results/differing" ]]; then
    echo
    echo "Errors on some platforms only (a call that one OS lacks):"
    while IFS= read -r line; do
        on=()
        for platform in linux win32 darwin; do
            grep -qxF -- "$line" "$results/$platform.errors" && on+=("$platform")
        done
        echo "  [${on[*]}] $line"
    done <"$results/differing"
fi

if [[ $mode == "platform-only" ]]; then
    [[ ! -s "$results/differing" ]]
    exit
fi
if [[ ${#failed[@]} -gt 0 ]]; then
    for platform in "${failed[@]}"; do
        echo
        echo "== mypy --platform $platform"
        cat "$results/$platform.txt"
    done
    exit 1
fi
