#!/usr/bin/env bash
# CIR benchmark (issue 4): memory per held CIR connection and wake-up latency, against a real
# onesoup and a real Prosody on this machine (a benchmark that prints figures, not a test).
# Usage:
#   bench/cir/run_cir_bench.sh [--build DIR] [--users N] [--cir stcp|shttp|both]
#                              [--wakes R] [--wake-seconds S] [--hold S] [--tls]
#                              [--wrap 'heaptrack -o /tmp/hp'] [-- extra onesoup-load options]
# For each CIR method (both: STCP, then SHTTP, each with a fresh Prosody and onesoup) it starts
# a private Prosody (domain load.test; the phones' accounts load1..loadN plus buddy and echo
# are written straight into its data folder), onesoup with [cir] methods STCP and SHTTP, then
# onesoup-load --cir METHOD: N phones log in, onesoup's RSS is read, every phone opens its CIR
# channel (STCP socket with HELO, or a held SHTTP GET), the RSS is read again; then the XMPP
# client buddy@load.test sends R messages/s to random idle phones for S seconds, and the
# program prints the wake-up latency (XMPP write -> WVCI at the phone), the end to end time
# (-> NewMessage in the poll answer), the XMPP server's own latency (a copy to echo@load.test)
# and the bytes on the phone's link per woken message. Defaults: 5000 users, both methods,
# 50 wake-ups/s for 20 s, hold 50 s (onesoup's default).
# Every process needs a file descriptor per connection: onesoup holds 2 per phone (XMPP and
# CIR), so N is bounded by about (ulimit -n)/2.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=$root/build
users=5000
modes=(stcp shttp)
wakes=50
wake_seconds=20
hold=50
tls=off
extra=()
wrap=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --users) users=$2; shift 2 ;;
        --cir)
            case $2 in
                both) modes=(stcp shttp) ;;
                stcp|shttp) modes=("$2") ;;
                *) echo "run_cir_bench.sh: --cir stcp|shttp|both" >&2; exit 2 ;;
            esac
            shift 2 ;;
        --wakes) wakes=$2; shift 2 ;;
        --wake-seconds) wake_seconds=$2; shift 2 ;;
        --hold) hold=$2; shift 2 ;;
        --tls) tls=required; shift ;;
        --wrap) read -r -a wrap <<<"$2"; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n 2,22p "$0"; exit 0 ;;
        *) echo "run_cir_bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
onesoup_bin=$(find "$build" -name onesoup -type f -perm -u+x | head -1)
load_bin=$(find "$build" -name onesoup-load -type f -perm -u+x | head -1)
if [[ -z $onesoup_bin || -z $load_bin ]]; then
    echo "run_cir_bench.sh: build onesoup and onesoup-load first" \
        "(cmake --build $build --target onesoup onesoup-load)" >&2
    exit 2
fi
# Raise the soft limit to the hard one; the phones need sockets on every side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
need=$((2 * users + 200))
if [[ $(ulimit -n) != unlimited && $(ulimit -n) -lt $need ]]; then
    echo "run_cir_bench.sh: ulimit -n is $(ulimit -n); $users phones need about $need" >&2
    exit 2
fi

W=""
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true; done
    # Prosody takes a few seconds to close thousands of connections; wait before forcing.
    for _ in $(seq 150); do
        alive=0
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [[ $alive -eq 0 ]] && break
        sleep 0.1
    done
    for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pids=()
    [[ -n $W ]] && rm -rf "$W"
    W=""
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
    "$(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); ulimit -n $(ulimit -n);" \
    "XMPP TLS: $tls"
status=0
for mode in "${modes[@]}"; do
    W=$(mktemp -d /tmp/onesoup-cir.XXXXXX)
    chmod 755 "$W"
    c2s=$(free_port)
    http=$(free_port)
    stcp=$(free_port)

    # Prosody: plain-text account files, so thousands of users exist without registering them.
    mkdir -p "$W/prosody/data/load%2etest/accounts" "$W/prosody/certs"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=load.test \
        -keyout "$W/prosody/certs/load.test.key" -out "$W/prosody/certs/load.test.crt" 2>/dev/null
    for ((i = 1; i <= users; i++)); do
        printf 'return {\n\t["password"] = "secret";\n};\n' > "$W/prosody/data/load%2etest/accounts/load$i.dat"
    done
    for name in buddy echo; do
        printf 'return {\n\t["password"] = "secret";\n};\n' > "$W/prosody/data/load%2etest/accounts/$name.dat"
    done
    cat > "$W/prosody/prosody.cfg.lua" <<CFG
pidfile = "$W/prosody/prosody.pid"
data_path = "$W/prosody/data"
log = { { levels = { min = "warn" }, to = "file", filename = "$W/prosody/prosody.log" } }
daemonize = false
interfaces = { "127.0.0.1" }
c2s_ports = { $c2s }
s2s_ports = { }
component_ports = { }
http_ports = { }
https_ports = { }
modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "presence", "message", "iq" }
modules_disabled = { "s2s" }
authentication = "internal_plain"
storage = "internal"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
certificates = "$W/prosody/certs"
VirtualHost "load.test"
    ssl = { certificate = "$W/prosody/certs/load.test.crt", key = "$W/prosody/certs/load.test.key" }
CFG
    chown -R prosody:prosody "$W/prosody"
    setsid setpriv --reuid=prosody --regid=prosody --init-groups prosody -F \
        --config "$W/prosody/prosody.cfg.lua" >"$W/prosody/stdout.log" 2>&1 &
    pids+=($!)

    cat > "$W/onesoup.toml" <<CFG
[http]
address = "127.0.0.1"
port = $http
[imps]
default_domain = "load.test"
keep_alive_default = 1800
keep_alive_max = 1800
[cir]
methods = ["STCP", "SHTTP"]
[cir.stcp]
address = "127.0.0.1"
port = $stcp
[cir.http]
hold = $hold
[store]
database = "$W/onesoup.db"
key_file = "$W/onesoup.key"
[log]
level = "warning"
[[domain]]
name = "load.test"
mode = "pass-through"
xmpp_host = "127.0.0.1"
xmpp_port = $c2s
tls = "$tls"
tls_verify = false
allow_plain_without_tls = true
CFG
    wait_port "$c2s" || { echo "run_cir_bench.sh: Prosody did not start" >&2; cat "$W/prosody/stdout.log" >&2; exit 1; }
    setsid "${wrap[@]}" "$onesoup_bin" --config "$W/onesoup.toml" >"$W/onesoup.log" 2>&1 &
    onesoup_pid=$!
    pids+=($onesoup_pid)
    wait_port "$http" || { echo "run_cir_bench.sh: onesoup did not start" >&2; cat "$W/onesoup.log" >&2; exit 1; }

    echo
    echo "=== CIR method $mode: $users phones, $wakes wake-ups/s for $wake_seconds s, SHTTP hold $hold s"
    run=0
    "$load_bin" --url "http://127.0.0.1:$http/wv" --users "$users" \
        --user-format 'load%zu@load.test' --password secret --pid "$onesoup_pid" \
        --ramp 200 --cir "$mode" --xmpp-port "$c2s" --buddy buddy@load.test \
        --echo echo@load.test --wakes "$wakes" --wake-seconds "$wake_seconds" --blast 0 \
        "${extra[@]}" || run=$?
    echo "prosody RSS: $(ps -o rss= -p "$(cat "$W/prosody/prosody.pid" 2>/dev/null || echo 1)" 2>/dev/null || echo ?) KiB"
    if [[ $run -ne 0 ]]; then
        status=$run
        echo "--- onesoup log (last 30 lines)"; tail -30 "$W/onesoup.log"
        echo "--- prosody log (last 30 lines)"; tail -30 "$W/prosody/prosody.log" 2>/dev/null || true
    fi
    cleanup
done
exit $status
