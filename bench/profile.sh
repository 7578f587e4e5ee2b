#!/usr/bin/env bash
# profile.sh [perf|callgrind] [sspi_bench options...] — where the time of sspi_bench goes.
#   perf       perf record -g over a handshake-only run (default), then the top of perf report
#   callgrind  valgrind --tool=callgrind over a small run (instruction counts, no timing noise;
#              slow: keep --handshakes small), then the top of callgrind_annotate
# Builds the release library and the bench first. Quiet machine only (load average < 2.5).
set -euo pipefail
cd "$(dirname "$0")/.."
tool=${1:-perf}
shift || true
cargo build --release --lib -q
make -C bench -s bench
lib=$PWD/target/release/libopensspi.so
out=target/profile
mkdir -p "$out"
case "$tool" in
perf)
  args=${*:---handshakes 200000 --rss-every 100000 --mt-handshakes 1 --seal-mb 1 --sign-count 1024 --no-openssl --cmp-handshakes 0}
  # shellcheck disable=SC2086
  perf record -F 999 -g -o "$out/perf.data" bench/sspi_bench "$lib" $args >/dev/null
  perf report -i "$out/perf.data" --no-children --percent-limit 1 --stdio 2>/dev/null |
    grep -E '^ +[0-9.]+%' | head -40
  ;;
callgrind)
  args=${*:---handshakes 2000 --rss-every 1000 --warmup 10 --mt-handshakes 1 --seal-mb 1 --sign-count 1024 --no-openssl --cmp-handshakes 0}
  # shellcheck disable=SC2086
  valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" bench/sspi_bench "$lib" $args >/dev/null
  callgrind_annotate --inclusive=no "$out/callgrind.out" 2>/dev/null | head -45
  ;;
*)
  echo "usage: bench/profile.sh [perf|callgrind] [sspi_bench options...]" >&2
  exit 2
  ;;
esac
