# The servers of the load benchmarks (bench/load/run_load.sh, bench/cir/run_cir_bench.sh),
# sourced by them: a private Prosody for thousands of phones, and onesoup in front of it.
# shellcheck shell=bash
# The caller sets W (a fresh working folder) and keeps the processes it starts in `pids`;
# bench_stop stops them and removes W.

pids=()
W=""

# bench_stop: stops every process in pids (each is the leader of its own process group) and
# removes W. Prosody takes a few seconds to close thousands of connections, so it waits up to
# 15 s before forcing.
bench_stop() {
    local p alive
    for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true; done
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

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT: true once 127.0.0.1:PORT accepts connections (within 10 s).
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# start_load_prosody C2S_PORT USERS [NAME...]: Prosody for the domain load.test in $W/prosody,
# its c2s on 127.0.0.1:C2S_PORT (TLS offered, plain text allowed). The accounts load1..loadUSERS
# and NAME... (password "secret") are written straight into its data folder as plain-text
# files, so thousands of users exist in a second without registering them. Returns once the
# port is open.
start_load_prosody() {
    local c2s=$1 users=$2 i name
    shift 2
    local p=$W/prosody
    mkdir -p "$p/data/load%2etest/accounts" "$p/certs"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=load.test \
        -keyout "$p/certs/load.test.key" -out "$p/certs/load.test.crt" 2>/dev/null
    for ((i = 1; i <= users; i++)); do
        printf 'return {\n\t["password"] = "secret";\n};\n' >"$p/data/load%2etest/accounts/load$i.dat"
    done
    for name in "$@"; do
        printf 'return {\n\t["password"] = "secret";\n};\n' >"$p/data/load%2etest/accounts/$name.dat"
    done
    cat >"$p/prosody.cfg.lua" <<CFG
pidfile = "$p/prosody.pid"
data_path = "$p/data"
log = { { levels = { min = "warn" }, to = "file", filename = "$p/prosody.log" } }
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
certificates = "$p/certs"
VirtualHost "load.test"
    ssl = { certificate = "$p/certs/load.test.crt", key = "$p/certs/load.test.key" }
CFG
    chown -R prosody:prosody "$p"
    # Prosody refuses to run as root; setpriv keeps the caller's ulimit -n.
    setsid setpriv --reuid=prosody --regid=prosody --init-groups prosody -F \
        --config "$p/prosody.cfg.lua" >"$p/stdout.log" 2>&1 &
    pids+=("$!")
    wait_port "$c2s" || { echo "Prosody did not start:" >&2; cat "$p/stdout.log" >&2; return 1; }
}

# start_load_onesoup BINARY HTTP_PORT C2S_PORT TLS [TOML_LINE...] [-- WRAPPER...]: onesoup on
# 127.0.0.1:HTTP_PORT, load.test in pass-through mode to the Prosody on C2S_PORT (tls = TLS),
# keep-alive up to 30 minutes, warnings only in $W/onesoup.log; TOML_LINE... are added at the
# end of its configuration (so they start with a table header); WRAPPER (e.g. heaptrack -o FILE) runs it under a tool. Sets onesoup_pid and
# returns once the HTTP port is open.
start_load_onesoup() {
    local bin=$1 http=$2 c2s=$3 tls=$4 line
    shift 4
    local toml=() wrap=()
    while [[ $# -gt 0 && $1 != -- ]]; do toml+=("$1"); shift; done
    [[ $# -gt 0 ]] && { shift; wrap=("$@"); }
    {
        cat <<CFG
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
        for line in "${toml[@]}"; do echo "$line"; done
    } >"$W/onesoup.toml"
    setsid "${wrap[@]}" "$bin" --config "$W/onesoup.toml" >"$W/onesoup.log" 2>&1 &
    onesoup_pid=$!
    pids+=("$onesoup_pid")
    wait_port "$http" || { echo "onesoup did not start:" >&2; cat "$W/onesoup.log" >&2; return 1; }
}

# bench_report STATUS: Prosody's RSS, and the end of both logs when the load program ended with
# a STATUS other than 0.
bench_report() {
    echo "prosody RSS: $(ps -o rss= -p "$(cat "$W/prosody/prosody.pid" 2>/dev/null || echo 1)" 2>/dev/null || echo ?) KiB"
    if [[ $1 -ne 0 ]]; then
        echo "--- onesoup log (last 30 lines)"; tail -30 "$W/onesoup.log"
        echo "--- prosody log (last 30 lines)"; tail -30 "$W/prosody/prosody.log" 2>/dev/null || true
    fi
}
