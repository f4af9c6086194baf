#!/usr/bin/env bash
# Host instructions the interpreter executes for a fixed guest workload,
# counted by valgrind's callgrind (deterministic, so usable to track host-side
# speed without wall-clock noise). Only `mkjit_icount_measured` (one whole
# guest run) is counted.
#
#   bash bench-suite/callgrind.sh ["BOOTARGS"]      default: "workload=ipc iters=50 warmup=5"
#
# Prints host instructions (Ir), guest instructions, and their ratio. Needs
# valgrind (apt-get install valgrind). Not part of the test command.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
args="${1:-workload=ipc iters=50 warmup=5}"
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
cargo build --release -p mkjit-bench --bin mkjit-icount -j1 >&2
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" --collect-atstart=no \
    --toggle-collect=mkjit_icount_measured target/release/mkjit-icount "$args" >"$out/stdout" 2>"$out/stderr" || {
    echo "callgrind.sh: the run failed:" >&2; cat "$out/stderr" "$out/stdout" >&2; exit 1; }
ir="$(awk '/^(summary|totals):/ {print $2; exit}' "$out/cg.out")"
guest="$(awk '/^guest instret/ {print $3}' "$out/stdout")"
echo "bootargs:                 $args"
echo "host instructions (Ir):   $ir"
echo "guest instructions:       $guest"
awk -v ir="$ir" -v g="$guest" 'BEGIN { if (g > 0) printf "host Ir per guest insn:   %.2f\n", ir / g }'
