#!/usr/bin/env bash
# install.sh — build opensspi and install it like a system library.
#   scripts/install.sh [--debug] [--no-build] [PREFIX]   build (cargo build --release; --debug:
#                                                        the debug build) and install into PREFIX
#   scripts/install.sh --uninstall [PREFIX]              remove exactly what the install wrote
# PREFIX defaults to /usr/local and must be absolute. DESTDIR (a staging root, as in
# `make install`) is honoured: files go to $DESTDIR$PREFIX, and the paths written into them
# (opensspi.pc) name $PREFIX. --no-build installs what target/<profile>/ already holds (build as
# yourself, install as root).
#
# What it installs (the library's SONAME is libopensspi.so.0, set in build.rs):
#   PREFIX/lib/libopensspi.so.X.Y.Z        the shared library, version from Cargo.toml
#   PREFIX/lib/libopensspi.so.0            -> libopensspi.so.X.Y.Z  (what programs load)
#   PREFIX/lib/libopensspi.so              -> libopensspi.so.0      (what `-lopensspi` finds)
#   PREFIX/lib/libopensspi.a               the static library
#   PREFIX/lib/pkgconfig/opensspi.pc       from opensspi.pc.in
#   PREFIX/include/opensspi/{opensspi,security,sspi}.h
#   PREFIX/bin/sspilogon
#   PREFIX/share/man/man1/sspilogon.1, PREFIX/share/man/man7/opensspi.7
#   PREFIX/share/opensspi/install-manifest what --uninstall removes: every file and symlink above,
#                                          then the directories this install created, if empty
# Installing over an earlier install first removes what its manifest lists. As root with no
# DESTDIR and PREFIX /usr or /usr/local, ldconfig refreshes the loader cache afterwards.
# Env: DESTDIR, CARGO (default cargo), CARGO_TARGET_DIR.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"

usage() {
  echo "usage: scripts/install.sh [--debug] [--no-build] [PREFIX]" >&2
  echo "       scripts/install.sh --uninstall [PREFIX]" >&2
  exit 2
}
die() {
  echo "install.sh: $*" >&2
  exit 1
}

profile=release uninstall=0 build=1 PREFIX=
for a in "$@"; do
  case $a in
  --debug) profile=debug ;;
  --no-build) build=0 ;;
  --uninstall) uninstall=1 ;;
  -h | --help) usage ;;
  -*) usage ;;
  *) [ -z "$PREFIX" ] || usage; PREFIX=$a ;;
  esac
done
PREFIX=${PREFIX:-/usr/local}
PREFIX=${PREFIX%/}
DESTDIR=${DESTDIR:-}
DESTDIR=${DESTDIR%/}
# The prefix is written into opensspi.pc and compared against the manifest: plain paths only.
[[ "$PREFIX" =~ ^(/[A-Za-z0-9._+-]+)+$ ]] || die "PREFIX must be an absolute path of [A-Za-z0-9._+-] names: '$PREFIX'"
case "/$PREFIX/" in */../* | */./*) die "PREFIX must not contain . or .. components" ;; esac
[ -z "$DESTDIR" ] || [[ "$DESTDIR" = /* ]] || DESTDIR=$PWD/$DESTDIR

MANIFEST_DIR=$PREFIX/share/opensspi
MANIFEST=$MANIFEST_DIR/install-manifest

# uninstall: check every manifest entry (files and symlinks only under PREFIX, directories
# under PREFIX or above it), then remove the files and symlinks, then the directories, deepest
# first, when empty. A manifest naming anything else is refused before anything is removed.
uninstall() {
  local m=$DESTDIR$MANIFEST kind path e entries files=() dirs=()
  [ -f "$m" ] || die "no install at $DESTDIR$PREFIX (no $m)"
  mapfile -t entries <"$m"
  for e in "${entries[@]}"; do
    kind=${e%% *} path=${e#* }
    case "$path/" in */../* | */./* | *//*) die "refusing manifest entry '$e'" ;; esac
    case $kind in
    f | l)
      [[ "$path" = "$PREFIX"/* ]] || die "refusing manifest entry outside $PREFIX: '$e'"
      files+=("$path")
      ;;
    d)
      [[ "$path" = "$PREFIX"/* || "$PREFIX" = "$path" || "$PREFIX" = "$path"/* ]] ||
        die "refusing manifest entry '$e'"
      dirs=("$path" "${dirs[@]}")
      ;;
    *) die "bad manifest line '$e'" ;;
    esac
  done
  for path in "${files[@]}"; do
    if [ -L "$DESTDIR$path" ] || [ -f "$DESTDIR$path" ]; then rm -f "$DESTDIR$path"; fi
  done
  for path in "${dirs[@]}"; do
    if [ -d "$DESTDIR$path" ]; then rmdir --ignore-fail-on-non-empty "$DESTDIR$path"; fi
  done
  echo "install.sh: removed the install at $DESTDIR$PREFIX"
}

refresh_loader_cache() {
  if [ -z "$DESTDIR" ] && [ "$(id -u)" = 0 ] && command -v ldconfig >/dev/null &&
    { [ "$PREFIX" = /usr ] || [ "$PREFIX" = /usr/local ]; }; then
    ldconfig
  fi
}

if [ "$uninstall" = 1 ]; then
  uninstall
  refresh_loader_cache
  exit 0
fi

cd "$ROOT"
CARGO=${CARGO:-cargo}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
[[ "$TARGET_DIR" = /* ]] || TARGET_DIR=$ROOT/$TARGET_DIR
BUILT=$TARGET_DIR/$profile
VERSION=$(sed -n 's/^version *= *"\([0-9][0-9.]*\)".*/\1/p' Cargo.toml | head -1)
[ -n "$VERSION" ] || die "no version in Cargo.toml"

if [ "$build" = 1 ]; then
  flags=(--lib --bin sspilogon --bin opensspi-lsad)
  [ "$profile" = release ] && flags+=(--release)
  "$CARGO" build --quiet "${flags[@]}"
fi
for f in libopensspi.so libopensspi.a sspilogon opensspi-lsad; do
  [ -f "$BUILT/$f" ] || die "$BUILT/$f is missing (build it, or drop --no-build)"
done
SONAME=$(readelf -d "$BUILT/libopensspi.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
REALNAME=libopensspi.so.$VERSION
[ -n "$SONAME" ] || die "$BUILT/libopensspi.so has no SONAME (build.rs sets it)"
[[ "$REALNAME" = "$SONAME".* ]] || die "SONAME $SONAME does not match version $VERSION (build.rs)"

[ ! -f "$DESTDIR$MANIFEST" ] || { echo "install.sh: replacing the earlier install"; uninstall; }
[ -z "$DESTDIR" ] || mkdir -p "$DESTDIR"

# mkdirs DIR: create DIR (a path under DESTDIR) and its missing parents, recording each in the
# manifest (the first call creates the manifest's own directory, before the manifest exists).
pending=()
mkdirs() {
  local d=$1 missing=()
  while [ ! -d "$DESTDIR$d" ]; do
    missing=("$d" "${missing[@]}")
    d=$(dirname "$d")
  done
  for d in "${missing[@]}"; do
    mkdir -m 755 "$DESTDIR$d"
    record d "$d"
  done
}
record() {
  if [ -f "$DESTDIR$MANIFEST" ]; then echo "$1 $2" >>"$DESTDIR$MANIFEST"; else pending+=("$1 $2"); fi
}
put() { # put MODE SRC DEST
  mkdirs "$(dirname "$3")"
  install -m "$1" "$2" "$DESTDIR$3"
  record f "$3"
}
symlink() { # symlink TARGET LINK
  mkdirs "$(dirname "$2")"
  ln -sfn "$1" "$DESTDIR$2"
  record l "$2"
}

mkdirs "$MANIFEST_DIR"
: >"$DESTDIR$MANIFEST"
chmod 644 "$DESTDIR$MANIFEST"
printf '%s\n' "${pending[@]}" "f $MANIFEST" >>"$DESTDIR$MANIFEST"

LIBDIR=$PREFIX/lib
put 755 "$BUILT/libopensspi.so" "$LIBDIR/$REALNAME"
symlink "$REALNAME" "$LIBDIR/$SONAME"
symlink "$SONAME" "$LIBDIR/libopensspi.so"
put 644 "$BUILT/libopensspi.a" "$LIBDIR/libopensspi.a"
for h in opensspi.h security.h sspi.h; do
  put 644 "include/$h" "$PREFIX/include/opensspi/$h"
done
pc=$(mktemp)
trap 'rm -f "$pc"' EXIT
sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@VERSION@|$VERSION|g" opensspi.pc.in >"$pc"
put 644 "$pc" "$LIBDIR/pkgconfig/opensspi.pc"
put 755 "$BUILT/sspilogon" "$PREFIX/bin/sspilogon"
put 755 "$BUILT/opensspi-lsad" "$PREFIX/bin/opensspi-lsad"
unit=$(mktemp)
trap 'rm -f "$pc" "$unit"' EXIT
sed -e "s|@PREFIX@|$PREFIX|g" dist/systemd/opensspi-lsad.service >"$unit"
put 644 "$unit" "$PREFIX/lib/systemd/user/opensspi-lsad.service"
put 644 dist/systemd/opensspi-lsad.socket "$PREFIX/lib/systemd/user/opensspi-lsad.socket"
put 644 docs/man/sspilogon.1 "$PREFIX/share/man/man1/sspilogon.1"
put 644 docs/man/opensspi.7 "$PREFIX/share/man/man7/opensspi.7"
refresh_loader_cache

echo "install.sh: installed opensspi $VERSION ($profile build) into $DESTDIR$PREFIX"
echo "install.sh: compile with: cc prog.c \$(pkg-config --cflags --libs opensspi)"
[ -n "$DESTDIR" ] || case ":${PKG_CONFIG_PATH:-}:$(pkg-config --variable pc_path pkg-config 2>/dev/null || true):" in
  *":$LIBDIR/pkgconfig:"*) ;;
  *) echo "install.sh: (PKG_CONFIG_PATH=$LIBDIR/pkgconfig: pkg-config does not look there by default)" ;;
esac
