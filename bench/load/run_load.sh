#!/usr/bin/env bash
# Runs the load program against a real onesoup and a real Prosody on this machine and prints
# the figures (a benchmark, not a test). Usage:
#   bench/load/run_load.sh [--build DIR] [--users N] [--milestones 1000,10000] [--tls]
#                          [--wrap 'heaptrack -o /tmp/hp'] [-- extra onesoup-load options]
# It starts a private Prosody (domain load.test, accounts written straight into its data
# folder, so 10,000 users take a second), onesoup with load.test in pass-through mode, then
# onesoup-load with --pid of onesoup, and stops everything at the end. --wrap runs onesoup under
# a tool (e.g. heaptrack); the RSS figures are then those of the tool's process, not onesoup's.
# Extra options (e.g. -- --ramp 200 --messages 200) go to onesoup-load: see its --help.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=$root/build
users=1000
milestones=""
tls=off
extra=()
wrap=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --users) users=$2; shift 2 ;;
        --milestones) milestones=$2; shift 2 ;;
        --tls) tls=required; shift ;;
        --wrap) read -r -a wrap <<<"$2"; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n 2,10p "$0"; exit 0 ;;
        *) echo "run_load.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ -n $milestones ]] || milestones=$users
for bin in onesoup onesoup-load; do
    [[ -x $(find "$build" -name "$bin" -type f -perm -u+x | head -1) ]] ||
        { echo "run_load.sh: build $bin first (cmake --build $build --target $bin)" >&2; exit 2; }
done
onesoup_bin=$(find "$build" -name onesoup -type f -perm -u+x | head -1)
load_bin=$(find "$build" -name onesoup-load -type f -perm -u+x | head -1)

W=$(mktemp -d /tmp/onesoup-load.XXXXXX)
chmod 755 "$W"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true; done
    # Prosody takes a few seconds to close 10,000 connections; wait before forcing.
    for _ in $(seq 100); do
        alive=0
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [[ $alive -eq 0 ]] && break
        sleep 0.1
    done
    for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
c2s=$(free_port)
http=$(free_port)

# Prosody: plain-text account files, so thousands of users exist without registering them.
mkdir -p "$W/prosody/data/load%2etest/accounts" "$W/prosody/certs"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=load.test \
    -keyout "$W/prosody/certs/load.test.key" -out "$W/prosody/certs/load.test.crt" 2>/dev/null
for ((i = 1; i <= users; i++)); do
    printf 'return {\n\t["password"] = "secret";\n};\n' > "$W/prosody/data/load%2etest/accounts/load$i.dat"
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
for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$c2s) 2>/dev/null && break
    sleep 0.1
done
setsid "${wrap[@]}" "$onesoup_bin" --config "$W/onesoup.toml" >"$W/onesoup.log" 2>&1 &
onesoup_pid=$!
pids+=($onesoup_pid)
for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$http) 2>/dev/null && break
    sleep 0.1
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); XMPP TLS: $tls"
status=0
"$load_bin" --url "http://127.0.0.1:$http/wv" --users "$users" --user-format 'load%zu@load.test' \
    --password secret --pid "$onesoup_pid" --milestones "$milestones" "${extra[@]}" || status=$?
echo "prosody RSS: $(ps -o rss= -p "$(cat "$W/prosody/prosody.pid" 2>/dev/null || echo 1)" 2>/dev/null || echo ?) KiB"
if [[ $status -ne 0 ]]; then
    echo "--- onesoup log (last 30 lines)"; tail -30 "$W/onesoup.log"
    echo "--- prosody log (last 30 lines)"; tail -30 "$W/prosody/prosody.log" 2>/dev/null || true
fi
exit $status
