#!/usr/bin/env bash
# fuzz.sh SECONDS [TARGET...] — run every cargo-fuzz target of fuzz/ (or the named ones) for
# SECONDS each, one after the other, on one core. Seeds: fuzz/seeds/<target>/ (committed, made
# by `cargo run --example gen_fuzz_seeds`) are merged into fuzz/corpus/<target>/ (not committed).
# Prints per target: executions, executions/s, corpus size and new crash artifacts
# (fuzz/artifacts/<target>/); exits 1 when any target crashed.
#
# Stable Rust: cargo-fuzz passes -Z flags, so RUSTC_BOOTSTRAP=1 is exported. Needs
# `cargo install cargo-fuzz`. On a shared machine, runs longer than 60 s refuse to start while
# the 1-minute load average is >= 2.5 (OPENSSPI_FUZZ_FORCE=1 overrides).
# Env: FUZZ_SANITIZER (default address; "none" is faster), FUZZ_ARGS (extra libFuzzer flags).
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1

secs=${1:-}
if ! [[ "$secs" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh SECONDS [TARGET...]" >&2
  exit 2
fi
shift
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: cargo-fuzz missing: cargo install cargo-fuzz" >&2
  exit 2
fi
load=$(cut -d' ' -f1 /proc/loadavg)
if [ "$secs" -gt 60 ] && [ "${OPENSSPI_FUZZ_FORCE:-0}" != 1 ] &&
  awk -v l="$load" 'BEGIN { exit !(l >= 2.5) }'; then
  echo "fuzz.sh: load average $load >= 2.5 on a shared machine; not starting a long run" >&2
  echo "         (OPENSSPI_FUZZ_FORCE=1 to run anyway)" >&2
  exit 2
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
sanitizer=${FUZZ_SANITIZER:-address}
cargo fuzz build -s "$sanitizer" >/dev/null 2>&1 || { echo "fuzz.sh: cargo fuzz build failed" >&2; exit 2; }
crashed=0
printf '%-28s %12s %10s %8s %8s\n' target executions exec/s corpus crashes
summary=""
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  [ -d "seeds/$t" ] && cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null
  before=$(find "artifacts/$t" -type f | wc -l)
  log=$(mktemp)
  # shellcheck disable=SC2086
  cargo fuzz run -s "$sanitizer" "$t" "corpus/$t" -- -max_total_time="$secs" \
    -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 ${FUZZ_ARGS:-} >"$log" 2>&1
  rc=$?
  after=$(find "artifacts/$t" -type f | wc -l)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "corpus/$t" -type f | wc -l)
  new=$((after - before))
  if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
    crashed=1
    grep -E "panicked|ERROR: AddressSanitizer|SUMMARY|Test unit written|==[0-9]+==" "$log" | head -8
  fi
  line=$(printf '%-28s %12s %10s %8s %8s' "$t" "${execs:-?}" "${rate:-?}" "$corpus" "$new")
  echo "$line"
  summary="$summary$line"$'\n'
  rm -f "$log"
done
echo "--- fuzz.sh $secs s per target, sanitizer $sanitizer, load at start $load"
printf '%s' "$summary"
exit $crashed
