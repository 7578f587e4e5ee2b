#!/usr/bin/env python3
"""MIT krb5 per-message tokens for tests/kerberos_gss.rs (python-gssapi).

Establishes a krb5 context initiator <-> acceptor in this one process (the
initiator from the default ccache KRB5CCNAME, the acceptor from KRB5_KTNAME,
target host@localhost, mutual authentication, no replay/sequence detection),
then:
 1. prints one JSON line: the per-message key (GSS_C_INQ_SSPI_SESSION_KEY:
    value and enctype) and MIT's tokens of both sides:
    {"key": hex, "enctype": n, "initiator": [TOKEN...], "acceptor": [TOKEN...]}
    TOKEN = {"kind": "wrap"|"mic", "conf": bool, "msg": hex, "token": hex}
 2. reads one JSON line from stdin, {"to_acceptor": [TOKEN...],
    "to_initiator": [TOKEN...]} (tokens made by the peer under test), gives
    each to MIT's acceptor or initiator (gss_unwrap / gss_verify_mic) and
    prints {"results": [{"side", "index", "ok", "msg_ok", "conf", "error"}]}.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gssapi  # noqa: E402
import gssapi.raw as graw  # noqa: E402

from gss_common import INQ_SSPI_SESSION_KEY, mech_oid  # noqa: E402

MESSAGES = [b"", b"a", bytes(range(16)), bytes(range(17)), b"hello MIT " * 10, bytes(range(256)) * 4]


def establish():
    krb5 = mech_oid("krb5")
    target = gssapi.Name("host@localhost", gssapi.NameType.hostbased_service)
    flags = [gssapi.RequirementFlag.mutual_authentication,
             gssapi.RequirementFlag.confidentiality,
             gssapi.RequirementFlag.integrity]
    ini = gssapi.SecurityContext(name=target, mech=krb5, flags=flags, usage="initiate")
    acc = gssapi.SecurityContext(creds=gssapi.Credentials(usage="accept"), usage="accept")
    tok = ini.step()
    while True:
        tok = acc.step(tok)
        if ini.complete and acc.complete:
            break
        tok = ini.step(tok)
        if ini.complete and acc.complete:
            break
    return ini, acc


def key_of(ctx):
    bufs = graw.inquire_sec_context_by_oid(ctx, INQ_SSPI_SESSION_KEY)
    # Second buffer: the OID 1.2.840.113554.1.2.2.4.<enctype>.
    enctype = int(gssapi.OID(elements=bufs[1]).dotted_form.split(".")[-1])
    return bufs[0].hex(), enctype


def make(ctx):
    out = []
    for m in MESSAGES:
        for conf in (True, False):
            out.append({"kind": "wrap", "conf": conf, "msg": m.hex(), "token": ctx.wrap(m, conf).message.hex()})
        out.append({"kind": "mic", "conf": False, "msg": m.hex(), "token": ctx.get_signature(m).hex()})
    return out


def check(ctx, side, tokens):
    res = []
    for i, t in enumerate(tokens):
        r = {"side": side, "index": i, "ok": False, "msg_ok": False, "conf": None, "error": None}
        try:
            msg, token = bytes.fromhex(t["msg"]), bytes.fromhex(t["token"])
            if t["kind"] == "wrap":
                u = ctx.unwrap(token)
                r["msg_ok"] = u.message == msg
                r["conf"] = bool(u.encrypted)
            else:
                ctx.verify_signature(msg, token)
                r["msg_ok"] = True
            r["ok"] = True
        except Exception as e:  # noqa: BLE001
            r["error"] = f"{type(e).__name__}: {e}"
        res.append(r)
    return res


def main():
    ini, acc = establish()
    k_ini, e_ini = key_of(ini)
    k_acc, e_acc = key_of(acc)
    assert (k_ini, e_ini) == (k_acc, e_acc), "both sides report the same key"
    print(json.dumps({"key": k_ini, "enctype": e_ini, "initiator": make(ini), "acceptor": make(acc)}), flush=True)
    line = sys.stdin.readline()
    if not line:
        return
    req = json.loads(line)
    res = check(acc, "acceptor", req.get("to_acceptor", [])) + check(ini, "initiator", req.get("to_initiator", []))
    print(json.dumps({"results": res}), flush=True)


if __name__ == "__main__":
    main()
