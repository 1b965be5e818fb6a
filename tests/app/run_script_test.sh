#!/bin/bash
# The README's run command end to end: scripts/run with a temporary state folder and free ports
# starts Prosody and onesoup and prints the phone's URL; the demo account logs in (with
# `imps phone`); a second run reuses the folder (same password); SIGINT stops the script, onesoup
# and Prosody, also while a phone is logged in.
# usage: run_script_test.sh SOURCE_DIR ONESOUP_BIN IMPS_BIN
set -u
src=$1
onesoup=$2
imps=$3

if ! command -v prosody >/dev/null || ! command -v prosodyctl >/dev/null; then
    echo "SKIP: prosody is not installed (apt-get install -y prosody lua-unbound)"
    exit 77
fi

work=$(mktemp -d /tmp/onesoup-run-test.XXXXXX)
run_pid=
fail() {
    echo "FAIL: $*"
    echo "--- scripts/run output"; cat "$work/out" 2>/dev/null
    echo "--- onesoup.log"; tail -n 40 "$work/var/onesoup.log" 2>/dev/null
    echo "--- prosody.log"; tail -n 20 "$work/var/prosody/prosody.log" 2>/dev/null
    exit 1
}
cleanup() {
    # Only what this test started: the script, then what it left behind (by pid file).
    if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
        kill -TERM "$run_pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$run_pid" 2>/dev/null
    fi
    for f in "$work/var/onesoup.pid" "$work/var/prosody/prosody.pid"; do
        [ -s "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
    done
    # As root with $work closed to the prosody user, scripts/run kept Prosody's folder in
    # /var/lib/onesoup-run/ (var/prosody points there).
    [ -L "$work/var/prosody" ] && rm -rf "$(readlink "$work/var/prosody")"
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])'
}
http_port=$(free_port)
xmpp_port=$(free_port)
url="http://127.0.0.1:$http_port/wv"

# Starts scripts/run in the background and waits for its greeting.
start_run() {
    : >"$work/out"
    # A background job of a script ignores SIGINT; --default-signal gives the script the
    # ordinary SIGINT a terminal's Ctrl-C would bring.
    env --default-signal=INT "$src/scripts/run" --var "$work/var" --port "$http_port" \
        --xmpp-port "$xmpp_port" --address 127.0.0.1 --onesoup "$onesoup" --imps "$imps" \
        --no-install >"$work/out" 2>&1 &
    run_pid=$!
    for _ in $(seq 600); do
        grep -q "server address   $url" "$work/out" && return 0
        kill -0 "$run_pid" 2>/dev/null || fail "scripts/run ended before printing the URL"
        sleep 0.1
    done
    fail "scripts/run did not print the URL $url within 60 s"
}

# The password the greeting printed for the demo account.
printed_password() {
    sed -n '/user id          wv:demo@onesoup.localhost/{n;s/^ *password *//p;q}' "$work/out"
}

# Logs the demo account in and out: with `imps phone`, or, if this imps has no phone yet,
# with a CSP 1.2 XML Login-Request posted by hand (any CSP answer passes then).
login_demo() {
    local password=$1 steps=${2:-login; logout}
    shift $(($# < 2 ? $# : 2))
    if "$imps" phone --help >/dev/null 2>&1; then
        "$imps" phone --url "$url" --user wv:demo@onesoup.localhost --password "$password" \
            --encoding xml "$@" --steps "$steps" >"$work/phone.out" 2>&1 ||
            { cat "$work/phone.out"; fail "imps phone could not log in and out"; }
        return
    fi
    sed -e "s|wv:alice@im.example.org|wv:demo@onesoup.localhost|" \
        -e "s|<Password>secret</Password>|<Password>$password</Password>|" \
        "$src/tests/data/golden/login-request-pwd-12.xml" >"$work/login.xml"
    /usr/bin/python3 - "$url" "$work/login.xml" <<'PY' || fail "no CSP answer to a Login-Request"
import sys, urllib.request
body = open(sys.argv[2], 'rb').read()
req = urllib.request.Request(sys.argv[1], data=body,
                             headers={'Content-Type': 'application/vnd.wv.csp.xml'})
with urllib.request.urlopen(req, timeout=30) as r:
    answer = r.read().decode('utf-8', 'replace')
    print(r.status, answer)
    sys.exit(0 if r.status == 200 and 'Login-Response' in answer else 1)
PY
}

# SIGINT to the script stops it, onesoup and Prosody.
stop_run() {
    local onesoup_pid prosody_pid
    onesoup_pid=$(cat "$work/var/onesoup.pid" 2>/dev/null)
    prosody_pid=$(cat "$work/var/prosody/prosody.pid" 2>/dev/null)
    [ -n "$onesoup_pid" ] || fail "no onesoup.pid"
    [ -n "$prosody_pid" ] || fail "no prosody.pid"
    kill -INT "$run_pid"
    for _ in $(seq 300); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$run_pid" 2>/dev/null && fail "scripts/run still runs 30 s after SIGINT"
    wait "$run_pid"
    local status=$?
    run_pid=
    [ "$status" = 0 ] || fail "scripts/run exited with $status after SIGINT"
    kill -0 "$onesoup_pid" 2>/dev/null && fail "onesoup ($onesoup_pid) still runs"
    kill -0 "$prosody_pid" 2>/dev/null && fail "prosody ($prosody_pid) still runs"
    (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null && fail "port $http_port still open"
    return 0
}

start_run
first_password=$(printed_password)
[ -n "$first_password" ] || fail "no demo password printed"
grep -q "buddy@onesoup.localhost" "$work/out" || fail "no buddy JID printed"
grep -q "imps phone --url http://127.0.0.1:$http_port/wv" "$work/out" ||
    fail "no imps phone example printed"
login_demo "$first_password"
# The phone of the printed example is woken over STCP: the run's config offers it.
grep -q -- "--cir stcp" "$work/out" || fail "the printed example does not use --cir stcp"
login_demo "$first_password" "login; expect-no-message timeout=2; logout" --cir stcp
grep -q "STCP: HELO answered OK" "$work/phone.out" ||
    { cat "$work/phone.out"; fail "the phone's STCP HELO was not answered"; }
stop_run
grep -q "onesoup listening on http://127.0.0.1:$http_port/wv" "$work/var/onesoup.log" ||
    fail "onesoup did not log its URL"
grep -q "$first_password" "$work/var/onesoup.log" && fail "the log holds the password"

# The second run finds the same accounts; this time the phone stays logged in, so SIGINT finds
# a live XMPP session to close.
start_run
[ "$(printed_password)" = "$first_password" ] || fail "the second run printed another password"
login_demo "$first_password" "login"
stop_run
echo "--- onesoup.log"; cat "$work/var/onesoup.log"
echo "PASS"
