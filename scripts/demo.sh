#!/usr/bin/env bash
# demo.sh — the README's first command: build the library and the C examples, then run
# c-examples/logon_demo: one interactive logon (LsaLogonUser), then a separate process
# authenticates with Negotiate (NTLM inside) to a server process over loopback TCP without any password, a
# sealed message each way, and logoff. Embedded defaults: a throwaway account database
# (DEMO\alice); the logon session lives in the LSA service opensspi-lsad, which the library
# starts on demand (no setting). Needs cargo and a C compiler.
# OPENSSPI_TRACE=stderr scripts/demo.sh --password wrong: every call, and why it was refused.
# scripts/demo.sh kerberos: a throwaway MIT KDC (realm EXAMPLE.TEST, tests/peers/setup-kdc.sh),
# `sspilogon --package Kerberos alice` (the interactive logon: an AS exchange by the LSA, the TGT
# kept by the LSA service, no credential cache), then c-examples/kerberos_demo: a client process
# without a password authenticates with Kerberos to a server process holding a keytab, a sealed
# message each way; logoff. The demo's LSA service is its own (XDG_RUNTIME_DIR in the throwaway
# directory), so it reads the throwaway realm's krb5.conf. Needs krb5-kdc krb5-admin-server
# krb5-user (scripts/install-test-deps.sh) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
command -v cc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc make >/dev/null; }
cargo build --quiet
make --no-print-directory -s -C c-examples OUT="$PWD/target/c-examples" all
[ "${1:-}" = kerberos ] || exec target/c-examples/logon_demo "$@"

shift
DIR=$(mktemp -d /tmp/opensspi-demo-krb.XXXXXX)
end() {
  # Logoff, then the demo's own LSA service goes with the throwaway directory.
  target/debug/sspilogon --logoff >/dev/null 2>&1 || true
  [ ! -s "$DIR/run/opensspi/lsad.pid" ] || kill "$(cat "$DIR/run/opensspi/lsad.pid")" 2>/dev/null || true
  tests/peers/stop-kdc.sh "$DIR" --purge >/dev/null
}
trap end EXIT
mkdir -m 700 "$DIR/run"
export XDG_RUNTIME_DIR="$DIR/run"
PORT=$(tests/peers/free-port.sh)
KDC_PORT=$PORT KADM_PORT=$((PORT + 1)) tests/peers/setup-kdc.sh "$DIR" >/dev/null
. "$DIR/env.sh"
unset KRB5_TRACE_FILE
export PATH="$PATH:/usr/sbin:/sbin"
echo "== a throwaway realm $PEER_REALM: KDC on 127.0.0.1:$PORT, service keytab $KRB5_KTNAME"
# No MIT credential cache: the TGT lives in the logon session, in the LSA service.
export KRB5CCNAME="FILE:$DIR/no-ccache"
echo "== 1. interactive logon: sspilogon --package Kerberos alice (the only time a password is typed)"
printf '%s\n' "$PEER_ALICE_PASS" |
  target/debug/sspilogon --password-stdin --package Kerberos "alice@$PEER_REALM" | sed 's/^/   /'
target/debug/sspilogon --list | sed -n 's/^ *ticket \(krbtgt\/[^,]*\),/   logon session in the LSA: TGT \1,/p'
[ ! -e "$DIR/no-ccache" ] || { echo "demo: a credential cache was written" >&2; exit 1; }
target/c-examples/kerberos_demo "$@"
