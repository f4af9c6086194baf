#!/usr/bin/env bash
# Builds mkjit's guest test programs (runtime/tests/guest/src/*.S) into
# runtime/tests/guest/bin/NAME.elf with clang + ld.lld, reproducibly: no debug
# information, no build id, fixed relative paths, so every build with the same
# toolchain gives the same bytes.
#
#   bash ci/build-guest-tests.sh           build all programs
#   bash ci/build-guest-tests.sh --check   build into a scratch directory and
#                                          fail if any differs from bin/
#
# Programs are assembled for rv64imac unless the source has a line
# `/* march: ISA */` (e.g. `/* march: rv64imafdc */`), which names the base
# ISA string to use instead.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
guest="$root/runtime/tests/guest"
CLANG="${CLANG:-clang}"
LLD="${LLD:-ld.lld}"

check=0
if [[ "${1:-}" == "--check" ]]; then
  check=1
fi

for tool in "$CLANG" "$LLD"; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found (apt-get install clang lld)" >&2; exit 1; }
done

# LLVM 14 knows Zicsr/Zifencei only as part of the base ISA and rejects them
# in -march; newer versions want them spelled out.
march_ext=_zicsr_zifencei
if ! echo | "$CLANG" --target=riscv64-unknown-elf -march=rv64imac$march_ext -x assembler -c - -o /dev/null 2>/dev/null; then
  march_ext=
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="$guest/bin"
if (( check )); then
  out="$work/bin"
fi
mkdir -p "$out" "$work/obj"

cd "$guest"
export SOURCE_DATE_EPOCH=0
status=0
for src in src/*.S; do
  name="$(basename "$src" .S)"
  base="$(sed -n 's|^/\* march: \([a-z0-9_]*\) \*/$|\1|p' "$src" | head -n 1)"
  march="${base:-rv64imac}$march_ext"
  "$CLANG" --target=riscv64-unknown-elf -march=$march -mabi=lp64 \
    -mcmodel=medany -mno-relax -nostdlib -static -ffreestanding \
    -Isrc -c "$src" -o "$work/obj/$name.o"
  "$LLD" -T src/link.ld --build-id=none -static -o "$work/obj/$name.elf" "$work/obj/$name.o"
  if (( check )); then
    if ! cmp -s "$work/obj/$name.elf" "bin/$name.elf"; then
      echo "differs: bin/$name.elf" >&2
      status=1
    fi
  else
    cp "$work/obj/$name.elf" "$out/$name.elf"
  fi
done

if (( ! check )); then
  # Drop programs whose source is gone.
  for elf in bin/*.elf; do
    [[ -e "$elf" ]] || continue
    name="$(basename "$elf" .elf)"
    [[ -e "src/$name.S" ]] || rm -f "$elf"
  done
fi
exit $status
