#!/usr/bin/env bash
# Adapted from the Samba AD DC exploration of 2026-11-25 (reference/samba-dc/stop-dc.sh); added: GRACE.
# stop-dc.sh DIR [--purge] — stop the Samba AD DC started by setup-dc.sh DIR and the member winbindd
# started by member-winbind.sh DIR (if any); --purge also deletes DIR.
# Only processes that belong to DIR are signalled:
#   - the process groups of DIR/run/samba.fg.pid and DIR/member/run/winbindd.fg.pid (started with setsid,
#     so pid == pgid; the samba task processes rename themselves "samba: task[...]")
#   - every process whose command line contains --configfile=DIR/ (smbd, winbindd, and the on-demand
#     samba-dcerpcd / rpcd_* helpers, which run in sessions of their own and do NOT exit with samba)
# All get SIGTERM at once; whatever is left after GRACE seconds (default 10; samba needs ~1.7 s to exit
# cleanly) gets SIGKILL. A throwaway DC that is purged anyway can take GRACE=0.3.
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DIR [--purge]" >&2; exit 2; }
[ -d "$1" ] || { echo "no such dir $1" >&2; exit 0; }
DIR=$(cd "$1" && pwd)

ours() {
  local pf pid p
  for pf in "$DIR/run/samba.fg.pid" "$DIR/member/run/winbindd.fg.pid"; do
    pid=$(cat "$pf" 2>/dev/null) || continue
    [ -n "$pid" ] || continue
    kill -0 "$pid" 2>/dev/null && echo "$pid"
    pgrep -g "$pid" 2>/dev/null
  done
  for p in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$p" = $$ ] && continue
    { tr '\0' ' ' < "/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "--configfile=$DIR/" && echo "$p"
  done
}

pids=$(ours | sort -un)
if [ -n "$pids" ]; then
  kill -TERM $pids 2>/dev/null
  for i in $(seq 1 "$(awk -v g="${GRACE:-10}" 'BEGIN{printf "%d", g*10}')"); do
    alive=""; for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  # children forked meanwhile are caught by a second pass
  rest=$( (echo "$alive"; ours) | tr ' ' '\n' | grep -E '^[0-9]+$' | sort -un)
  if [ -n "$rest" ]; then
    kill -KILL $rest 2>/dev/null
    # SIGKILL is not synchronous: wait (up to 2 s) until they are gone before DIR is deleted
    for i in $(seq 1 20); do
      alive=""; for p in $rest; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
      [ -z "$alive" ] && break
      sleep 0.1
    done
  fi
fi
rm -f "$DIR"/run/*.pid "$DIR"/member/run/*.pid 2>/dev/null
echo "stopped DC in $DIR ($(echo $pids | wc -w) processes)"
if [ "${2:-}" = "--purge" ]; then
  rm -rf "$DIR"
  echo "purged $DIR"
fi
