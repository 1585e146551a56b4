#!/usr/bin/env bash
# ./scripts/demo end to end, as a visitor runs it: the demo ledger served on
# free ports with its two witnesses as separate processes. Waits until
# /tlog/checkpoint carries both witnesses' cosignatures, verifies the live
# log with piaojue-verify requiring both (exit 0, VALID), then stops the demo
# with SIGTERM, repeatedly, and checks that the server and both witnesses are gone
# and their ports free.
#
#   PIAOJUE_BIN_DIR=build/release/bin tests/demo/demo_script_test.sh
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$(cd "${PIAOJUE_BIN_DIR:?set PIAOJUE_BIN_DIR to the built binaries}" && pwd)"
tmp="$(mktemp -d)"
demo_pid=
fail() {
  echo "FAIL: $*" >&2
  echo "--- demo output" >&2
  tail -n 40 "$tmp/demo.out" >&2 || true
  exit 1
}
cleanup() {
  if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then
    kill -TERM "$demo_pid" 2>/dev/null || true
    wait "$demo_pid" 2>/dev/null || true
  fi
  # Whatever the demo left behind (only on failure: the test checks it).
  pkill -TERM -f -- "$tmp/" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Nothing listens on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# GET $1 from the demo's server; the body on stdout.
http_get() {
  local response
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' \
    "$1" >&3
  response="$(cat <&3)"
  exec 3<&- 3>&-
  printf '%s' "${response#*$'\r\n\r\n'}"
}

# Three consecutive free ports (the server's and the two witnesses'), below
# the kernel's ephemeral range: there, any client connection of the tests
# running beside this one may hold the port as its local end, and the
# demo's listen fails ("Address already in use").
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "$ephemeral_low" -gt 11000 ] || ephemeral_low=61000
pick_ports() {
  port=
  local p
  for _ in $(seq 1 100); do
    p=$((10000 + RANDOM % (ephemeral_low - 10003)))
    if port_free "$p" && port_free $((p + 1)) && port_free $((p + 2)); then
      port=$p
      return 0
    fi
  done
  fail "no three consecutive free ports"
}

# Starts the demo; another test may still take a port between the check and
# the listen, so a start that fails to listen is retried on other ports
# (at most three times), with a fresh data directory each time.
attempt=0
start_demo() {
  attempt=$((attempt + 1))
  pick_ports
  rm -rf "$tmp/data" "$tmp/data-witnesses"
  PIAOJUE_DEMO_DATA="$tmp/data" PIAOJUE_BIN_DIR="$bin" \
    "$repo/scripts/demo" --no-build --listen "127.0.0.1:$port" \
    >"$tmp/demo.out" 2>&1 &
  demo_pid=$!
}
start_demo

# The log's checkpoint, cosigned by both witnesses (building the demo ledger
# comes first).
cosigned=0
for _ in $(seq 1 600); do
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    wait "$demo_pid" 2>/dev/null || true
    if [ "$attempt" -lt 3 ] && grep -q 'Address already in use' "$tmp/demo.out"; then
      echo "port $port was taken before the demo listened; retrying on others" >&2
      pkill -TERM -f -- "$tmp/data" 2>/dev/null || true
      sleep 0.5
      start_demo
      continue
    fi
    fail "the demo exited early"
  fi
  if checkpoint="$(http_get /tlog/checkpoint 2>/dev/null)" &&
    grep -q '^— witness\.audit\.example ' <<<"$checkpoint" &&
    grep -q '^— witness\.npc\.example ' <<<"$checkpoint"; then
    cosigned=1
    break
  fi
  sleep 0.5
done
[ "$cosigned" = 1 ] || fail "/tlog/checkpoint never carried both cosignatures"

# The keys: the log's as the demo printed it, each witness's from its own
# directory (what it printed when it started).
log_vkey="$(sed -n 's/^verifier key: //p' "$tmp/demo.out" | head -n 1)"
audit_vkey="$(sed -n 's/^verifier key: //p' "$tmp/data-witnesses/audit/serve.log")"
npc_vkey="$(sed -n 's/^verifier key: //p' "$tmp/data-witnesses/npc/serve.log")"
[ -n "$log_vkey" ] && [ -n "$audit_vkey" ] && [ -n "$npc_vkey" ] ||
  fail "a verifier key is missing"

status=0
"$bin/piaojue-verify" "http://127.0.0.1:$port/tlog" --vkey "$log_vkey" \
  --witness "$audit_vkey" --witness "$npc_vkey" --witness-quorum 2 --quiet \
  >"$tmp/verify.out" 2>&1 || status=$?
if [ "$status" != 0 ] || ! grep -q '^VALID: ' "$tmp/verify.out"; then
  cat "$tmp/verify.out" >&2
  fail "piaojue-verify exited $status"
fi
grep -q '2 of 2 cosigned' "$tmp/verify.out" ||
  { cat "$tmp/verify.out" >&2; fail "the report does not show both cosigners"; }

# The demo's processes: the server and the two witnesses.
mapfile -t children < <(pgrep -f -- "$tmp/data")
[ "${#children[@]}" = 3 ] ||
  fail "expected 3 processes (server, 2 witnesses), found ${#children[@]}"

# Again and again, as an impatient visitor presses Ctrl-C repeatedly: the
# later signals arrive while the demo is stopping its processes, which must
# still stop every one of them.
kill -TERM "$demo_pid"
for _ in $(seq 1 25); do
  sleep 0.02
  kill -TERM "$demo_pid" 2>/dev/null || break
done
stopped=0
for _ in $(seq 1 300); do
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    stopped=1
    break
  fi
  sleep 0.1
done
[ "$stopped" = 1 ] || fail "the demo did not stop within 30 s of SIGTERM"
wait "$demo_pid" || true
demo_pid=
for pid in "${children[@]}"; do
  if kill -0 "$pid" 2>/dev/null; then
    fail "process $pid ($(tr '\0' ' ' </proc/"$pid"/cmdline)) outlived the demo"
  fi
done
for p in "$port" $((port + 1)) $((port + 2)); do
  port_free "$p" || fail "port $p is still in use"
done
echo "PASS: demo served on $port, cosigned by both witnesses, verified, stopped"
