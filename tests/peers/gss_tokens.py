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

With --iov the context is DCE style (GSS_C_DCE_STYLE, as Windows' RPC) and
the tokens are gss_wrap_iov / gss_unwrap_iov ones over several buffers:
    TOKEN = {"kind": "iov", "conf": bool, "token": hex (the HEADER buffer),
             "parts": [{"type": "data"|"sign_only", "msg": hex, "wire": hex}]}
(`wire`: the buffer as sent, `msg`: its plaintext), for the layouts
[HEADER, DATA], [HEADER, DATA, DATA] and [SIGN_ONLY, DATA, SIGN_ONLY, HEADER]
(a DCE/RPC PDU: its header and auth trailer signed, not sealed).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gssapi  # noqa: E402
import gssapi.raw as graw  # noqa: E402

from gss_common import INQ_SSPI_SESSION_KEY, mech_oid  # noqa: E402

MESSAGES = [b"", b"a", bytes(range(16)), bytes(range(17)), b"hello MIT " * 10, bytes(range(256)) * 4]


IOV_LAYOUTS = [
    [("data", b"one buffer")],
    [("data", b"first part, "), ("data", bytes(range(37)))],
    [("sign_only", b"\x05\x00\x00\x03PDU header"), ("data", b"the stub " * 5), ("sign_only", b"\x10\x06\x08\x00trl")],
]


def establish(dce=False):
    krb5 = mech_oid("krb5")
    target = gssapi.Name("host@localhost", gssapi.NameType.hostbased_service)
    flags = [gssapi.RequirementFlag.mutual_authentication,
             gssapi.RequirementFlag.confidentiality,
             gssapi.RequirementFlag.integrity]
    if dce:
        flags.append(gssapi.RequirementFlag.dce_style)
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


def iov_type(name):
    return graw.IOVBufferType.data if name == "data" else graw.IOVBufferType.sign_only


def make_iov(ctx):
    out = []
    for layout in IOV_LAYOUTS:
        for conf in (True, False):
            bufs = [(iov_type(t), False, m) for t, m in layout]
            # The header last for the PDU layout (as an RPC auth trailer), first otherwise.
            at = len(bufs) if layout[0][0] == "sign_only" else 0
            bufs.insert(at, (graw.IOVBufferType.header, True))
            iov = graw.IOV(*bufs, std_layout=False)
            graw.wrap_iov(ctx, iov, confidential=conf)
            token = iov[at].value
            wires = [b.value for i, b in enumerate(iov) if i != at]
            parts = [{"type": t, "msg": m.hex(), "wire": w.hex()} for (t, m), w in zip(layout, wires)]
            out.append({"kind": "iov", "conf": conf, "token": token.hex(), "parts": parts})
    return out


def check_iov(ctx, t, r):
    bufs = [(graw.IOVBufferType.header, False, bytes.fromhex(t["token"]))]
    bufs += [(iov_type(p["type"]), False, bytes.fromhex(p["wire"])) for p in t["parts"]]
    iov = graw.IOV(*bufs, std_layout=False)
    u = graw.unwrap_iov(ctx, iov)
    r["msg_ok"] = all(iov[i + 1].value == bytes.fromhex(p["msg"]) for i, p in enumerate(t["parts"]))
    r["conf"] = bool(u.encrypted)


def check(ctx, side, tokens):
    res = []
    for i, t in enumerate(tokens):
        r = {"side": side, "index": i, "ok": False, "msg_ok": False, "conf": None, "error": None}
        try:
            if t["kind"] == "iov":
                check_iov(ctx, t, r)
            elif t["kind"] == "wrap":
                u = ctx.unwrap(bytes.fromhex(t["token"]))
                r["msg_ok"] = u.message == bytes.fromhex(t["msg"])
                r["conf"] = bool(u.encrypted)
            else:
                ctx.verify_signature(bytes.fromhex(t["msg"]), bytes.fromhex(t["token"]))
                r["msg_ok"] = True
            r["ok"] = True
        except Exception as e:  # noqa: BLE001
            r["error"] = f"{type(e).__name__}: {e}"
        res.append(r)
    return res


def main():
    iov = "--iov" in sys.argv[1:]
    ini, acc = establish(dce=iov)
    k_ini, e_ini = key_of(ini)
    k_acc, e_acc = key_of(acc)
    assert (k_ini, e_ini) == (k_acc, e_acc), "both sides report the same key"
    tokens = make_iov if iov else make
    print(json.dumps({"key": k_ini, "enctype": e_ini, "initiator": tokens(ini), "acceptor": tokens(acc)}), flush=True)
    line = sys.stdin.readline()
    if not line:
        return
    req = json.loads(line)
    res = check(acc, "acceptor", req.get("to_acceptor", [])) + check(ini, "initiator", req.get("to_initiator", []))
    print(json.dumps({"results": res}), flush=True)


if __name__ == "__main__":
    main()
