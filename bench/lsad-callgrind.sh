#!/usr/bin/env bash
# lsad-callgrind.sh [N1 N2] — instructions per noninteractive NTLM handshake
# (benches/lsad.rs's loop: AcquireCredentialsHandle + three legs against an
# in-process server), with explicit credentials, with the logon session in
# the in-process memory store, and through the LSA service (the client
# process and opensspi-lsad counted apart): callgrind's totals for N1 and
# N2 handshakes [200 1200], difference / (N2 - N1). No timing noise, so it
# may run on a loaded machine. ANNOTATE=1 also prints the top functions
# of the N2 runs (self cost). Builds the release bench first.
set -euo pipefail
cd "$(dirname "$0")/.."
n1=${1:-200}
n2=${2:-1200}
exe=$(cargo bench --bench lsad --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
lsad=$PWD/target/release/opensspi-lsad
[ -x "$exe" ] && [ -x "$lsad" ] || { echo "no bench executable" >&2; exit 1; }
tmp=$(mktemp -d /tmp/lsad-callgrind.XXXXXX)
svc=
trap '[ -n "$svc" ] && kill "$svc" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -m 0700 "$tmp/run"
printf 'BENCH:alice:alice-Passw0rd\n' >"$tmp/users"
export XDG_RUNTIME_DIR=$tmp/run NTLM_USER_FILE=$tmp/users OPENSSPI_LSAD=$lsad
vg() { valgrind --tool=callgrind --callgrind-out-file="$1" "${@:2}" 2>&1 | sed -n 's/.*Collected : //p'; }

# Instructions of one child run of $n handshakes in mode $1 ($2: store).
run() {
  OPENSSPI_BENCH_LSAD_MODE=$1 OPENSSPI_LSA_STORE=$2 OPENSSPI_BENCH_LSAD_COUNT=$3 \
    vg "$tmp/cg.$1.$3" "$exe"
}

# The same through a service started under callgrind first; prints
# "client service".
run_service() {
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.lsad.$1" \
    "$lsad" --foreground --socket-dir "$tmp/run/opensspi" --idle 0 2>"$tmp/lsad.err" &
  svc=$!
  for _ in $(seq 200); do [ -S "$tmp/run/opensspi/lsad.sock" ] && break; sleep 0.1; done
  local c
  c=$(run service service "$1")
  kill -TERM "$svc"
  wait "$svc" 2>/dev/null || true
  svc=
  rm -f "$tmp/run/opensspi/lsad.sock"
  echo "$c $(sed -n 's/.*Collected : //p' "$tmp/lsad.err")"
}

per() { echo $((($2 - $1) / (n2 - n1))); }
for mode in explicit memory; do
  a=$(run $mode memory "$n1")
  b=$(run $mode memory "$n2")
  echo "$mode: $(per "$a" "$b") instructions per handshake"
done
read -r ca sa < <(run_service "$n1")
read -r cb sb < <(run_service "$n2")
c=$(per "$ca" "$cb")
s=$(per "$sa" "$sb")
echo "service: $((c + s)) instructions per handshake (client $c + opensspi-lsad $s)"
if [ "${ANNOTATE:-}" = 1 ]; then
  for f in explicit.$n2 memory.$n2 service.$n2 lsad.$n2; do
    echo "== $f"
    callgrind_annotate --inclusive=no "$tmp/cg.$f" 2>/dev/null | sed -n '/^Ir/,$p' | head -30 || true
  done
fi
