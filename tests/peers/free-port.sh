#!/usr/bin/env bash
# free-port.sh — print a loopback port P free for TCP and UDP with P+1 free for TCP too
# (setup-kdc.sh's KDC_PORT and KADM_PORT), so that throwaway KDCs run side by side.
exec python3 -c '
import socket
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p))
        t = socket.socket(); t.bind(("127.0.0.1", p + 1))
    except OSError:
        continue
    print(p)
    break'
