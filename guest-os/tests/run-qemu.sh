#!/usr/bin/env bash
# Boot the guest OS image on QEMU: once with the empty command line (every
# workload, small sizes) and once per workload; check exit codes and CHECK
# lines; check that the functional output (CHECK/monitor lines) of the
# empty-command-line run is identical under a second, -icount run.
# Usage: tests/run-qemu.sh [IMAGE]
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGE="${1:-$HERE/../images/stock.elf}"
QEMU="${QEMU:-qemu-system-riscv64}"
OUT="${TEST_OUT:-$(mktemp -d)}"
pass=0
fail=0

if ! command -v "$QEMU" >/dev/null 2>&1; then
    echo "run-qemu: $QEMU not found (install with ci/install-guest-toolchain.sh --with-qemu)" >&2
    exit 1
fi

run() { # name, extra qemu args..., -- , bootargs
    local name=$1; shift
    local qargs=()
    while [ "$1" != "--" ]; do qargs+=("$1"); shift; done
    shift
    local args="$*"
    local log="$OUT/$name.log"
    if [ -n "$args" ]; then
        timeout 120 "$QEMU" -M virt -bios none -nographic -m 128M "${qargs[@]}" -kernel "$IMAGE" -append "$args" >"$log" 2>&1 </dev/null
    else
        timeout 120 "$QEMU" -M virt -bios none -nographic -m 128M "${qargs[@]}" -kernel "$IMAGE" >"$log" 2>&1 </dev/null
    fi
    echo $?
}

expect() { # name, condition-description, result(0/1)
    if [ "$3" = 0 ]; then pass=$((pass + 1)); echo "ok   $1: $2"
    else fail=$((fail + 1)); echo "FAIL $1: $2"; fi
}

functional() { grep -E '^(CHECK |monitor: |SUMMARY )' "$1"; }

# 1. empty command line: all workloads, must power off with exit code 0
rc=$(run all --)
expect all "exit code 0 (got $rc)" $([ "$rc" = 0 ]; echo $?)
expect all "no failed CHECK" $(! grep -q '^CHECK .* FAIL' "$OUT/all.log"; echo $?)
n=$(grep -c '^CHECK .* ok$' "$OUT/all.log")
expect all "at least 40 CHECK lines ok (got $n)" $([ "$n" -ge 40 ]; echo $?)

# 2. deterministic functional output: same lines under -icount
rc=$(run all-icount -icount shift=0 --)
expect all-icount "exit code 0 (got $rc)" $([ "$rc" = 0 ]; echo $?)
functional "$OUT/all.log" > "$OUT/all.func"
functional "$OUT/all-icount.log" > "$OUT/all-icount.func"
expect determinism "CHECK/monitor lines identical across runs" $(cmp -s "$OUT/all.func" "$OUT/all-icount.func"; echo $?)

# 3. each workload alone
for w in ipc pingpong rpc bulk file kv irq sched fault restart; do
    rc=$(run "$w" -- "workload=$w")
    expect "$w" "exit code 0 (got $rc)" $([ "$rc" = 0 ]; echo $?)
    expect "$w" "has CHECK lines, none failed" $(grep -q "^CHECK name=$w" "$OUT/$w.log" && ! grep -q '^CHECK .* FAIL' "$OUT/$w.log"; echo $?)
done

# 4. parameters: a larger RPC run with many tasks, instret counter
rc=$(run rpc-many -- "workload=rpc clients=128 servers=16 rpc_calls=20")
expect rpc-many "144 tasks, exit code 0 (got $rc)" $([ "$rc" = 0 ] && grep -q 'metric=tasks value=144' "$OUT/rpc-many.log"; echo $?)
rc=$(run ipc-instret -icount shift=0 -- "workload=ipc counter=instret iters=100")
expect ipc-instret "exit code 0 (got $rc)" $([ "$rc" = 0 ]; echo $?)
rtt=$(sed -n 's/^RESULT workload=ipc series=ipc_rtt_0w_instret metric=p50 value=\([0-9]*\).*/\1/p' "$OUT/ipc-instret.log")
expect ipc-instret "fastpath round trip under 600 instructions (got ${rtt:-none})" $([ -n "$rtt" ] && [ "$rtt" -lt 600 ]; echo $?)

# 5. a failing check must give a non-zero exit code (fs cannot hold a 1 MiB file)
rc=$(run must-fail -- "workload=file filesize=1048576")
expect must-fail "non-zero exit code on failed check (got $rc)" $([ "$rc" != 0 ] && [ "$rc" != 124 ]; echo $?)

echo "logs in $OUT"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
