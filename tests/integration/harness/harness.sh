# shellcheck shell=bash
# Shell library for onesoup's integration scenarios (sourced, never run). It starts real servers
# on loopback in a private temporary folder and always stops them again:
#   - two Prosody instances federating over s2s: a.test on 127.0.0.1 and b.test on 127.0.0.2
#     (c2s and s2s on free ports, names resolved by libunbound from a hosts file and a local
#     SRV record, self-signed certificates, dialback);
#   - onesoup itself (HTTP on a free port; a.test in local mode against Prosody a, b.test in
#     pass-through mode against Prosody b);
#   - optionally ejabberd (e.test on 127.0.0.1, pass-through) for the interoperability smoke run;
#   - optionally CIR (cir_config: STCP, SHTTP, SUDP, WAPUDP, and SMS through the Kannel that
#     harness/kannel.sh starts), with helpers that count the phone's wake-ups and probe STCP;
#   - the `imps phone` and the slixmpp buddy (buddy.py), run concurrently with spawn/await.
# On exit (success, failure or signal) everything it started is stopped, and when the scenario
# failed the server logs are printed. See docs/testing.md.
#
# Environment (set by tests/integration/CMakeLists.txt, or by hand):
#   ONESOUP_BIN   the onesoup daemon        IMPS_BIN   the imps tool (imps phone)
#   ITEST_KEEP=1  keep the temporary folder after the run (its path is printed)
#   ITEST_KEEP_FAILED=1  keep it only when the scenario failed
#   ITEST_VERBOSE=1  print every phone and buddy transcript, not only failing ones

set -Eeuo pipefail

itest_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
itest_python=/usr/bin/python3 # Debian's python: the one that sees python3-slixmpp
itest_name=$(basename "${0%.sh}")
W=""                          # the scenario's temporary folder
itest_pids=()                 # spawned phones and buddies still running
declare -A itest_job_pid=()   # spawn name -> pid
itest_server_pids=()          # process group leaders of servers (setsid)
itest_onesoup_pid=""
itest_ejabberd=""
itest_epmd_before=""
itest_failed_step=""

# Prints a line prefixed with the time of day and the scenario name.
itest_log() {
    printf '[%s %s] %s\n' "$(date +%H:%M:%S.%3N)" "$itest_name" "$*"
}

# Ends the scenario as a failure with a message.
itest_fail() {
    itest_log "FAIL: $*"
    exit 1
}

# Ends the scenario as skipped (exit 77): only for a prerequisite that is not there.
itest_skip() {
    itest_log "SKIP: $*"
    exit 77
}

# Prints the name of a scenario step; a later failure names it.
step() {
    itest_failed_step="$*"
    itest_log "=== $*"
}

# Stops a process group started with setsid: TERM, up to 5 s grace, then KILL.
itest_stop_group() {
    local pid=$1
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
    local _
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

itest_print_logs() {
    local f
    for f in "$W"/onesoup.log "$W"/prosody-*/prosody.log "$W"/ejabberd/logs/ejabberd.log; do
        [ -f "$f" ] || continue
        echo "----- ${f#"$W"/} (last 120 lines)"
        tail -n 120 "$f"
    done
}

itest_cleanup() {
    local status=$?
    trap - EXIT INT TERM ERR
    set +e
    local pid
    for pid in "${itest_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${itest_pids[@]}"; do wait "$pid" 2>/dev/null; done
    if [ "$status" != 0 ] && [ "$status" != 77 ] && [ -n "$W" ]; then
        [ -n "$itest_failed_step" ] && itest_log "failed in step: $itest_failed_step"
        itest_print_logs
    fi
    if [ -n "$itest_onesoup_pid" ]; then
        # onesoup must end cleanly on SIGTERM (exit 0) and without a sanitizer report.
        itest_stop_group "$itest_onesoup_pid"
        local onesoup_status=0
        wait "$itest_onesoup_pid" 2>/dev/null || onesoup_status=$?
        local problem=""
        [ "$onesoup_status" = 0 ] || problem="onesoup exited with status $onesoup_status on SIGTERM"
        if grep -q -E 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$W/onesoup.log"; then
            problem="onesoup's log has a sanitizer report"
        fi
        if [ -n "$problem" ] && { [ "$status" = 0 ] || [ "$status" = 77 ]; }; then
            itest_log "FAIL: $problem"
            echo "----- onesoup.log (last 80 lines)"
            tail -n 80 "$W/onesoup.log"
            status=1
        fi
    fi
    if [ -n "$itest_ejabberd" ]; then
        timeout 20 "${itest_ejabberd_ctl[@]}" stop >/dev/null 2>&1
        for _ in $(seq 100); do kill -0 "$itest_ejabberd" 2>/dev/null || break; sleep 0.1; done
        itest_stop_group "$itest_ejabberd"
        # ejabberd leaves an epmd daemon behind: stop the one it started (not one that was
        # there before us).
        for pid in $(itest_epmd_pids); do
            case " $itest_epmd_before " in *" $pid "*) ;; *) kill -TERM "$pid" 2>/dev/null ;; esac
        done
    fi
    for pid in "${itest_server_pids[@]}"; do itest_stop_group "$pid"; done
    if [ -n "$W" ]; then
        rm -f "$W/servers" # all stopped: the watchdog has nothing left to do
        if [ -n "${ITEST_KEEP:-}" ] || { [ "$status" != 0 ] && [ -n "${ITEST_KEEP_FAILED:-}" ]; }; then
            itest_log "kept $W"
        else
            rm -rf "$W"
        fi
    fi
    if [ "$status" = 0 ]; then itest_log "PASS"; fi
    exit "$status"
}

# Starts a scenario: checks the prerequisites (exit 77 when a binary is missing; with
# --no-onesoup only the servers' and the buddy's), makes the temporary folder and installs the
# clean-up trap. Call first.
itest_begin() {
    if [ "${1:-}" != --no-onesoup ]; then
        [ -n "${ONESOUP_BIN:-}" ] && [ -x "$ONESOUP_BIN" ] ||
            itest_skip "onesoup binary missing (ONESOUP_BIN=${ONESOUP_BIN:-})"
        [ -n "${IMPS_BIN:-}" ] && [ -x "$IMPS_BIN" ] ||
            itest_skip "imps binary missing (IMPS_BIN=${IMPS_BIN:-})"
        # `imps phone` is newer than the imps tool itself.
        "$IMPS_BIN" phone --help >/dev/null 2>&1 || itest_skip "this imps has no 'phone' command"
    fi
    command -v prosody >/dev/null || itest_skip "prosody is not installed (scripts/install-deps)"
    "$itest_python" -c 'import slixmpp' 2>/dev/null ||
        itest_skip "python3-slixmpp is not installed (scripts/install-deps)"
    W=$(mktemp -d "/tmp/onesoup-itest-$itest_name.XXXXXX")
    chmod 755 "$W"
    trap itest_cleanup EXIT
    # set -e ends the scenario at a failing command: say which.
    trap 'itest_log "command failed (exit $?, line $LINENO): $BASH_COMMAND"' ERR
    trap 'exit 130' INT TERM
    itest_log "work folder $W"
    # If this shell is killed outright (SIGKILL, e.g. by a CTest timeout) the trap cannot run:
    # a watchdog outside our process group then stops the servers listed in $W/servers.
    setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done
        [ -f "$2/servers" ] || exit 0
        while read -r pid; do kill -KILL -- "-$pid" 2>/dev/null; done <"$2/servers"
        rm -rf "$2"' itest-watchdog "$$" "$W" </dev/null >/dev/null 2>&1 &
}

# Records a server's process group (started with setsid) for the clean-up and the watchdog.
itest_add_server() {
    itest_server_pids+=("$1")
    echo "$1" >>"$W/servers"
}

# free_port VAR [ADDRESS]: sets the variable VAR to a free TCP port on ADDRESS (default
# 127.0.0.1), never one it gave before in this scenario (hence no command substitution, which
# would forget them). The kernel picks it; the server binds it a moment later (a collision
# with another program then fails visibly, it is not hidden).
itest_ports_given=" "
# shellcheck disable=SC2034 # free_port_var is a name reference: it sets the caller's variable
free_port() {
    local -n free_port_var=$1
    local port _
    for _ in $(seq 20); do
        port=$("$itest_python" -c 'import socket, sys
s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "${2:-127.0.0.1}")
        case "$itest_ports_given" in *" $port "*) continue ;; esac
        itest_ports_given="$itest_ports_given$port "
        free_port_var=$port
        return 0
    done
    itest_fail "no free port found"
}

# Waits until ADDRESS:PORT accepts TCP connections, or fails naming WHAT. PID (optional) is
# the process that should open it: its early death fails at once.
wait_port() {
    local address=$1 port=$2 what=$3 pid=${4:-} i
    for i in $(seq 300); do
        if (exec 3<>"/dev/tcp/$address/$port") 2>/dev/null; then return 0; fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            itest_fail "$what exited before opening $address:$port"
        fi
        sleep 0.05
    done
    itest_fail "$what did not open $address:$port within 15 s"
}

# Runs a command as user prosody when we are root (Prosody refuses root and then hangs);
# setpriv keeps the caller's open-file limit.
as_prosody() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=prosody --regid=prosody --init-groups "$@"
    else
        "$@"
    fi
}

declare -A prosody_dir=() prosody_addr=() prosody_c2s=() prosody_s2s=() prosody_pid=()

# Writes the configuration of one Prosody instance for DOMAIN on ADDRESS; PEER is the other
# instance's domain. Call for both before starting either (each needs the other's ports).
itest_prosody_ports() {
    local domain=$1 address=$2
    prosody_dir[$domain]="$W/prosody-$domain"
    prosody_addr[$domain]=$address
    local c2s s2s
    free_port c2s "$address"
    free_port s2s "$address"
    prosody_c2s[$domain]=$c2s
    prosody_s2s[$domain]=$s2s
}

itest_prosody_config() {
    local domain=$1 peer=$2 dir=${prosody_dir[$1]} address=${prosody_addr[$1]}
    mkdir -p "$dir/data" "$dir/certs"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=$domain" -addext "subjectAltName=DNS:$domain" \
        -keyout "$dir/certs/$domain.key" -out "$dir/certs/$domain.crt" 2>/dev/null
    cat >"$dir/prosody.cfg.lua" <<CFG
-- Private Prosody for the onesoup integration scenario $itest_name.
data_path = "$dir/data"
pidfile = "$dir/prosody.pid"
log = { { levels = { min = "debug" }, to = "file", filename = "$dir/prosody.log" } }
interfaces = { "$address" }
c2s_ports = { ${prosody_c2s[$domain]} }
c2s_interfaces = { "$address" }
s2s_ports = { ${prosody_s2s[$domain]} }
s2s_interfaces = { "$address" }
modules_enabled = { "roster", "saslauth", "tls", "dialback", "disco", "ping", "register" }
-- Messages to an offline user are dropped, so that one scenario's leftovers never reach the next.
modules_disabled = { "offline" }
-- Name resolution never leaves this folder: the hosts file gives the A records, and libunbound
-- serves the peer's SRV record (its s2s port) as local data, so no fixed port 5269 is needed
-- and several scenarios can run at once.
unbound = {
    hoststxt = "$W/hosts";
    options = { ["local-data:"] = "_xmpp-server._tcp.$peer. 60 IN SRV 0 0 ${prosody_s2s[$peer]} $peer." };
}
s2s_secure_auth = false
s2s_require_encryption = false
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = true
authentication = "internal_hashed"
certificates = "$dir/certs"
VirtualHost "$domain"
    ssl = { key = "$dir/certs/$domain.key", certificate = "$dir/certs/$domain.crt" }
CFG
}

# Starts the two federating Prosody instances a.test (127.0.0.1) and b.test (127.0.0.2) and
# waits until both accept c2s and s2s connections.
start_prosody_pair() {
    command -v prosodyctl >/dev/null || itest_skip "prosodyctl is not installed"
    printf '127.0.0.1 a.test\n127.0.0.2 b.test\n' >"$W/hosts"
    itest_prosody_ports a.test 127.0.0.1
    itest_prosody_ports b.test 127.0.0.2
    itest_prosody_config a.test b.test
    itest_prosody_config b.test a.test
    local domain prefix=()
    [ "$(id -u)" = 0 ] && prefix=(setpriv --reuid=prosody --regid=prosody --init-groups)
    for domain in a.test b.test; do
        [ "$(id -u)" = 0 ] && chown -R prosody:prosody "${prosody_dir[$domain]}"
        setsid "${prefix[@]}" prosody -F --config "${prosody_dir[$domain]}/prosody.cfg.lua" \
            >"${prosody_dir[$domain]}/stdout.log" 2>&1 &
        prosody_pid[$domain]=$!
        itest_add_server "$!"
    done
    for domain in a.test b.test; do
        wait_port "${prosody_addr[$domain]}" "${prosody_c2s[$domain]}" "prosody $domain (c2s)" \
            "${prosody_pid[$domain]}"
        wait_port "${prosody_addr[$domain]}" "${prosody_s2s[$domain]}" "prosody $domain (s2s)" \
            "${prosody_pid[$domain]}"
    done
    itest_log "prosody a.test c2s ${prosody_c2s[a.test]} s2s ${prosody_s2s[a.test]}," \
        "b.test c2s ${prosody_c2s[b.test]} s2s ${prosody_s2s[b.test]}"
}

# Registers USER@DOMAIN with PASSWORD on that domain's Prosody (prosodyctl works on the data
# folder directly; a running Prosody sees the account at once).
prosody_register() {
    local domain=$1 user=$2 password=$3
    as_prosody prosodyctl --config "${prosody_dir[$domain]}/prosody.cfg.lua" \
        register "$user" "$domain" "$password" >/dev/null ||
        itest_fail "prosodyctl could not register $user@$domain"
}

ONESOUP_PORT=""
ONESOUP_URL=""
ONESOUP_CONFIG=""
ONESOUP_CIR_TOML=""  # the [cir] tables of onesoup's config (cir_config), "" = CIR off
ONESOUP_STCP_PORT=""

# Writes onesoup's configuration: HTTP on a free port; a.test local (accounts kept by onesoup,
# XEP-0077 registration on Prosody a, STARTTLS required with the self-signed certificate
# accepted); b.test pass-through against Prosody b over plaintext loopback c2s. Extra TOML
# lines for the [imps] table may be given as arguments (e.g. "keep_alive_min = 5").
write_onesoup_config() {
    free_port ONESOUP_PORT
    ONESOUP_URL="http://127.0.0.1:$ONESOUP_PORT/wv"
    ONESOUP_CONFIG="$W/onesoup.toml"
    {
        cat <<TOML
# onesoup configuration for the integration scenario $itest_name.
[http]
address = "127.0.0.1"
port = $ONESOUP_PORT
path = "/wv"

[imps]
default_domain = "a.test"
TOML
        local line
        for line in "$@"; do echo "$line"; done
        cat <<TOML

[store]
database = "onesoup.db"
key_file = "onesoup.key"

[log]
level = "debug"
TOML
        if [ -n "${prosody_c2s[a.test]:-}" ]; then
            cat <<TOML

[[domain]]
name = "a.test"
mode = "local"
xmpp_host = "127.0.0.1"
xmpp_port = ${prosody_c2s[a.test]}
tls = "required"
tls_verify = false
register_in_band = true

[[domain]]
name = "b.test"
mode = "pass-through"
xmpp_host = "127.0.0.2"
xmpp_port = ${prosody_c2s[b.test]}
tls = "off"
allow_plain_without_tls = true
TOML
        fi
        if [ -n "$ONESOUP_CIR_TOML" ]; then
            printf '\n%s\n' "$ONESOUP_CIR_TOML"
        else
            # Not a CIR scenario: its STCP listener takes any free port, so that scenarios
            # running at once (and scripts/run in app.run_script) do not compete for 3717.
            printf '\n[cir.stcp]\naddress = "127.0.0.1"\nport = 0\n'
        fi
        if [ -n "${ejabberd_c2s:-}" ]; then
            cat <<TOML

[[domain]]
name = "e.test"
mode = "pass-through"
xmpp_host = "127.0.0.1"
xmpp_port = $ejabberd_c2s
tls = "optional"
tls_verify = false
allow_plain_without_tls = true
TOML
        fi
    } >"$ONESOUP_CONFIG"
}

# cir_config [--methods "STCP SHTTP ..."] [--hold S] [--resend "1, 2, 4"] [--sms]
#            [--sms-interval S] [--poll-min S]:
# makes the onesoup that write_onesoup_config describes wake phones (CIR, issue 4; keys in
# docs/cir.md). Call it before write_onesoup_config / start_servers. Defaults: STCP, SHTTP, SUDP
# and WAPUDP (plus WAPSMS and SSMS with --sms); the STCP listener on a free port of 127.0.0.1
# (ONESOUP_STCP_PORT), phones told 127.0.0.1; SHTTP on onesoup's HTTP port (its CIR URL
# derived from the Host the phone used), held 20 s; datagrams sent from 127.0.0.1, resent
# after 1, 2 and 4 s while the phone does not poll (--resend); ServerPollMin with CIR 300 s.
# --sms points [cir.sms] at the Kannel of kannel_start (harness/kannel.sh: call it first),
# at most one SMS per session per --sms-interval seconds (default 1, so a scenario may wake
# a phone by SMS more than once).
cir_config() {
    local methods="" hold=20 resend="1, 2, 4" sms="" sms_interval=1 poll_min=300
    while [ $# -gt 0 ]; do
        case $1 in
            --methods) methods=$2; shift 2 ;;
            --hold) hold=$2; shift 2 ;;
            --resend) resend=$2; shift 2 ;;
            --sms) sms=1; shift ;;
            --sms-interval) sms_interval=$2; shift 2 ;;
            --poll-min) poll_min=$2; shift 2 ;;
            *) itest_fail "cir_config: unknown option $1" ;;
        esac
    done
    if [ -z "$methods" ]; then
        methods="STCP SHTTP SUDP WAPUDP"
        [ -n "$sms" ] && methods="$methods WAPSMS SSMS"
    fi
    local list="" m
    for m in $methods; do list="$list${list:+, }\"$m\""; done
    free_port ONESOUP_STCP_PORT
    ONESOUP_CIR_TOML="[cir]
methods = [$list]
poll_min_with_cir = $poll_min

[cir.stcp]
address = \"127.0.0.1\"
port = $ONESOUP_STCP_PORT
helo_timeout = 5

[cir.http]
hold = $hold

[cir.udp]
address = \"127.0.0.1\"
resend = [$resend]"
    if [ -n "$sms" ]; then
        [ -n "${KANNEL_SENDSMS_URL:-}" ] || itest_fail "cir_config --sms: kannel_start first"
        ONESOUP_CIR_TOML="$ONESOUP_CIR_TOML

[cir.sms]
sendsms_url = \"$KANNEL_SENDSMS_URL\"
username = \"${KANNEL_USER:-}\"
password = \"${KANNEL_PASSWORD:-}\"
min_interval = $sms_interval"
    fi
}

# Prints how many wake-ups the phone transcript NAME ($W/NAME.log) shows: its `<< CIR` lines
# (the phone prints a valid wake-up so; anything else its CIR channel sees is indented).
cir_wakes() {
    grep -c '^<< CIR' "$W/$1.log" || true
}

# expect_wakes NAME COUNT [CMP]: the transcript NAME shows COUNT wake-ups (CMP: eq, le, ge as
# for test; default eq).
expect_wakes() {
    local name=$1 want=$2 cmp=${3:-eq} got
    got=$(cir_wakes "$name")
    local ok=""
    case $cmp in
        eq) [ "$got" -eq "$want" ] && ok=1 ;;
        le) [ "$got" -le "$want" ] && ok=1 ;;
        ge) [ "$got" -ge "$want" ] && ok=1 ;;
        *) itest_fail "expect_wakes: unknown comparison $cmp" ;;
    esac
    if [ -z "$ok" ]; then
        echo "----- $name"
        cat "$W/$name.log"
        itest_fail "$name: $got wake-ups (<< CIR lines), expected -$cmp $want"
    fi
    itest_log "$name: $got wake-up(s)"
}

# login_cookie NAME: the SessionCookie of the first Login-Request in transcript NAME.
login_cookie() {
    sed -n 's:.*<SessionCookie>\(.*\)</SessionCookie>.*:\1:p' "$W/$1.log" | head -n 1
}

# The CIR scenarios' common rounds. In each, the XMPP buddy carol@a.test writes to
# alice@a.test, whose phone (imps phone, transcript NAME) logs in with PHONE_ARGS: a --cir
# method and a poll interval far longer than any timeout here, so only a wake-up delivers.

# cir_round_wake [--once] NAME TEXT PHONE_ARGS...: the phone says "ready TEXT"; carol answers
# "hello TEXT" a second later; it must arrive within 10 s. With --once, no second wake-up may
# follow within 2 s (one message, one wake-up): the phone then saw exactly one.
cir_round_wake() {
    local once="" cmp=ge
    if [ "$1" = --once ]; then
        once="expect-no-wake timeout=2"
        cmp=eq
        shift
    fi
    local name=$1 text=$2
    shift 2
    spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready $text
    sleep 1
    send alice@a.test hello $text"
    run "$name" phone wv:alice@a.test alice-pw "$@" --steps "
    login
    send carol@a.test ready $text
    expect-message from=carol@a.test hello $text timeout=10
    $once
    logout"
    await carol
    expect_wakes "$name" 1 "$cmp"
}

# cir_round_new_address SECONDS CMP PHONE_ARGS...: the phone is woken once, moves to a new
# address (imps phone's new-address step), and carol's second message must arrive within
# SECONDS of the phone saying so: the wake-up found the new address. The phone saw 2 wake-ups
# (CMP eq), or at least 2 (ge).
cir_round_new_address() {
    local seconds=$1 cmp=$2
    shift 2
    spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test here
    sleep 1
    send alice@a.test first wake
    expect-message from=alice@a.test moved
    sleep 0.5
    send alice@a.test second wake"
    run phone phone wv:alice@a.test alice-pw "$@" --steps "
    login
    send carol@a.test here
    expect-message from=carol@a.test first wake timeout=10
    new-address
    send carol@a.test moved
    expect-message from=carol@a.test second wake timeout=$seconds
    logout"
    await carol
    expect_wakes phone 2 "$cmp"
}

# cir_round_resend PHONE_ARGS...: for datagram wake-ups resent 4 s after the first (cir_config
# --resend "4, ..."): a phone that does not poll gets the wake-up twice; once it polled, no
# more come.
cir_round_resend() {
    spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready
    sleep 1
    send alice@a.test wake me twice"
    run phone phone wv:alice@a.test alice-pw "$@" --steps "
    login
    send carol@a.test ready
    expect-wake timeout=10
    expect-wake timeout=6
    poll
    expect-message from=carol@a.test wake me twice timeout=1
    expect-no-wake timeout=5
    logout"
    await carol
    expect_wakes phone 2
}

# stcp_probe SEND EXPECT [SECONDS]: opens a TCP connection to onesoup's STCP listener, writes
# SEND (\r and \n escapes allowed; "" = nothing) and checks what happens within SECONDS
# (default 3): EXPECT is "closed" (the server closes the socket without writing anything),
# "open" (the socket stays open and silent) or a text the server must write first (e.g. "OK\r\n").
stcp_probe() {
    "$itest_python" - "$ONESOUP_STCP_PORT" "$1" "$2" "${3:-3}" <<'PY' ||
import socket, sys, time
port, send, expect, seconds = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
decode = lambda s: s.encode().decode("unicode_escape").encode("latin-1")
s = socket.create_connection(("127.0.0.1", port), timeout=seconds)
if send:
    s.sendall(decode(send))
got, closed, end = b"", False, time.monotonic() + seconds
while time.monotonic() < end:
    s.settimeout(max(0.01, end - time.monotonic()))
    try:
        chunk = s.recv(4096)
    except socket.timeout:
        break
    except ConnectionResetError:
        closed = True
        break
    if not chunk:
        closed = True
        break
    got += chunk
    if expect not in ("closed", "open") and len(got) >= len(decode(expect)):
        break
if expect == "closed":
    ok = closed and not got
elif expect == "open":
    ok = not closed and not got
else:
    ok = got.startswith(decode(expect))
print(f"stcp probe: sent {send!r}, got {got!r}, {'closed' if closed else 'open'}")
sys.exit(0 if ok else 1)
PY
        itest_fail "STCP probe: sent '$1', expected $2"
}

# Adds a local onesoup account (USER like alice@a.test) with PASSWORD; further arguments go to
# `onesoup account add` (e.g. --msisdn +NUMBER).
onesoup_account_add() {
    "$ONESOUP_BIN" --config "$ONESOUP_CONFIG" account add "$1" --password "$2" "${@:3}" \
        >>"$W/onesoup-admin.log" 2>&1 ||
        { cat "$W/onesoup-admin.log"; itest_fail "onesoup account add $1 failed"; }
}

# Starts onesoup with the configuration written by write_onesoup_config and waits for HTTP.
start_onesoup() {
    [ -n "$ONESOUP_CONFIG" ] || write_onesoup_config
    setsid "$ONESOUP_BIN" --config "$ONESOUP_CONFIG" >"$W/onesoup.log" 2>&1 &
    itest_onesoup_pid=$!
    echo "$itest_onesoup_pid" >>"$W/servers"
    wait_port 127.0.0.1 "$ONESOUP_PORT" onesoup "$itest_onesoup_pid"
    itest_log "onesoup at $ONESOUP_URL"
}

# Starts the standard server set: the Prosody pair, then onesoup (extra [imps] lines as
# arguments, see write_onesoup_config).
start_servers() {
    start_prosody_pair
    write_onesoup_config "$@"
    start_onesoup
}

# Runs `imps phone` against onesoup: phone USER PASSWORD [imps phone options] --steps "...".
# The steps may be given one per line as well as separated by ';'.
phone() {
    local user=$1 password=$2 args=() steps_next="" arg
    shift 2
    for arg in "$@"; do
        if [ -n "$steps_next" ]; then arg=${arg//$'\n'/;}; fi
        steps_next=""
        [ "$arg" = --steps ] && steps_next=1
        args+=("$arg")
    done
    "$IMPS_BIN" phone --url "$ONESOUP_URL" --user "$user" --password "$password" "${args[@]}"
}

# Runs the slixmpp buddy: buddy JID PASSWORD [buddy.py options] --steps "..."; the server's
# address and port come from the JID's domain.
buddy() {
    local jid=$1 password=$2 domain
    shift 2
    domain=${jid#*@}
    domain=${domain%%/*}
    local host port
    if [ "$domain" = e.test ]; then
        host=127.0.0.1 port=$ejabberd_c2s
    else
        host=${prosody_addr[$domain]} port=${prosody_c2s[$domain]}
    fi
    "$itest_python" "$itest_dir/buddy.py" --jid "$jid" --password "$password" \
        --host "$host" --port "$port" "$@"
}

# Starts a command in the background under NAME (its output goes to $W/NAME.log).
spawn() {
    local name=$1
    shift
    # The ERR trap is for the scenario's own commands; a failing job says why in its log.
    (trap - ERR; "$@") >"$W/$name.log" 2>&1 &
    itest_job_pid[$name]=$!
    itest_pids+=("$!")
}

# Starts a buddy in the background under NAME (spawn_buddy NAME JID PASSWORD [buddy.py
# options] --steps "...") and waits until its session has started, so that what the phone sends
# next finds it online.
spawn_buddy() {
    local name=$1 i
    shift
    rm -f "$W/$name.ready"
    spawn "$name" buddy "$@" --ready-file "$W/$name.ready"
    for i in $(seq 300); do
        [ -f "$W/$name.ready" ] && return 0
        if ! kill -0 "${itest_job_pid[$name]}" 2>/dev/null; then await "$name"; fi
        sleep 0.05
    done
    itest_fail "buddy $name did not log in within 15 s"
}

# Waits for the named spawned commands; prints each transcript when it failed (or always with
# ITEST_VERBOSE=1) and fails the scenario if any failed.
await() {
    local name status failed=""
    for name in "$@"; do
        status=0
        wait "${itest_job_pid[$name]}" || status=$?
        if [ "$status" != 0 ] || [ -n "${ITEST_VERBOSE:-}" ]; then
            echo "----- $name (exit $status)"
            cat "$W/$name.log"
        fi
        [ "$status" = 0 ] || failed="$failed $name"
    done
    [ -z "$failed" ] || itest_fail "failed:$failed"
}

# Runs one command in the foreground like spawn + await.
run() {
    local name=$1
    shift
    spawn "$name" "$@"
    await "$name"
}

# Prints the process ids of running (not zombie) epmd daemons.
itest_epmd_pids() {
    { ps -C epmd -o pid=,stat= || true; } | awk '$2 !~ /^Z/ { print $1 }'
}

# Starts ejabberd (domain e.test, c2s on a free port of 127.0.0.1, in-band registration off,
# plaintext and PLAIN allowed on loopback) as user ejabberd and waits until it has started.
start_ejabberd() {
    command -v ejabberdctl >/dev/null || itest_skip "ejabberd is not installed"
    local dir="$W/ejabberd" node
    free_port ejabberd_c2s
    node="itest$$@localhost"
    mkdir -p "$dir/logs" "$dir/spool"
    itest_epmd_before=$(itest_epmd_pids | tr '\n' ' ')
    # ejabberdctl points Erlang at CONFIG_DIR/inetrc; an empty one keeps the system resolver.
    : >"$dir/inetrc"
    cat >"$dir/ejabberdctl.cfg" <<CFG
ERLANG_NODE=$node
INET_DIST_INTERFACE=127.0.0.1
CFG
    cat >"$dir/ejabberd.yml" <<YML
hosts:
  - e.test
loglevel: info
log_rotate_count: 0
certfiles: []
listen:
  - port: $ejabberd_c2s
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: false
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
auth_method: internal
auth_password_format: plain
modules:
  mod_roster: {}
  mod_disco: {}
  mod_ping: {}
YML
    if [ "$(id -u)" = 0 ]; then chown -R ejabberd:ejabberd "$dir"; fi
    itest_ejabberd_ctl=(ejabberdctl --config-dir "$dir" --config "$dir/ejabberd.yml"
        --ctl-config "$dir/ejabberdctl.cfg" --logs "$dir/logs" --spool "$dir/spool"
        --node "$node")
    if [ "$(id -u)" = 0 ]; then
        itest_ejabberd_ctl=(setpriv --reuid=ejabberd --regid=ejabberd --init-groups
            env HOME="$dir" "${itest_ejabberd_ctl[@]}")
    fi
    setsid "${itest_ejabberd_ctl[@]}" foreground >"$dir/stdout.log" 2>&1 &
    itest_ejabberd=$!
    echo "$itest_ejabberd" >>"$W/servers"
    local i
    for i in $(seq 120); do
        if "${itest_ejabberd_ctl[@]}" started >/dev/null 2>&1; then break; fi
        kill -0 "$itest_ejabberd" 2>/dev/null ||
            { cat "$dir/stdout.log"; itest_fail "ejabberd exited early"; }
        [ "$i" = 120 ] && { cat "$dir/stdout.log"; itest_fail "ejabberd did not start in 60 s"; }
        sleep 0.5
    done
    wait_port 127.0.0.1 "$ejabberd_c2s" ejabberd "$itest_ejabberd"
    itest_log "ejabberd e.test c2s $ejabberd_c2s"
}

# Registers USER@e.test with PASSWORD on ejabberd.
ejabberd_register() {
    "${itest_ejabberd_ctl[@]}" register "$1" e.test "$2" >/dev/null ||
        itest_fail "ejabberdctl could not register $1@e.test"
}
