#!/usr/bin/env bash
# Runs the guest test programs (bin/*.elf, built by ci/build-guest-tests.sh)
# on QEMU's virt board, which is the reference for their expected results:
#
#   runtime/tests/guest/run-qemu.sh            run them all
#   runtime/tests/guest/run-qemu.sh NAME...    run some (e.g. rv64m paging)
#
# A program passes when QEMU exits with status 0 (finisher 0x5555) within 20 s
# and, if its source has an "expect-output: TEXT" line, TEXT appears on the
# console. A failing program exits with the number of the failed check.
# Prints one line per program and a final "N passed, N failed" line; the exit
# status is 1 if any failed. QEMU=... selects another qemu-system-riscv64.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
QEMU="${QEMU:-qemu-system-riscv64}"
if ! command -v "$QEMU" >/dev/null; then
  echo "error: $QEMU not found (apt-get install qemu-system-misc)" >&2
  exit 2
fi

if (( $# )); then
  elfs=()
  for name in "$@"; do
    elfs+=("$here/bin/${name%.elf}.elf")
  done
else
  elfs=("$here"/bin/*.elf)
fi

passed=0
failed=0
for elf in "${elfs[@]}"; do
  name="$(basename "$elf" .elf)"
  if [[ ! -f "$elf" ]]; then
    echo "FAIL  $name (no $elf; run ci/build-guest-tests.sh)"
    failed=$((failed + 1))
    continue
  fi
  output="$(timeout 20 "$QEMU" -M virt -bios none -nographic -kernel "$elf" </dev/null 2>&1)"
  status=$?
  verdict=""
  case $status in
    0) ;;
    124) verdict="timeout" ;;
    255) verdict="failed before its first check, or QEMU error" ;;
    *) verdict="check $status failed" ;;
  esac
  if [[ -z "$verdict" && -f "$here/src/$name.S" ]]; then
    while IFS= read -r want; do
      if [[ "$output" != *"$want"* ]]; then
        verdict="console output lacks: $want"
        break
      fi
    done < <(sed -n 's/^.*expect-output: //p' "$here/src/$name.S")
  fi
  if [[ -z "$verdict" ]]; then
    echo "PASS  $name"
    passed=$((passed + 1))
  else
    echo "FAIL  $name ($verdict)"
    failed=$((failed + 1))
  fi
done

echo "$passed passed, $failed failed"
(( failed == 0 ))
