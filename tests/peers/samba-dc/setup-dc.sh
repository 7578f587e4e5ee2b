#!/usr/bin/env bash
# Adapted from the Samba AD DC exploration of 2026-11-25 (reference/samba-dc/setup-dc.sh, its README
# documents the confinement and the measurements); changes here: MEMBER1$ and the DC's own SPNs are
# optional (MEMBER1=yes, DC_SPNS=yes) and the svc principal is not exported, to keep the test fixture
# (tests/samba_dc.rs) quick; the keytab holds host/ and HTTP/svc.<realm>.
#
# setup-dc.sh DIR — provision (or reuse) a throwaway Samba AD domain controller whose whole state lives in
# DIR, and start it in the background, listening on ONE loopback address only (default 127.0.0.2).
#
# Debian 12 packages needed (scripts/install-test-deps.sh): samba samba-ad-dc samba-ad-provision
#   samba-dsdb-modules samba-vfs-modules winbind krb5-user ldb-tools iproute2 (ss) procps (pgrep)
#
# Env knobs (all optional):
#   REALM        AD.EXAMPLE.TEST          DOMAIN      ADEXAMPLE (NetBIOS)
#   DC_IP        127.0.0.2 (must be in 127.0.0.0/8; anything else is refused)
#   DC_HOST      dc1  (NetBIOS name DC1, FQDN dc1.<realm lowercased>)
#   ADMIN_PASS   Admin-Passw0rd1          ALICE_PASS  Alice-Passw0rd1      SVC_PASS  Svc-Passw0rd1
#   MEMBER_PASS  Member-Passw0rd1 (password of the pre-created computer account MEMBER1$)
#   SVC_ENCTYPES 28 (msDS-SupportedEncryptionTypes of svc: 4=RC4 8=AES128 16=AES256; "" = leave unset)
#   NTLM_AUTH    ntlmv2-only  (smb.conf "ntlm auth"; "yes" also allows NTLMv1)
#   DNS          none (default: --dns-backend=NONE, no DNS server) | internal (SAMBA_INTERNAL DNS on DC_IP:53,
#                with SRV records for the realm and no forwarder)
#   TLS          no   (yes = LDAPS 636/3269 + StartTLS; costs a self-signed RSA key generation at first start)
#   PROCESS_MODEL  prefork (Samba default) | single (all AD services in one process, less memory)
#   PREFORK_CHILDREN 4 (Samba default: workers per prefork service — kdc, ldap, rpc)
#   READY_TIMEOUT 60 (seconds to wait for KDC/LDAP/SMB/RPC/winbindd)
#   MEMBER1      no   (yes: also the computer account MEMBER1$ with MEMBER_PASS and DIR/member1.keytab,
#                for NETLOGON secure-channel tests)
#   DC_SPNS      no   (yes: samba_spnupdate adds the DC's own ldap/, GC/, RestrictedKrbHost/ SPNs, needed
#                for Kerberos LDAP binds to the DC; cifs/ and host/ of the DC work without)
#
# What it does:
#   1. samba-tool domain provision --targetdir=DIR --dns-backend=NONE
#   2. replaces DIR/etc/smb.conf by one that keeps EVERY path inside DIR and binds only DC_IP
#      (interfaces = DC_IP/8 — Samba "fakes up" an interface for an IP/mask that is no assigned address —
#      bind interfaces only = yes, no NetBIOS/nbt/WINS, no dnsupdate, no drepl/kcc, no printers)
#   3. creates users alice, svc (+SPNs host/svc.FQDN, HTTP/svc.FQDN, keytab DIR/svc.keytab),
#      with MEMBER1=yes computer MEMBER1$ with a known password (keytab DIR/member1.keytab); passwords
#      never expire
#   4. writes DIR/krb5.conf (KDC = DC_IP, TCP only, no DNS), DIR/env.sh, DIR/bin/ns (see below)
#   5. starts `samba -F` inside DIR/bin/ns (setsid, background, pid in DIR/run/samba.fg.pid), waits until ready
# DIR/bin/ns CMD... runs CMD in a private MOUNT namespace (unshare -m; the network is the host's) in which
#   /etc/resolv.conf -> DIR/ns/resolv.conf (nameserver DC_IP only: no DNS query can leave the host),
#   /etc/hosts -> DIR/ns/hosts (realm names -> 127.0.0.x), /etc/krb5.conf -> DIR/krb5.conf,
#   /etc/samba/smb.conf -> DIR/etc/smb.conf, /run/samba -> DIR/run (libwbclient's compiled-in winbindd socket
#   dir, so smbd, wbinfo and ntlm_auth reach THIS DC's winbindd), /var/log/samba -> DIR/log (samba-dcerpcd
#   and rpcd_* ignore "log file"), /var/lib/samba, /var/cache/samba -> DIR/var/{lib,cache}.
#   The host's files are never modified; every samba-tool/samba call of this script runs inside it.
# Re-running with an existing DIR/private/sam.ldb skips 1-4 and only (re)starts the DC if it is not running.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
REALM=${REALM:-AD.EXAMPLE.TEST}
DOMAIN=${DOMAIN:-ADEXAMPLE}
DC_IP=${DC_IP:-127.0.0.2}
DC_HOST=${DC_HOST:-dc1}
ADMIN_PASS=${ADMIN_PASS:-Admin-Passw0rd1}
ALICE_PASS=${ALICE_PASS:-Alice-Passw0rd1}
SVC_PASS=${SVC_PASS:-Svc-Passw0rd1}
MEMBER_PASS=${MEMBER_PASS:-Member-Passw0rd1}
SVC_ENCTYPES=${SVC_ENCTYPES-28}
NTLM_AUTH=${NTLM_AUTH:-ntlmv2-only}
DNS=${DNS:-none}
TLS=${TLS:-no}
PROCESS_MODEL=${PROCESS_MODEL:-prefork}
PREFORK_CHILDREN=${PREFORK_CHILDREN:-4}
READY_TIMEOUT=${READY_TIMEOUT:-60}
MEMBER1=${MEMBER1:-no}
DC_SPNS=${DC_SPNS:-no}
export PATH="$PATH:/usr/sbin:/sbin"

case "$DC_IP" in
  127.*) ;;
  *) echo "DC_IP=$DC_IP refused: only 127.0.0.0/8 is allowed" >&2; exit 2;;
esac
for b in samba samba-tool smbd winbindd kinit ldbsearch wbinfo unshare ss pgrep; do
  command -v "$b" >/dev/null 2>&1 || { echo "missing $b: run scripts/install-test-deps.sh" >&2; exit 3; }
done
# bind-mount targets of DIR/bin/ns: the directories are made if missing (/run/samba is gone after a
# reboot, and no daemon of the packages ever started to make it); the files come with the packages
for d in /run/samba /var/log/samba /var/lib/samba /var/cache/samba; do
  [ -d "$d" ] || mkdir -p "$d" || { echo "cannot make $d (bind-mount target for DIR/bin/ns)" >&2; exit 3; }
done
for f in /etc/resolv.conf /etc/hosts /etc/krb5.conf /etc/samba/smb.conf; do
  [ -e "$f" ] || { echo "missing $f (bind-mount target for DIR/bin/ns)" >&2; exit 3; }
done

realm_lc=$(echo "$REALM" | tr 'A-Z' 'a-z')
FQDN="$DC_HOST.$realm_lc"
SVC_FQDN="svc.$realm_lc"
CONF="$DIR/etc/smb.conf"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }
dc_running() { [ -f "$DIR/run/samba.fg.pid" ] && kill -0 "$(cat "$DIR/run/samba.fg.pid")" 2>/dev/null; }

# write_ns_wrapper FILE RUNDIR SMBCONF LOGDIR VARDIR — see header; a bind whose source does not exist
# (yet) is skipped
write_ns_wrapper() {
  mkdir -p "$(dirname "$1")" "$4" "$5/lib" "$5/cache"
  cat > "$1" <<WRAP
#!/bin/sh
# usage: $1 CMD [ARGS...] — run CMD in a private mount namespace (network = host's); the host's files are
# untouched, CMD sees: /etc/resolv.conf /etc/hosts /etc/krb5.conf /etc/samba/smb.conf /run/samba
# /var/log/samba /var/lib/samba /var/cache/samba from $DIR
[ \$# -ge 1 ] || { echo "usage: \$0 CMD [ARGS...]" >&2; exit 2; }
exec unshare --mount --propagation private /bin/sh -c '
  b() { [ -e "\$1" ] || return 0; mount --bind "\$1" "\$2" || exit 125; }
  b $DIR/ns/resolv.conf /etc/resolv.conf
  b $DIR/ns/hosts /etc/hosts
  b $DIR/krb5.conf /etc/krb5.conf
  b $3 /etc/samba/smb.conf
  b $2 /run/samba
  b $4 /var/log/samba
  b $5/lib /var/lib/samba
  b $5/cache /var/cache/samba
  exec "\$@"' sh "\$@"
WRAP
  chmod +x "$1"
}

write_smb_conf() {
  # keep the shares provision wrote ([sysvol], [netlogon]); drop [homes] [printers] [print$]
  local shares services="s3fs, rpc, ldap, cldap, kdc, winbindd"
  shares=$(awk '/^\[sysvol\]/{p=1} /^\[(homes|printers|print\$)\]/{p=0} p' "$CONF")
  [ "$DNS" = internal ] && services="$services, dns"
  mkdir -p "$DIR/run/ncalrpc" "$DIR/run/winbindd" "$DIR/run/ntp_signd" "$DIR/log" "$DIR/usershares"
  cat > "$CONF" <<CONF
# written by setup-dc.sh — every path is inside $DIR; only $DC_IP is bound
[global]
	netbios name = $(echo "$DC_HOST" | tr 'a-z' 'A-Z')
	workgroup = $DOMAIN
	realm = $REALM
	server role = active directory domain controller
	# not started: nbt/wrepl (NetBIOS), dnsupdate (would nsupdate the resolv.conf servers),
	# drepl/kcc (no replication partners), ntp_signd; dns only with DNS=internal
	server services = $services
	interfaces = $DC_IP/8
	bind interfaces only = yes
	disable netbios = yes
	smb ports = 445
	dns forwarder =
	dns update command = /bin/true
	spn update command = /bin/true
	nsupdate command = /bin/true
	name resolve order = host
	private dir = $DIR/private
	lock directory = $DIR
	state directory = $DIR/state
	cache directory = $DIR/cache
	binddns dir = $DIR/bind-dns
	pid directory = $DIR/run
	ncalrpc dir = $DIR/run/ncalrpc
	winbindd socket directory = $DIR/run/winbindd
	ntp signd socket directory = $DIR/run/ntp_signd
	usershare path = $DIR/usershares
	log file = $DIR/log/log.%m
	logging = file
	log level = 1 auth_audit:3 auth_json_audit:3
	max log size = 0
	panic action =
	load printers = no
	printing = bsd
	printcap name = /dev/null
	disable spoolss = yes
	tls enabled = $TLS
	ntlm auth = $NTLM_AUTH
	prefork children = $PREFORK_CHILDREN

$shares
CONF
}

write_client_conf() {
  # for smbclient/rpcclient/net used as CLIENTS of the DC: caches in DIR, no NetBIOS
  mkdir -p "$DIR/client"
  cat > "$DIR/etc/client.conf" <<CONF
[global]
	workgroup = $DOMAIN
	realm = $REALM
	netbios name = CLIENTWS
	security = user
	disable netbios = yes
	name resolve order = host
	client min protocol = SMB2
	private dir = $DIR/client
	lock directory = $DIR/client
	state directory = $DIR/client
	cache directory = $DIR/client
	pid directory = $DIR/client
	ncalrpc dir = $DIR/client/ncalrpc
	log file = $DIR/log/client.%m
	logging = file
	load printers = no
CONF
}

write_krb5_conf() {
  cat > "$DIR/krb5.conf" <<CONF
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	dns_canonicalize_hostname = false
	rdns = false
	udp_preference_limit = 1
	default_ccache_name = FILE:$DIR/krb5cc
	default_keytab_name = FILE:$DIR/svc.keytab
	forwardable = true

[realms]
	$REALM = {
		kdc = $DC_IP
		admin_server = $DC_IP
		kpasswd_server = $DC_IP
		default_domain = $realm_lc
	}

[domain_realm]
	.$realm_lc = $REALM
	$realm_lc = $REALM
	$DC_IP = $REALM
CONF
}

write_ns_files() {
  mkdir -p "$DIR/ns"
  printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$DC_IP" > "$DIR/ns/resolv.conf"
  printf '%s\n' "127.0.0.1 localhost" "$DC_IP $FQDN $DC_HOST" \
    "127.0.0.3 member1.$realm_lc member1 $SVC_FQDN" "127.0.0.4 member2.$realm_lc member2" > "$DIR/ns/hosts"
  write_ns_wrapper "$DIR/bin/ns" "$DIR/run" "$CONF" "$DIR/log" "$DIR/var"
}

write_env() {
  cat > "$DIR/env.sh" <<ENV
# . $DIR/env.sh   (clients of the DC; \$SDC_NS CMD runs CMD in the DC's mount-namespace view)
export KRB5_CONFIG=$DIR/krb5.conf
export KRB5CCNAME=FILE:$DIR/krb5cc
export KRB5_KTNAME=FILE:$DIR/svc.keytab
export SDC_DIR=$DIR
export SDC_NS=$DIR/bin/ns
export SDC_CONF=$CONF
export SDC_CLIENT_CONF=$DIR/etc/client.conf
export SDC_REALM=$REALM
export SDC_DOMAIN=$DOMAIN
export SDC_IP=$DC_IP
export SDC_FQDN=$FQDN
export SDC_SVC_SPN=host/$SVC_FQDN
export SDC_ADMIN_PASS='$ADMIN_PASS'
export SDC_ALICE_PASS='$ALICE_PASS'
export SDC_SVC_PASS='$SVC_PASS'
export SDC_MEMBER_PASS='$MEMBER_PASS'
ENV
}

provision() {
  local t0 backend=NONE; t0=$(now)
  [ "$DNS" = internal ] && backend=SAMBA_INTERNAL
  write_krb5_conf
  write_ns_files
  # --option values are only used while provisioning (smb.conf is rewritten below)
  "$DIR/bin/ns" samba-tool domain provision --targetdir="$DIR" --realm="$REALM" --domain="$DOMAIN" \
    --server-role=dc --dns-backend="$backend" --host-name="$DC_HOST" --host-ip="$DC_IP" \
    --adminpass="$ADMIN_PASS" --option="interfaces=$DC_IP/8" --option="bind interfaces only=yes" \
    --option="disable netbios=yes" --option="log file=$DIR/log/log.%m" \
    > "$DIR/log/provision.log" 2>&1 || { tail -30 "$DIR/log/provision.log" >&2; exit 4; }
  echo "provision: $(elapsed "$t0") s"
  write_smb_conf
  write_client_conf
  write_env
  t0=$(now)
  st() {   # samba-tool SUBCMD... -s CONF, logged, fatal on error
    echo "+ samba-tool $*" >> "$DIR/log/accounts.log"
    "$DIR/bin/ns" samba-tool "$@" -s "$CONF" >> "$DIR/log/accounts.log" 2>&1 || {
      echo "samba-tool $1 $2 failed:" >&2; tail -15 "$DIR/log/accounts.log" >&2; exit 5; }
  }
  # test-friendly policy: passwords may be changed at once and back again (AD defaults: min age 1 day,
  # history 24) and never expire (default max age 42 days); complexity stays on
  st domain passwordsettings set --min-pwd-age=0 --max-pwd-age=0 --history-length=0
  st user create alice "$ALICE_PASS" --given-name=Alice --surname=Example
  st user setexpiry alice --noexpiry
  st user create svc "$SVC_PASS" --description="service account for SPN tests"
  st spn add "host/$SVC_FQDN" svc
  st spn add "HTTP/$SVC_FQDN" svc
  if [ "$MEMBER1" = yes ]; then
    st computer create MEMBER1 --description="member server for NETLOGON tests (known password)"
    st user setpassword 'MEMBER1$' --newpassword="$MEMBER_PASS"
  fi
  if [ -n "$SVC_ENCTYPES" ]; then
    local dn
    dn=$("$DIR/bin/ns" ldbsearch -H "$DIR/private/sam.ldb" '(sAMAccountName=svc)' dn 2>/dev/null | sed -n 's/^dn: //p')
    printf 'dn: %s\nchangetype: modify\nreplace: msDS-SupportedEncryptionTypes\nmsDS-SupportedEncryptionTypes: %s\n' \
      "$dn" "$SVC_ENCTYPES" | "$DIR/bin/ns" ldbmodify -H "$DIR/private/sam.ldb" >> "$DIR/log/accounts.log" 2>&1 || {
      echo "ldbmodify msDS-SupportedEncryptionTypes failed" >&2; exit 5; }
  fi
  # the DC's own SPNs (ldap/FQDN, GC/..., RestrictedKrbHost/...) are normally added by samba_spnupdate,
  # run by the dnsupdate service, which is disabled here: run it once, offline, on the local sam.ldb
  if [ "$DC_SPNS" = yes ]; then
    echo "+ samba_spnupdate" >> "$DIR/log/accounts.log"
    "$DIR/bin/ns" samba_spnupdate -s "$CONF" >> "$DIR/log/accounts.log" 2>&1 || { echo "samba_spnupdate failed" >&2; exit 5; }
  fi
  rm -f "$DIR/svc.keytab" "$DIR/member1.keytab"
  st domain exportkeytab "$DIR/svc.keytab" --principal="host/$SVC_FQDN"
  st domain exportkeytab "$DIR/svc.keytab" --principal="HTTP/$SVC_FQDN"
  if [ "$MEMBER1" = yes ]; then st domain exportkeytab "$DIR/member1.keytab" --principal='MEMBER1$'; fi
  echo "accounts+keytabs: $(elapsed "$t0") s"
}

mkdir -p "$DIR/log" "$DIR/run"
if [ ! -f "$DIR/private/sam.ldb" ]; then
  provision
else
  echo "reusing provisioned $DIR"
fi

if dc_running; then
  echo "DC already running, pid $(cat "$DIR/run/samba.fg.pid")"
  exit 0
fi

rm -f "$DIR"/run/*.pid
t0=$(now)
# KRB5_CONFIG: belt and braces, /etc/krb5.conf is DIR/krb5.conf inside the namespace anyway
KRB5_CONFIG="$DIR/krb5.conf" setsid "$DIR/bin/ns" samba -F --no-process-group -M "$PROCESS_MODEL" -s "$CONF" \
  > "$DIR/log/samba.stdout" 2>&1 < /dev/null &
echo $! > "$DIR/run/samba.fg.pid"

listening() { ss -Hltn "sport = :$1" "src $DC_IP" 2>/dev/null | grep -q .; }
ready=no
for _ in $(seq 1 $((READY_TIMEOUT * 10))); do
  if ! dc_running; then echo "samba exited early:" >&2; tail -30 "$DIR/log/samba.stdout" "$DIR/log/log.%m" >&2 2>/dev/null; exit 6; fi
  if listening 88 && listening 389 && listening 445 && listening 135 && \
     "$DIR/bin/ns" wbinfo -p >/dev/null 2>&1; then
    ready=yes; break
  fi
  sleep 0.1
done
[ $ready = yes ] || { echo "DC not ready after ${READY_TIMEOUT}s" >&2; exit 7; }
echo "DC ready on $DC_IP after $(elapsed "$t0") s (pid $(cat "$DIR/run/samba.fg.pid")); . $DIR/env.sh"
