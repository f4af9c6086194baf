#!/usr/bin/env bash
# Build the guest OS images reproducibly:
#   guest-os/images/stock.elf     (VARIANT=stock: the baseline)
#   guest-os/images/codesign.elf  (VARIANT=codesign: uses the co-design extensions;
#                                  runs on mkjit with --ext xgate,xline,xctx,xuirq,xamsg,xcap)
#   bash ci/build-guest-os.sh           build and install both images
#   bash ci/build-guest-os.sh --check   build both and compare with the committed images
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GOS="$ROOT/guest-os"
for t in clang ld.lld llvm-objcopy llvm-ar make awk; do
    if ! command -v "$t" >/dev/null 2>&1; then
        bash "$ROOT/ci/install-guest-toolchain.sh"
        break
    fi
done
export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=0
BUILD="${GUEST_OS_BUILD:-$GOS/build}"
rm -rf "$BUILD"
status=0
for variant in stock codesign; do
    make -C "$GOS" -j2 BUILD="$BUILD" VARIANT="$variant"
    if [ "${1:-}" = "--check" ]; then
        if cmp "$BUILD/$variant.elf" "$GOS/images/$variant.elf"; then
            echo "guest-os: image matches the committed guest-os/images/$variant.elf"
        else
            echo "guest-os: image differs from the committed guest-os/images/$variant.elf" >&2
            status=1
        fi
    else
        mkdir -p "$GOS/images"
        cp "$BUILD/$variant.elf" "$GOS/images/$variant.elf"
        chmod 0644 "$GOS/images/$variant.elf"
        echo "guest-os: built $GOS/images/$variant.elf ($(wc -c < "$GOS/images/$variant.elf") bytes)"
    fi
done
exit $status
