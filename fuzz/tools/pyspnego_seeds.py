#!/usr/bin/env python3
"""Add pyspnego's NTLM tokens to the fuzz seeds (a second, independent NTLM
implementation: other flag words, AV pairs, MIC, VERSION).

    python3 -m venv target/pyspnego-venv && target/pyspnego-venv/bin/pip install pyspnego
    target/pyspnego-venv/bin/python fuzz/tools/pyspnego_seeds.py [fuzz/seeds]

(or the peers' venv target/peers-venv made by scripts/install-test-deps.sh).
"""
import os
import sys
import tempfile

import spnego

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "seeds")
users = tempfile.NamedTemporaryFile("w", delete=False)
users.write("WORKGROUP:testuser:testpass\n")
users.close()
os.environ["NTLM_USER_FILE"] = users.name


def write(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


variants = [
    ("default", {}),
    ("integrity", {"context_req": spnego.ContextReq.integrity}),
    ("noseal", {"context_req": spnego.ContextReq.default & ~spnego.ContextReq.confidentiality}),
]
n = 0
for tag, kw in variants:
    c = spnego.client("WORKGROUP\\testuser", "testpass", hostname="server.example", protocol="ntlm", **kw)
    s = spnego.server(protocol="ntlm")
    neg = c.step()
    chal = s.step(neg)
    auth = c.step(chal)
    s.step(auth)
    for target, name, data in [
        ("ntlm_server_first", f"pyspnego-negotiate-{tag}", neg),
        ("ntlm_decode", f"pyspnego-negotiate-{tag}", neg),
        ("ntlm_client_challenge", f"pyspnego-challenge-{tag}", chal),
        ("ntlm_decode", f"pyspnego-challenge-{tag}", chal),
        ("ntlm_server_authenticate", f"pyspnego-authenticate-{tag}", auth),
        ("ntlm_decode", f"pyspnego-authenticate-{tag}", auth),
    ]:
        write(target, name, data)
    n += 1
os.unlink(users.name)
print(f"pyspnego: {n} handshakes written to {out}")
