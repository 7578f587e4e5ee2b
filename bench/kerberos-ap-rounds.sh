#!/usr/bin/env bash
# kerberos-ap-rounds.sh LIB... — AP exchanges/s (cached service ticket, mutual authentication,
# one thread) of MIT's gss_bench and of sspi_bench with each LIB, interleaved in ROUNDS rounds
# (each round: MIT, then every LIB in turn, adjacent in time) in one throwaway realm, then the
# medians and the median per-round ratio of each LIB to MIT. On a loaded machine only figures
# of the same round compare. With CALLGRIND=1 it also prints each LIB's instructions per AP
# exchange: callgrind over N and 3N handshakes, the difference / 2N (no kernel time).
# Env (defaults): ROUNDS (7), HANDSHAKES (10000), WARMUP (200), CLOCKSKEW (5), N (500).
# Needs: make -C bench sspi_bench gss_bench; krb5-kdc krb5-admin-server krb5-user (valgrind).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 LIB..." >&2; exit 2; }
ROUNDS=${ROUNDS:-7}
HANDSHAKES=${HANDSHAKES:-10000}
WARMUP=${WARMUP:-200}
make -s -C "$ROOT/bench" sspi_bench gss_bench

DIR=$(mktemp -d /tmp/opensspi-krbrounds.XXXXXX)
trap '"$ROOT/tests/peers/stop-kdc.sh" "$DIR" --purge >/dev/null' EXIT
PORT=$("$ROOT/tests/peers/free-port.sh")
KDC_PORT=$PORT KADM_PORT=$((PORT + 1)) "$ROOT/tests/peers/setup-kdc.sh" "$DIR" >/dev/null
sed -i "s/^\[libdefaults\]\$/[libdefaults]\n    clockskew = ${CLOCKSKEW:-5}/" "$DIR/krb5.conf"
# shellcheck disable=SC1091
. "$DIR/env.sh"
unset KRB5_TRACE_FILE OPENSSPI_TRACE
export KRB5RCACHEDIR=$DIR
export PATH="$PATH:/usr/sbin:/sbin"
printf '%s\n' "$PEER_ALICE_PASS" | kinit alice >/dev/null
kvno host/localhost >/dev/null

rate() { sed -n 's/.*"handshakes_per_sec":\([0-9.]*\).*/\1/p' | tail -1; }
mit() {
  "$ROOT/bench/gss_bench" --handshakes "$1" --rss-every "$1" --warmup "$WARMUP" \
    --mt-handshakes 1 --wrap-mb 0 --mic-count 0
}
ours() {
  "$ROOT/bench/sspi_bench" "$1" --package Kerberos --target host/localhost --handshakes "$2" \
    --rss-every "$2" --warmup "$WARMUP" --mt-handshakes 1 --seal-mb 0 --sign-count 0 \
    --no-openssl --logons 0 --cmp-handshakes 0
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
results=$DIR/rounds.txt
for r in $(seq 1 "$ROUNDS"); do
  line="$(mit "$HANDSHAKES" | rate)"
  for lib in "$@"; do line="$line $(ours "$lib" "$HANDSHAKES" | rate)"; done
  echo "round $r: MIT $line" | sed 's/MIT \([^ ]*\)/MIT \1 ours/'
  echo "$line" >>"$results"
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" "$@" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
libs = sys.argv[2:]
print(f"median MIT {statistics.median(r[0] for r in rows):.0f}/s")
for i, lib in enumerate(libs, 1):
    med = statistics.median(r[i] for r in rows)
    ratio = statistics.median(r[i] / r[0] for r in rows)
    print(f"median {lib}: {med:.0f}/s, median per-round ratio to MIT {ratio:.2f}x")
PY

if [ "${CALLGRIND:-0}" = 1 ]; then
  N=${N:-500}
  ir() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
      sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
  }
  for lib in "$@"; do
    a=$(ir "$ROOT/bench/sspi_bench" "$lib" --package Kerberos --target host/localhost \
      --handshakes "$N" --rss-every "$N" --warmup 0 --mt-handshakes 1 --seal-mb 0 \
      --sign-count 0 --no-openssl --logons 0 --cmp-handshakes 0)
    b=$(ir "$ROOT/bench/sspi_bench" "$lib" --package Kerberos --target host/localhost \
      --handshakes $((3 * N)) --rss-every $((3 * N)) --warmup 0 --mt-handshakes 1 --seal-mb 0 \
      --sign-count 0 --no-openssl --logons 0 --cmp-handshakes 0)
    echo "callgrind $lib: $(((b - a) / (2 * N))) instructions per AP exchange"
  done
  a=$(ir "$ROOT/bench/gss_bench" --handshakes "$N" --rss-every "$N" --warmup 0 \
    --mt-handshakes 1 --wrap-mb 0 --mic-count 0)
  b=$(ir "$ROOT/bench/gss_bench" --handshakes $((3 * N)) --rss-every $((3 * N)) --warmup 0 \
    --mt-handshakes 1 --wrap-mb 0 --mic-count 0)
  echo "callgrind MIT gss_bench: $(((b - a) / (2 * N))) instructions per AP exchange"
fi
