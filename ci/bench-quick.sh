#!/usr/bin/env bash
# CI benchmark gate: runs the quick suite (`mkjit bench --suite quick`) and
# compares its deterministic metrics (modeled-cycle percentiles, instruction
# counts) with the committed baseline; fails when one regresses by more than
# 2%, when a baseline run is missing, or when a run fails its self-checks.
# It also runs the suite a second time and requires byte-identical modeled
# results. Host time is reported but never gated.
#
#   bash ci/bench-quick.sh [OUT_DIR]                    gate (default OUT_DIR: bench-out/quick)
#   bash ci/bench-quick.sh --update-baseline [OUT_DIR]  rewrite ci/baselines/quick.json on purpose
#
# Environment: MKJIT=path/to/mkjit to skip the cargo build; BENCH_THRESHOLD=PCT.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

update=0
out=""
for a in "$@"; do
    case "$a" in
        --update-baseline) update=1 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        -*) echo "bench-quick.sh: unknown option $a" >&2; exit 2 ;;
        *) out="$a" ;;
    esac
done
out="${out:-bench-out/quick}"
baseline=ci/baselines/quick.json
threshold="${BENCH_THRESHOLD:-2}"

if [ -z "${MKJIT:-}" ]; then
    cargo build --release --jobs 2 >&2
    MKJIT=target/release/mkjit
fi

if [ "$update" = 1 ]; then
    "$MKJIT" bench --suite quick --out "$out" --update-baseline "$baseline"
    exit 0
fi

"$MKJIT" bench --suite quick --out "$out"
"$MKJIT" bench --suite quick --out "$out.again" --quiet
if ! cmp -s "$out/modeled.json" "$out.again/modeled.json"; then
    echo "bench-quick.sh: two runs of the quick suite gave different modeled results:" >&2
    diff "$out/modeled.json" "$out.again/modeled.json" | head -20 >&2
    exit 1
fi
echo "determinism: two runs gave byte-identical modeled results ($out/modeled.json)"
echo
"$MKJIT" compare "$baseline" "$out/results.json" --threshold "$threshold"
