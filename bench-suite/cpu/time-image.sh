#!/usr/bin/env bash
# Times any bare-metal RV64 image built for QEMU's `virt` machine (entry at
# 0x8000_0000, console on the NS16550A UART, exit through the SiFive test
# finisher or HTIF `tohost`) on mkjit and on qemu-system-riscv64 in the same
# run, and optionally a native build of the same program; prints wall-clock
# seconds and ratios. Both emulators must exit 0 and print the same console
# output; a difference is reported and makes the exit status 1.
#
#   bash bench-suite/cpu/time-image.sh [OPTIONS] IMAGE.elf[=NATIVE] ...
#
#   IMAGE.elf=NATIVE    also run the host executable NATIVE (same program, built natively)
#   --engine E          mkjit engine (default jit)
#   --repeat N          run each N times, report the fastest (default 1)
#   --timeout SECS      limit per run (default 300)
#   --mkjit PATH        mkjit binary (default: $MKJIT or target/release/mkjit)
#
# Exit status: 0 when every run exited 0 with matching output, 1 otherwise,
# 2 for usage errors.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

engine=jit repeat=1 timeout_s=300 mkjit="${MKJIT:-}"
images=()
while (( $# )); do
  case "$1" in
    --engine) engine="${2:?}"; shift ;;
    --repeat) repeat="${2:?}"; shift ;;
    --timeout) timeout_s="${2:?}"; shift ;;
    --mkjit) mkjit="${2:?}"; shift ;;
    -h|--help) usage ;;
    -*) echo "time-image.sh: unknown option $1" >&2; usage ;;
    *) images+=("$1") ;;
  esac
  shift
done
(( ${#images[@]} )) || { echo "time-image.sh: no image given" >&2; usage; }
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "time-image.sh: --repeat wants a positive number" >&2; exit 2; }
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || { echo "time-image.sh: --timeout wants a positive number" >&2; exit 2; }
[[ -n "$mkjit" ]] || mkjit="$root/target/release/mkjit"
[[ -x "$mkjit" ]] || { echo "time-image.sh: mkjit not found: $mkjit (cargo build --release)" >&2; exit 2; }
qemu="$(command -v qemu-system-riscv64 || true)"
[[ -n "$qemu" ]] || echo "time-image.sh: qemu-system-riscv64 not found; timing mkjit alone" >&2

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0

# best SECONDS-SO-FAR OUT LOG command... : runs the command, prints the
# fastest time so far (or FAIL), leaves its console output in OUT.
best() {
  local prev="$1" out="$2"
  shift 2
  local start end rc secs
  start=$EPOCHREALTIME
  timeout "$timeout_s" "$@" </dev/null >"$out" 2>"$out.err"
  rc=$?
  end=$EPOCHREALTIME
  if (( rc != 0 )); then
    echo "FAIL"
    return
  fi
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  if [[ "$prev" == "" || "$prev" == FAIL ]] || awk -v a="$secs" -v b="$prev" 'BEGIN { exit !(a < b) }'; then
    [[ "$prev" == FAIL ]] && echo FAIL || echo "$secs"
  else
    echo "$prev"
  fi
}

ratio() { [[ "$1" =~ ^[0-9.]+$ && "$2" =~ ^[0-9.]+$ ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo "-"; }

printf '%-28s %10s %10s %10s %10s %11s\n' image "mkjit s" "qemu s" "native s" "mkjit/qemu" "mkjit/native"
for spec in "${images[@]}"; do
  img="${spec%%=*}"
  nat=""
  [[ "$spec" == *=* ]] && nat="${spec#*=}"
  [[ -f "$img" ]] || { echo "time-image.sh: no such image: $img" >&2; exit 2; }
  [[ -z "$nat" || -x "$nat" ]] || { echo "time-image.sh: native program not executable: $nat" >&2; exit 2; }
  tj="" tq="" tn=""
  for ((r = 0; r < repeat; r++)); do
    tj=$(best "$tj" "$work/mkjit.out" "$mkjit" run --engine "$engine" "$img")
    [[ -n "$qemu" ]] && tq=$(best "$tq" "$work/qemu.out" "$qemu" -M virt -bios none -nographic -kernel "$img")
    [[ -n "$nat" ]] && tn=$(best "$tn" "$work/native.out" "$nat")
  done
  name="$(basename "$img")"
  for t in "$tj" "$tq" "$tn"; do [[ "$t" == FAIL ]] && status=1; done
  if [[ -n "$qemu" && "$tj" != FAIL && "$tq" != FAIL ]] &&
     ! cmp -s <(tr -d '\r' <"$work/mkjit.out") <(tr -d '\r' <"$work/qemu.out"); then
    echo "time-image.sh: $name: console output differs between mkjit and QEMU" >&2
    diff <(tr -d '\r' <"$work/mkjit.out") <(tr -d '\r' <"$work/qemu.out") | head -n 10 >&2
    status=1
  fi
  printf '%-28s %10s %10s %10s %10s %11s\n' "$name" "$tj" "${tq:--}" "${tn:--}" \
    "$(ratio "$tj" "$tq")" "$(ratio "$tj" "$tn")"
done
exit "$status"
