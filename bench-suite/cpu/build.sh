#!/usr/bin/env bash
# Builds the CPU benchmark images with clang + ld.lld, reproducibly (no debug
# information, no build id, fixed relative paths: the same toolchain gives the
# same bytes):
#
#   images/NAME-m.elf         full size, M-mode, no paging    (start_m.S)
#   images/NAME-u.elf         full size, U-mode under Sv39    (start_u.S)
#   images/quick/NAME-{m,u}.elf   the same with BENCH_QUICK=1 (small inputs)
#
#   bash bench-suite/cpu/build.sh           build all images
#   bash bench-suite/cpu/build.sh --check   build into a scratch directory and
#                                           fail if any image differs
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CLANG="${CLANG:-clang}"
LLD="${LLD:-ld.lld}"

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

for tool in "$CLANG" "$LLD"; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found (apt-get install clang lld)" >&2; exit 1; }
done

# The programs, one kernel source each: integer ones for RV64IMAC, and
# floating-point ones for RV64IMAFDC with the hard-float ABI (their start-up
# and harness are built that way too: the ABIs do not link together).
programs=(sort hash compress matmul vm ptrchase)
fp_programs=(nbody)

common=(--target=riscv64-unknown-elf -mcmodel=medany
        -mno-relax -O2 -ffreestanding -nostdlib -fno-pic -fno-stack-protector
        -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-ident
        -Wall -Wextra -Werror -Isrc)
int_flags=("${common[@]}" -march=rv64imac -mabi=lp64)
# No fused multiply-add contraction: the native build (x86-64 without FMA)
# must round every operation as the guest does.
fp_flags=("${common[@]}" -march=rv64imafdc -mabi=lp64d -ffp-contract=off -fno-math-errno)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="$here/images"
if (( check )); then
  out="$work/images"
fi
mkdir -p "$out/quick"

cd "$here"
export SOURCE_DATE_EPOCH=0
status=0
for quick in 0 1; do
  dest="$out"
  (( quick )) && dest="$out/quick"
  obj="$work/obj$quick"
  mkdir -p "$obj"
  for kind in int fp; do
    if [[ $kind == int ]]; then
      cflags=("${int_flags[@]}"); list=("${programs[@]}")
    else
      cflags=("${fp_flags[@]}"); list=("${fp_programs[@]}")
    fi
    "$CLANG" "${cflags[@]}" -c src/start_m.S -o "$obj/start_m_$kind.o"
    "$CLANG" "${cflags[@]}" -c src/start_u.S -o "$obj/start_u_$kind.o"
    "$CLANG" "${cflags[@]}" -c src/guest.c -o "$obj/guest_m_$kind.o"
    "$CLANG" "${cflags[@]}" -DBENCH_USER -c src/guest.c -o "$obj/guest_u_$kind.o"
    for name in "${list[@]}"; do
      "$CLANG" "${cflags[@]}" -DBENCH_QUICK=$quick -c "src/$name.c" -o "$obj/$name.o"
      for mode in m u; do
        "$LLD" -T src/link.ld --build-id=none -static -nostdlib \
          -o "$dest/$name-$mode.elf" "$obj/start_${mode}_$kind.o" "$obj/guest_${mode}_$kind.o" "$obj/$name.o"
      done
    done
  done
done

if (( check )); then
  for f in "$out"/*.elf "$out"/quick/*.elf; do
    rel="${f#"$out"/}"
    if ! cmp -s "$f" "$here/images/$rel"; then
      echo "differs: images/$rel" >&2
      status=1
    fi
  done
  (( status == 0 )) && echo "all images match their sources"
else
  echo "built $(ls "$out"/*.elf "$out"/quick/*.elf | wc -l) images in $out"
fi
exit $status
