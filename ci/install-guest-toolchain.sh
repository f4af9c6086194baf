#!/usr/bin/env bash
# Install the toolchain used to build the guest OS (Debian packages).
# Runs as root in CI, non-interactively. Pass --with-qemu to also install
# QEMU for guest-os/tests/run-qemu.sh.
set -euo pipefail
pkgs=()
command -v clang >/dev/null 2>&1 || pkgs+=(clang)
command -v ld.lld >/dev/null 2>&1 || pkgs+=(lld)
{ command -v llvm-objcopy >/dev/null 2>&1 && command -v llvm-ar >/dev/null 2>&1; } || pkgs+=(llvm)
command -v make >/dev/null 2>&1 || pkgs+=(make)
command -v awk >/dev/null 2>&1 || pkgs+=(mawk)
if [ "${1:-}" = "--with-qemu" ]; then
    command -v qemu-system-riscv64 >/dev/null 2>&1 || pkgs+=(qemu-system-misc)
fi
if [ ${#pkgs[@]} -eq 0 ]; then
    echo "guest toolchain: all tools present"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${pkgs[@]}" </dev/null
