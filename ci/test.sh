#!/usr/bin/env bash
# mkjit's test command (the README's): installs what it needs, checks that the
# committed guest binaries are reproducible, runs every cargo test and clippy,
# and cross-checks the guest programs on QEMU.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

step() { printf '\n== %s\n' "$*"; }

# A one-off build gains nothing from incremental state but its disk space.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step "machine"
printf 'cores: %s\n' "$(nproc)"
df -h "$root" /tmp 2>/dev/null | sed 's/^/disk: /' || true

step "toolchains (clang, lld, llvm, qemu-system-misc)"
bash ci/install-guest-toolchain.sh --with-qemu

step "guest test programs are reproducible"
bash ci/build-guest-tests.sh --check

step "stock guest OS image is reproducible"
GUEST_OS_BUILD="$(mktemp -d)/build" bash ci/build-guest-os.sh --check

step "CPU benchmark images are reproducible"
bash bench-suite/cpu/build.sh --check

step "guest test programs on QEMU (the oracle for their expected results)"
bash runtime/tests/guest/run-qemu.sh

step "cargo test (all crates)"
cargo test --workspace --jobs 2 2>&1

step "clippy (every target, warnings are errors; skipped where clippy is not installed)"
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --workspace --all-targets --jobs 2 -- -D warnings 2>&1
else
  echo "cargo clippy is not installed here; skipped"
fi

step "benchmark regression gate (quick suite against ci/baselines/quick.json)"
cargo build --jobs 2 --bin mkjit 2>&1
MKJIT=target/debug/mkjit bash ci/bench-quick.sh

step "CPU benchmark programs pass their self-checks everywhere (quick sizes; timings are not gated)"
MKJIT=target/debug/mkjit bash bench-suite/cpu/run.sh --quick
