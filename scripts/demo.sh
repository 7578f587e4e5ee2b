#!/usr/bin/env bash
# demo.sh — the README's first command: build the library and the C examples, then run
# c-examples/logon_demo: one interactive logon (LsaLogonUser), then a separate process
# authenticates with Negotiate (NTLM inside) to a server process over loopback TCP without any password, a
# sealed message each way, and logoff. Embedded defaults: a throwaway account database
# (DEMO\alice); the logon session lives in the LSA service opensspi-lsad, which the library
# starts on demand (no setting). Needs cargo and a C compiler.
# OPENSSPI_TRACE=stderr scripts/demo.sh --password wrong: every call, and why it was refused.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
command -v cc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc make >/dev/null; }
cargo build --quiet
make --no-print-directory -s -C c-examples OUT="$PWD/target/c-examples" all
exec target/c-examples/logon_demo "$@"
