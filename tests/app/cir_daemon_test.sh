#!/bin/bash
# The onesoup binary with CIR on: it starts the STCP listener on a free port ([cir.stcp]
# port = 0) and the SHTTP route, says so in its log, closes a socket whose HELO names no session
# (without an OK), answers a GET of an unknown CIR URL 404, refuses a config with a bad [cir] key
# (naming the file, line and key), and stops cleanly on SIGTERM. A logged-in phone's HELO and
# wake-up are tested in app_tests (CirWiringTest) and end to end by the cir_* integration
# scenarios.
# usage: cir_daemon_test.sh ONESOUP_BIN
set -u
onesoup=$1
py=/usr/bin/python3

work=$(mktemp -d /tmp/onesoup-cir-daemon.XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    echo "--- onesoup's log"; cat "$work/log" 2>/dev/null
    exit 1
}

# A bad [cir] key: exit 2, the file, line and key named.
cat >"$work/bad.toml" <<'TOML'
[cir.stcp]
port = 0
helo_timout = 5
TOML
"$onesoup" --config "$work/bad.toml" >"$work/bad.out" 2>&1
status=$?
[ "$status" = 2 ] || fail "a bad [cir.stcp] key gave exit status $status, not 2"
grep -q 'bad.toml:3: \[cir.stcp\] helo_timout: unknown key' "$work/bad.out" ||
    fail "the error does not name file, line and key: $(cat "$work/bad.out")"

cat >"$work/onesoup.toml" <<'TOML'
[http]
address = "127.0.0.1"
port = 0
[cir]
methods = ["STCP", "SHTTP"]
[cir.stcp]
address = "127.0.0.1"
port = 0
helo_timeout = 5
[store]
database = "onesoup.db"
key_file = "onesoup.key"
TOML
"$onesoup" --config "$work/onesoup.toml" >"$work/log" 2>&1 &
pid=$!
stcp_port= http_port=
for _ in $(seq 100); do
    stcp_port=$(sed -n 's/.*CIR STCP listening on 127\.0\.0\.1 port \([0-9]*\);.*/\1/p' "$work/log")
    http_port=$(sed -n 's|.*onesoup listening on http://127\.0\.0\.1:\([0-9]*\)/wv.*|\1|p' "$work/log")
    [ -n "$stcp_port" ] && [ -n "$http_port" ] && break
    kill -0 "$pid" 2>/dev/null || fail "onesoup exited at start"
    sleep 0.1
done
[ -n "$stcp_port" ] || fail "no 'CIR STCP listening on ...' line"
[ -n "$http_port" ] || fail "no 'onesoup listening on ...' line"
grep -q 'CIR methods on: STCP, SHTTP$' "$work/log" || fail "no 'CIR methods on: STCP, SHTTP' line"

# HELO naming no session: closed, no OK.
answer=$("$py" - "$stcp_port" <<'PY'
import socket, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"HELO 0123456789abcdef0123456789abcdef\r\n")
data = b""
try:
    while True:
        chunk = s.recv(100)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    print("timeout", data)
    sys.exit(0)
print("closed", data)
PY
)
[ "$answer" = "closed b''" ] || fail "HELO for an unknown session: $answer (wanted: closed, no OK)"

status=$("$py" - "$http_port" <<'PY'
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen("http://127.0.0.1:%s/cir/0123456789abcdef" % sys.argv[1], timeout=5)
    print(200)
except urllib.error.HTTPError as e:
    print(e.code)
PY
)
[ "$status" = 404 ] || fail "GET of an unknown CIR URL answered $status, not 404"

kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "onesoup did not stop within 10 s of SIGTERM"
wait "$pid"
status=$?
pid=
[ "$status" = 0 ] || fail "onesoup exited with $status after SIGTERM"
echo "PASS"
