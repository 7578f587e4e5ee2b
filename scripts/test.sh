#!/usr/bin/env bash
# test.sh — the whole test suite (the README's test command; CI runs it through .ci/run).
#   deps      scripts/install-test-deps.sh (apt packages + the peers' Python venv; fast when present)
#   fmt       cargo fmt --all -- --check
#   clippy    cargo clippy --all-targets -- -D warnings
#   build     cargo build   (the cdylib the C programs link against)
#   test      cargo test    (unit tests, the C harness, interop and example tests)
#   valgrind  the integration tests that run C programs, again with OPENSSPI_VALGRIND=1: every C
#             binary runs under valgrind --error-exitcode=1 --leak-check=full
#             --errors-for-leak-kinds=definite,indirect,possible (0 errors, 0 leaks)
# Every step runs even when an earlier one failed; the last line is "N passed, N failed" and the
# exit status is non-zero if any step failed. Env: OPENSSPI_VENV, OPENSSPI_SKIP_DEPS=1,
# OPENSSPI_SKIP_VALGRIND=1, OPENSSPI_SKIP_SAMBA_DC=1 (tests/samba_dc.rs: no Samba AD DC, e.g. not
# root) (local shortcuts only; CI runs everything).
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
export OPENSSPI_VENV=${OPENSSPI_VENV:-$PWD/target/peers-venv}
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"

passed=0 failed=0 failures=""
step() { # step NAME CMD... — run one step, record the result
  local name=$1 t0=$SECONDS
  shift
  echo "=== $name: $*"
  if "$@" </dev/null; then
    passed=$((passed + 1))
    echo "=== $name: PASS ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1))
    failures="$failures $name"
    echo "=== $name: FAIL ($((SECONDS - t0)) s)"
  fi
}

# Integration tests that run C programs (they use the helpers of tests/common/mod.rs, or honour
# OPENSSPI_VALGRIND themselves).
c_test_targets() {
  local f
  for f in tests/*.rs; do
    grep -qE 'OPENSSPI_VALGRIND|c_command|sspi_peer\(|compile_c\(' "$f" && printf -- '--test %s ' "$(basename "$f" .rs)"
  done
}

valgrind_step() {
  local targets
  targets=$(c_test_targets)
  [ -n "$targets" ] || { echo "no C test targets found"; return 1; }
  # shellcheck disable=SC2086
  OPENSSPI_VALGRIND=1 cargo test --no-fail-fast $targets
}

if [ "${OPENSSPI_SKIP_DEPS:-0}" = 1 ]; then echo "=== deps: skipped (OPENSSPI_SKIP_DEPS=1)"; else
  step deps scripts/install-test-deps.sh
fi
if ! command -v cargo >/dev/null; then
  echo "test.sh: cargo not found (install Rust with rustup, toolchain >= rust-version in Cargo.toml)" >&2
  failed=$((failed + 1))
  echo "$passed passed, $failed failed"
  exit 1
fi
if command -v rustup >/dev/null; then # clippy/rustfmt may be missing from a minimal toolchain
  cargo fmt --version >/dev/null 2>&1 && cargo clippy --version >/dev/null 2>&1 ||
    rustup component add rustfmt clippy
fi
step fmt cargo fmt --all -- --check
step clippy cargo clippy --all-targets -- -D warnings
step build cargo build
step test cargo test --no-fail-fast
if [ "${OPENSSPI_SKIP_VALGRIND:-0}" = 1 ]; then echo "=== valgrind: skipped (OPENSSPI_SKIP_VALGRIND=1)"; else
  step valgrind valgrind_step
fi

[ -z "$failures" ] || echo "failed steps:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
