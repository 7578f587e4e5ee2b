#!/usr/bin/env bash
# install-test-deps.sh — everything the test suite needs, on a bare Debian 12 (run as root).
# Idempotent and fast on re-runs: apt only when a package is missing, pip only when the venv
# cannot import the peers' modules.
#   Debian: krb5-kdc krb5-admin-server krb5-user libkrb5-dev (MIT KDC + krb5-config for the
#           gssapi/krb5 sdists), gcc, g++ (header check) + python3-dev + python3-venv, gss-ntlmssp (GSSAPI NTLM mech),
#           winbind (Samba ntlm_auth), valgrind, gdb (gcore: tests/secrets_core.rs), make,
#           curl/ca-certificates, keyutils (keyctl: the keyring tests act as another uid with it;
#           setpriv comes with util-linux, always there), pkg-config and man-db (groff:
#           tests/install.rs builds against the installed opensspi.pc and renders the man pages),
#           the Samba AD DC of tests/samba_dc.rs (tests/peers/samba-dc/setup-dc.sh): samba samba-ad-dc
#           samba-ad-provision samba-dsdb-modules samba-vfs-modules ldb-tools, iproute2 (ss) and
#           procps (pgrep). The samba packages must not start smbd/nmbd/samba-ad-dc on the machine's
#           interfaces (nmbd would broadcast): while apt runs, a /usr/sbin/policy-rc.d that exits 101
#           (unless one exists) stops invoke-rc.d from starting any daemon.
#   venv:   $OPENSSPI_VENV (default target/peers-venv): gssapi, pyspnego, krb5, sspilib.
# Env: OPENSSPI_VENV, PYTHON (interpreter for the venv, default python3), OPENSSPI_SKIP_APT=1.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${OPENSSPI_VENV:-$ROOT/target/peers-venv}
PY=${PYTHON:-python3}
PKGS="krb5-kdc krb5-admin-server krb5-user libkrb5-dev gcc g++ make pkg-config python3-dev python3-venv
      gss-ntlmssp winbind valgrind gdb ca-certificates keyutils man-db
      samba samba-ad-dc samba-ad-provision samba-dsdb-modules samba-vfs-modules ldb-tools iproute2 procps"
PIP_PKGS="gssapi pyspnego krb5 sspilib"

if [ "${OPENSSPI_SKIP_APT:-0}" != 1 ]; then
  missing=$(for p in $PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"; done)
  if [ -n "$missing" ]; then
    echo "install-test-deps: apt-get install" $missing
    [ "$(id -u)" = 0 ] || { echo "install-test-deps: need root for apt-get" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # krb5-config asks debconf questions (default realm); noninteractive keeps the defaults.
    # It writes /etc/krb5.conf, which the tests never read (they set KRB5_CONFIG).
    made_policy=no
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
      chmod +x /usr/sbin/policy-rc.d
      made_policy=yes
    fi
    rc=0
    apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
    [ $made_policy = no ] || rm -f /usr/sbin/policy-rc.d
    [ $rc = 0 ] || exit $rc
  fi
fi

venv_ok() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import gssapi, spnego, krb5, sspilib' 2>/dev/null
}
if ! venv_ok; then
  echo "install-test-deps: creating venv $VENV (python-gssapi and krb5 build from source, ~2-3 min)"
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check $PIP_PKGS
  venv_ok || { echo "install-test-deps: venv $VENV still cannot import the peer modules" >&2; exit 1; }
fi
"$VENV/bin/python" - <<'PY'
from importlib.metadata import version
print("install-test-deps: venv ok:", ", ".join(f"{p} {version(p)}" for p in ["gssapi", "pyspnego", "krb5", "sspilib"]))
PY
if [ "${OPENSSPI_SKIP_APT:-0}" != 1 ]; then
  for f in /usr/bin/ntlm_auth /usr/sbin/krb5kdc /usr/sbin/kdb5_util /usr/sbin/samba /usr/bin/samba-tool; do
    [ -x "$f" ] || { echo "install-test-deps: $f missing" >&2; exit 1; }
  done
fi
