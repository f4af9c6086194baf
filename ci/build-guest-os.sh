#!/usr/bin/env bash
# Build the guest OS image guest-os/images/stock.elf reproducibly.
#   bash ci/build-guest-os.sh           build and install the image
#   bash ci/build-guest-os.sh --check   build and compare with the committed image
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
make -C "$GOS" -j2 BUILD="$BUILD" VARIANT=stock
if [ "${1:-}" = "--check" ]; then
    if cmp "$BUILD/stock.elf" "$GOS/images/stock.elf"; then
        echo "guest-os: image matches the committed guest-os/images/stock.elf"
    else
        echo "guest-os: image differs from the committed guest-os/images/stock.elf" >&2
        exit 1
    fi
else
    mkdir -p "$GOS/images"
    cp "$BUILD/stock.elf" "$GOS/images/stock.elf"
    chmod 0644 "$GOS/images/stock.elf"
    echo "guest-os: built $GOS/images/stock.elf ($(wc -c < "$GOS/images/stock.elf") bytes)"
fi
