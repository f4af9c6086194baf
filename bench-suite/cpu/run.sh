#!/usr/bin/env bash
# Runs mkjit's CPU benchmark programs (bench-suite/cpu/images/*.elf, both the
# M-mode and the U-mode/Sv39 build of each) on every mkjit engine, on QEMU and
# as native x86-64 builds of the same C sources, and prints a table of
# wall-clock times and ratios, then mkjit's engine counters.
#
#   bash bench-suite/cpu/run.sh [OPTIONS]
#
#   --quick             small inputs (images/quick/), for a smoke test
#   --engines LIST      mkjit engines, comma-separated (default: interp,jit,
#                       jit only when `mkjit run --help` lists it)
#   --no-qemu           do not run QEMU
#   --no-native         do not build and run the native programs
#   --programs LIST     only these programs (default: all)
#   --modes LIST        m, u or m,u (default m,u)
#   --repeat N          run everything N times, report the fastest (default 1)
#   --timeout SECS      limit per run (default 300, 60 with --quick)
#   --mkjit PATH        mkjit binary (default: $MKJIT or target/release/mkjit,
#                       built with `cargo build --release -j2` when missing)
#   --logs DIR          keep every run's output in DIR
#
# Exit status: 0 when every program passed its self-check everywhere it ran,
# 1 when any failed or timed out, 2 for usage errors.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

all_programs=(sort hash compress matmul vm ptrchase nbody)

usage() { sed -n '2,24s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }

quick=0 engines="" use_qemu=1 use_native=1 programs="" modes="m,u" repeat=1
timeout_s="" mkjit="${MKJIT:-}" logs=""
while (( $# )); do
  case "$1" in
    --quick) quick=1 ;;
    --engines) engines="${2:?}"; shift ;;
    --engines=*) engines="${1#*=}" ;;
    --no-qemu) use_qemu=0 ;;
    --no-native) use_native=0 ;;
    --programs) programs="${2:?}"; shift ;;
    --programs=*) programs="${1#*=}" ;;
    --modes) modes="${2:?}"; shift ;;
    --modes=*) modes="${1#*=}" ;;
    --repeat) repeat="${2:?}"; shift ;;
    --repeat=*) repeat="${1#*=}" ;;
    --timeout) timeout_s="${2:?}"; shift ;;
    --timeout=*) timeout_s="${1#*=}" ;;
    --mkjit) mkjit="${2:?}"; shift ;;
    --mkjit=*) mkjit="${1#*=}" ;;
    --logs) logs="${2:?}"; shift ;;
    --logs=*) logs="${1#*=}" ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown option $1" >&2; usage ;;
  esac
  shift
done
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --repeat wants a positive number" >&2; exit 2; }
[[ -z "$timeout_s" ]] && timeout_s=$(( quick ? 60 : 300 ))
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --timeout wants a positive number of seconds" >&2; exit 2; }

IFS=, read -r -a mode_list <<<"$modes"
for m in "${mode_list[@]}"; do
  [[ "$m" == m || "$m" == u ]] || { echo "run.sh: unknown mode '$m' (m or u)" >&2; exit 2; }
done
if [[ -n "$programs" ]]; then
  IFS=, read -r -a prog_list <<<"$programs"
  for p in "${prog_list[@]}"; do
    [[ " ${all_programs[*]} " == *" $p "* ]] || { echo "run.sh: unknown program '$p' (${all_programs[*]})" >&2; exit 2; }
  done
else
  prog_list=("${all_programs[@]}")
fi

imgdir="$here/images"
(( quick )) && imgdir="$here/images/quick"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ -n "$logs" ]]; then
  mkdir -p "$logs" || exit 2
  logdir="$(cd "$logs" && pwd)"
else
  logdir="$work/logs"
  mkdir -p "$logdir"
fi

# --- mkjit and its engines -------------------------------------------------
if [[ -z "$mkjit" ]]; then
  mkjit="$root/target/release/mkjit"
  if [[ ! -x "$mkjit" ]]; then
    echo "run.sh: building mkjit (cargo build --release -j2) ..." >&2
    (cd "$root" && cargo build --release -j2 >&2) || { echo "run.sh: cargo build failed" >&2; exit 1; }
  fi
fi
[[ -x "$mkjit" ]] || { echo "run.sh: mkjit binary not found: $mkjit" >&2; exit 2; }
# Run a private copy, so that a rebuild of target/release/mkjit while the
# benchmarks run cannot mix two versions in one table.
mkjit_desc="$mkjit ($(date -r "$mkjit" '+%Y-%m-%d %H:%M:%S' 2>/dev/null), $(wc -c <"$mkjit") bytes)"
cp "$mkjit" "$work/mkjit" || exit 1
mkjit="$work/mkjit"

# An engine is available when `mkjit run --help` lists it as a value of
# --engine and mkjit accepts it on a real run (exit code 2 = usage error).
probe_img="$imgdir/${prog_list[0]}-${mode_list[0]}.elf"
engine_available() {
  local e="$1" help rc
  help="$("$mkjit" run --help 2>&1)"
  if ! grep -Eq -- "^[[:space:]]*- $e:|possible values:.*[[:space:],]$e([,\]]|$)" <<<"$help"; then
    return 1
  fi
  timeout 20 "$mkjit" run --engine "$e" --max-insns 1000 "$probe_img" </dev/null >/dev/null 2>&1
  rc=$?
  (( rc != 2 ))
}
if [[ -z "$engines" ]]; then
  engines="interp"
  engine_available jit && engines="interp,jit"
fi
IFS=, read -r -a req_engines <<<"$engines"
engine_list=()
for e in "${req_engines[@]}"; do
  if engine_available "$e"; then
    engine_list+=("$e")
  else
    echo "run.sh: mkjit does not accept --engine $e; skipping it" >&2
  fi
done

qemu=""
if (( use_qemu )); then
  if command -v qemu-system-riscv64 >/dev/null; then
    qemu="$(command -v qemu-system-riscv64)"
  else
    echo "run.sh: qemu-system-riscv64 not found; skipping QEMU" >&2
  fi
fi

# --- native builds ---------------------------------------------------------
CC="${CC:-cc}"
native=0
if (( use_native )); then
  if command -v "$CC" >/dev/null; then
    native=1
    mkdir -p "$work/native"
    for p in "${prog_list[@]}"; do
      # Floating point as the guest computes it: no FMA contraction, sqrt inline.
      # Two builds: as the compiler does it by default (which vectorises
      # some loops with SSE2; the guests' RV64GC has no vector unit), and
      # scalar (-fno-tree-vectorize), a peer with the guest's capabilities.
      for v in "" -scalar; do
        flags=()
        [[ -n "$v" ]] && flags=(-fno-tree-vectorize -fno-tree-slp-vectorize)
        if ! "$CC" -O2 "${flags[@]}" -ffp-contract=off -fno-math-errno -DBENCH_QUICK=$quick -I"$here/src" "$here/src/native.c" "$here/src/$p.c" \
            -o "$work/native/$p$v" 2>"$logdir/native-$p$v.build"; then
          echo "run.sh: native build of $p$v failed:" >&2
          cat "$logdir/native-$p$v.build" >&2
          native=0
        fi
      done
    done
  else
    echo "run.sh: $CC not found; skipping the native builds" >&2
  fi
fi

# --- running ---------------------------------------------------------------
declare -A T      # T[key] = best wall-clock seconds, or FAIL/TIMEOUT
declare -A STATS  # STATS[key] = log file with mkjit's --stats output
failures=0

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# run KEY LOG command...   (stdout+stderr of the command go to LOG.out/LOG.err)
run_one() {
  local key="$1" log="$2" start end rc secs
  shift 2
  start=$(now)
  timeout "$timeout_s" "$@" </dev/null >"$log.out" 2>"$log.err"
  rc=$?
  end=$(now)
  secs=$(elapsed "$start" "$end")
  if (( rc == 124 )); then
    T[$key]="TIMEOUT"
  elif (( rc != 0 )) || ! tr -d '\r' <"$log.out" | grep -Eq '^bench [a-z]+ .*checksum 0x[0-9a-f]+ ok$'; then
    T[$key]="FAIL"
  elif [[ -z "${T[$key]:-}" ]] || awk -v a="$secs" -v b="${T[$key]}" 'BEGIN { exit !(a < b) }'; then
    T[$key]="$secs"
  fi
  case "${T[$key]}" in
    FAIL|TIMEOUT)
      failures=$((failures + 1))
      echo "run.sh: $key: ${T[$key]} (exit code $rc); output:" >&2
      tr -d '\r' <"$log.out" | tail -n 5 | sed 's/^/    /' >&2
      tail -n 5 "$log.err" | sed 's/^/    /' >&2
      ;;
  esac
  printf '  %-28s %s\n' "$key" "${T[$key]}" >&2
  sample_load
}

# The highest 1-minute load average seen between runs.
max_load=0
sample_load() {
  local l
  l=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null) || return 0
  max_load=$(awk -v a="$max_load" -v b="$l" 'BEGIN { print (b > a) ? b : a }')
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "run.sh: $([[ $quick == 1 ]] && echo quick || echo full) run, engines: ${engine_list[*]:-none}, qemu: $([[ -n $qemu ]] && echo yes || echo no), native: $([[ $native == 1 ]] && echo yes || echo no), repeat $repeat" >&2
for ((r = 1; r <= repeat; r++)); do
  for p in "${prog_list[@]}"; do
    if (( native )) && [[ "${T[native/$p]:-}" != FAIL && "${T[native/$p]:-}" != TIMEOUT ]]; then
      run_one "native/$p" "$logdir/native-$p.$r" "$work/native/$p"
      run_one "scalar/$p" "$logdir/native-$p-scalar.$r" "$work/native/$p-scalar"
    fi
    for m in "${mode_list[@]}"; do
      img="$imgdir/$p-$m.elf"
      if [[ -n "$qemu" && "${T[qemu/$p-$m]:-}" != FAIL && "${T[qemu/$p-$m]:-}" != TIMEOUT ]]; then
        run_one "qemu/$p-$m" "$logdir/qemu-$p-$m.$r" "$qemu" -M virt -bios none -nographic -kernel "$img"
      fi
      for e in "${engine_list[@]}"; do
        key="$e/$p-$m"
        [[ "${T[$key]:-}" == FAIL || "${T[$key]:-}" == TIMEOUT ]] && continue
        prev="${T[$key]:-}"
        run_one "$key" "$logdir/mkjit-$e-$p-$m.$r" "$mkjit" run --engine "$e" --stats "$img"
        # Keep the counters of the run whose time is reported.
        if [[ "${T[$key]}" != "$prev" || -z "${STATS[$key]:-}" ]]; then
          STATS[$key]="$logdir/mkjit-$e-$p-$m.$r.err"
        fi
      done
    done
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"

# --- the table -------------------------------------------------------------
is_time() { [[ "$1" =~ ^[0-9]+\.[0-9]+$ ]]; }
ratio() {  # ratio A B -> A/B, or "-" when either is missing
  if is_time "${1:-}" && is_time "${2:-}"; then
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
  else
    printf -- "-"
  fi
}
cell() { local v="${1:-}"; printf '%s' "${v:--}"; }

has_jit=0 has_interp=0
for e in "${engine_list[@]}"; do
  [[ "$e" == jit ]] && has_jit=1
  [[ "$e" == interp ]] && has_interp=1
done

cols=("program" "mode")
(( native )) && cols+=("native s" "scalar s")
[[ -n "$qemu" ]] && cols+=("qemu s")
for e in "${engine_list[@]}"; do cols+=("$e s"); done
if (( has_jit )); then
  [[ -n "$qemu" ]] && cols+=("jit/qemu")
  (( native )) && cols+=("jit/native" "jit/scalar")
  (( has_interp )) && cols+=("interp/jit")
fi

declare -A ratio_logsum ratio_n
row() {  # columns 11 wide, the last one unpadded
  local fmt="" i
  for ((i = 1; i < $#; i++)); do fmt+="%-11s "; done
  # shellcheck disable=SC2059
  printf "${fmt}%s\n" "$@"
}
add_ratio() {  # add_ratio NAME VALUE  (for the geometric means)
  is_time "$2" || return 0
  ratio_logsum[$1]=$(awk -v s="${ratio_logsum[$1]:-0}" -v v="$2" 'BEGIN { printf "%.9f", s + log(v) }')
  ratio_n[$1]=$(( ${ratio_n[$1]:-0} + 1 ))
}

echo
echo "CPU benchmarks ($([[ $quick == 1 ]] && echo "quick inputs" || echo "full inputs")): wall-clock seconds per run (process start to exit$( (( repeat > 1 )) && echo ", fastest of $repeat"))"
echo "ratios: jit/qemu, jit/native and jit/scalar = mkjit-jit time / other time (below 1 = jit faster); interp/jit = speed-up of the jit over the interpreter"
echo "native: gcc -O2 (may vectorise with SSE2); scalar: the same with -fno-tree-vectorize (no vector unit, like the RV64GC guests)"
row "${cols[@]}"
for p in "${prog_list[@]}"; do
  for m in "${mode_list[@]}"; do
    vals=("$p" "$([[ $m == m ]] && echo "M" || echo "U-Sv39")")
    (( native )) && vals+=("$(cell "${T[native/$p]:-}")" "$(cell "${T[scalar/$p]:-}")")
    [[ -n "$qemu" ]] && vals+=("$(cell "${T[qemu/$p-$m]:-}")")
    for e in "${engine_list[@]}"; do vals+=("$(cell "${T[$e/$p-$m]:-}")"); done
    if (( has_jit )); then
      j="${T[jit/$p-$m]:-}"
      if [[ -n "$qemu" ]]; then v=$(ratio "$j" "${T[qemu/$p-$m]:-}"); vals+=("$v"); add_ratio jq "$v"; fi
      if (( native )); then
        v=$(ratio "$j" "${T[native/$p]:-}"); vals+=("$v"); add_ratio jn "$v"
        v=$(ratio "$j" "${T[scalar/$p]:-}"); vals+=("$v"); add_ratio js "$v"
      fi
      if (( has_interp )); then v=$(ratio "${T[interp/$p-$m]:-}" "$j"); vals+=("$v"); add_ratio ij "$v"; fi
    fi
    row "${vals[@]}"
  done
done
if (( has_jit )); then
  vals=("geomean" "")
  (( native )) && vals+=("" "")
  [[ -n "$qemu" ]] && vals+=("")
  for e in "${engine_list[@]}"; do vals+=(""); done
  for k in jq jn js ij; do
    case $k in
      jq) [[ -n "$qemu" ]] || continue ;;
      jn|js) (( native )) || continue ;;
      ij) (( has_interp )) || continue ;;
    esac
    if (( ${ratio_n[$k]:-0} > 0 )); then
      vals+=("$(awk -v s="${ratio_logsum[$k]}" -v n="${ratio_n[$k]}" 'BEGIN { printf "%.2f", exp(s / n) }')")
    else
      vals+=("-")
    fi
  done
  row "${vals[@]}"
fi

# Guest instruction counts and mkjit's own MIPS figures.
if (( ${#engine_list[@]} )); then
  echo
  echo "mkjit --stats: instructions retired, guest MIPS per engine"
  hdr=("program" "mode" "instret")
  for e in "${engine_list[@]}"; do hdr+=("$e MIPS"); done
  row "${hdr[@]}"
  for p in "${prog_list[@]}"; do
    for m in "${mode_list[@]}"; do
      insns="-"
      vals=()
      for e in "${engine_list[@]}"; do
        f="${STATS[$e/$p-$m]:-}"
        mips="-"
        if [[ -n "$f" && -f "$f" ]]; then
          n=$(awk '/^instructions retired/ { print $NF }' "$f")
          [[ -n "$n" && "$insns" == "-" ]] && insns="$n"
          v=$(awk '/^guest MIPS/ { print $NF }' "$f")
          [[ -n "$v" ]] && mips="$v"
        fi
        vals+=("$mips")
      done
      row "$p" "$([[ $m == m ]] && echo "M" || echo "U-Sv39")" "$insns" "${vals[@]}"
    done
  done

  # Engine counters: whatever compile/region/cache lines mkjit printed.
  printed=0
  for e in "${engine_list[@]}"; do
    [[ "$e" == interp ]] && continue
    for p in "${prog_list[@]}"; do
      for m in "${mode_list[@]}"; do
        f="${STATS[$e/$p-$m]:-}"
        [[ -n "$f" && -f "$f" ]] || continue
        line=$(grep -Ei 'compil|region|hit|miss|flush|chain|translat|invalidat|revalid|suspect|deadline|code bytes|tier' "$f" |
          grep -Evi '^(code invalidations|instructions retired|host seconds|guest MIPS)' |
          awk '{ v = $NF; $NF = ""; sub(/[ \t]+$/, ""); gsub(/ /, "_"); printf "%s%s=%s", sep, $0, v; sep = " " }')
        [[ -n "$line" ]] || continue
        # Total compile time, when a counter gives it in us, ms or s, as a
        # share of the run's wall-clock time.
        share=$(awk -v wall="${T[$e/$p-$m]:-}" '
          tolower($0) ~ /compil/ && tolower($0) ~ /(time|us|usec|ms|msec|seconds|secs)[ \t]+[0-9.]+$/ {
            n = split(tolower($0), w, /[ \t]+/); unit = w[n - 1]; v = w[n]
            if (unit == "us" || unit == "usec") s += v / 1e6
            else if (unit == "ms" || unit == "msec") s += v / 1e3
            else if (unit == "s" || unit == "secs" || unit == "seconds") s += v
            else next
            found = 1
          }
          tolower($0) ~ /^jit insns compiled[ \t]/ { insns = $NF }
          tolower($0) ~ /^jit cache hits[ \t]/ { hits = $NF }
          tolower($0) ~ /^jit cache misses[ \t]/ { misses = $NF }
          END {
            if (!found) exit
            if (wall ~ /^[0-9.]+$/ && wall > 0) printf "compile %.3f s = %.0f%% of wall", s, 100 * s / wall
            else printf "compile %.3f s", s
            if (insns > 0) printf ", %.1f us per compiled guest insn", 1e6 * s / insns
            if (hits + misses > 0) printf ", dispatcher lookups finding compiled code %.1f%%", 100 * hits / (hits + misses)
            printf " | "
          }' "$f")
        if (( ! printed )); then
          echo
          echo "engine counters (mkjit --stats lines about compiling, regions, caches)"
          printed=1
        fi
        printf '%-18s %s%s\n' "$e $p-$m" "$share" "$line"
      done
    done
  done
fi

echo
echo "mkjit: $mkjit_desc"
echo "host: $(nproc 2>/dev/null || echo '?') cpus; load average before: ${load_before:-?}, after: ${load_after:-?}; highest 1-min load between runs: $max_load"
if (( failures )); then
  echo "FAILED: $failures run(s) failed their self-check or timed out (logs: ${logs:-rerun with --logs DIR})"
  exit 1
fi
echo "all self-checks passed"
exit 0
