#!/usr/bin/env bash
# Stops the native stack that up.sh started (all parts, or the ones named), by the pid files in
# VOICEMODE_STACK_STATE: SIGTERM, then SIGKILL after 10 s. Only a process that is still the
# part's binary is signalled.
#
#   scripts/stack/down.sh [collector|jaeger|prometheus ...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"
state="${VOICEMODE_STACK_STATE:-$STACK_CACHE/run}"
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(prometheus collector jaeger)
for name in "${parts[@]}"; do
  if pid="$(stack_pid "$state" "$name")"; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$state/$name.pid"
done
