# shellcheck shell=bash
# Shell library (sourced, never run) that starts a real Kannel SMS gateway on loopback for the
# SMS and WAP-push CIR tests: bearerbox, smsbox (whose sendsms HTTP interface onesoup calls),
# and fakesmsc, Kannel's fake SMS centre, which records every MT message it receives.
#
#   source tests/integration/harness/kannel.sh
#   kannel_start "$dir"           # config, logs and fakesmsc's output go into $dir
#   ... send through $KANNEL_SENDSMS_URL with $KANNEL_USER / $KANNEL_PASSWORD ...
#   kannel_wait_sms +4915112345 'WVCI 1.2 cookie' 10
#   kannel_stop
#
# kannel_start exports
#   KANNEL_SENDSMS_URL  http://127.0.0.1:PORT/cgi-bin/sendsms
#   KANNEL_USER, KANNEL_PASSWORD   the sendsms-user (a fresh random password per start)
#   KANNEL_SMS_LOG      fakesmsc's output (DIR/fakesmsc.out)
#   KANNEL_ADMIN_URL    bearerbox's status page (http://127.0.0.1:PORT/status.txt?password=...)
#   KANNEL_DIR          DIR
# and writes the same as KEY=VALUE lines to DIR/kannel.env, for programs that started it through
# a shell that has exited since (the C++ tests: std::system, then read the file).
#
# Processes: each of the three runs in its own process group (setsid); their group ids are in
# DIR/kannel.pids. kannel_stop [DIR] stops them (TERM, then KILL after 5 s) and may be called
# from any shell, any number of times. Two safety nets keep anything from staying behind:
#   - a trap: if the calling shell has no EXIT trap yet, kannel_start installs one that calls
#     kannel_stop (plus INT/TERM traps that exit, if there are none). If the shell has an EXIT
#     trap already (the integration harness), kannel_start runs kannel_stop before it, keeping
#     the exit status it sees. KANNEL_TRAP=0 installs nothing (a shell that exits at once
#     while Kannel should keep running, as std::system does).
#   - a watchdog process that stops Kannel when the process KANNEL_WATCH_PID (default: the
#     calling shell, $$) is gone, even after a SIGKILL that leaves no chance for a trap.
#
# Privileges: Kannel 1.4.5 (Debian 12) runs as root without complaint (CI runs as root); it
# binds only loopback ports above 1024 and writes only into DIR, so no privilege drop is done
# (bearerbox/smsbox would take `-u USER`). As another user it works the same.
#
# fakesmsc's output format (Kannel 1.4.5, gw/smsc/smsc_fake.c writes one line per MT message
# to the fake centre, which logs it): every received message is one log line
#     2026-11-26 19:10:40 [27989] [0] DEBUG: Got message 1: <SENDER RECEIVER TYPE ...>
# where TYPE and the rest are:
#     text TEXT             a text SMS (coding 0): the text itself, raw (UTF-8 stays UTF-8),
#                           spaces and '<' '>' included; a control character became '?'
#                           on the way (GSM alphabet): <4321 +4915112345 text WVCI 1.2 abcDEF>
#     data URLDATA          an 8-bit SMS (coding=1) without header: the bytes URL-encoded
#                           (%XX, '+' for a space, letters and digits as they are)
#     udh URLUDH data URLDATA   a message with a user data header (binary, coding=1): both
#                           URL-encoded, the body even when it is printable:
#                           <4321 +49151 udh %06%05%04%0B%84%23%F0 data %01%06%02%C6%AFWVCI+1.2+xyz>
#     ucs-2 URLDATA         coding=2 (UCS-2): the text URL-encoded
# SENDER is the sendsms `from` (default-sender "4321" here when none is given), RECEIVER the `to`
# as it was given. kannel_sms_decoded prints each message decoded as one line:
#     RECEIVER SENDER TYPE udh=HEX data=HEX text=PRINTABLE
# (TYPE text, data, udh-data or ucs-2; HEX upper case, "udh=-" without a header; PRINTABLE the
# message's bytes with every non-printable byte as '.'), and kannel_wait_sms matches PATTERN,
# a fixed string (not a regular expression), against that whole line: a test can look for the
# WVCI line inside a WSP push PDU by its text ('WVCI 1.2 cookie') or for bytes in hex
# ('udh=0605040B8423F0 data=0106').

kannel_python=/usr/bin/python3
kannel_bin_dir=${KANNEL_BIN_DIR:-/usr/sbin}
kannel_fakesmsc=${KANNEL_FAKESMSC:-/usr/lib/kannel/test/fakesmsc}

kannel__log() {
    printf '[%s kannel] %s\n' "$(date +%H:%M:%S.%3N)" "$*" >&2
}

# Prints a free TCP port on 127.0.0.1 (the kernel picks it; Kannel binds it a moment later).
kannel__free_port() {
    "$kannel_python" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Prints "STATUS BODY" of a GET to URL (STATUS 0 when nothing answered), within 2 s.
kannel__get() {
    "$kannel_python" - "$1" <<'EOF'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        print(r.status, r.read().decode("utf-8", "replace"))
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode("utf-8", "replace"))
except Exception as e:
    print(0, e)
EOF
}

# Starts PROGRAM ARGS... in its own process group with output to LOG; records the group.
kannel__spawn() {
    local log=$1
    shift
    setsid "$@" </dev/null >"$log" 2>&1 &
    local pid=$!
    echo "$pid" >>"$KANNEL_DIR/kannel.pids"
    kannel__last_pid=$pid
}

# Waits until 127.0.0.1:PORT accepts connections (up to 10 s) while PID lives.
kannel__wait_port() {
    local port=$1 pid=$2 what=$3 _
    for _ in $(seq 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            kannel__log "$what exited before opening port $port"
            return 1
        fi
        sleep 0.05
    done
    kannel__log "$what did not open port $port within 10 s"
    return 1
}

kannel__write_config() {
    local dir=$1
    cat >"$dir/kannel.conf" <<EOF
# Written by tests/integration/harness/kannel.sh: everything on loopback, free ports.
group = core
admin-port = $kannel__admin_port
admin-interface = 127.0.0.1
admin-password = $KANNEL_PASSWORD
admin-allow-ip = "127.0.0.1"
smsbox-port = $kannel__smsbox_port
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"

# The fake SMS centre: bearerbox listens, fakesmsc connects and receives the MT messages.
group = smsc
smsc = fake
smsc-id = fake
port = $kannel__fake_port
our-host = 127.0.0.1
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $kannel__smsbox_port
sendsms-port = $kannel__sendsms_port
sendsms-interface = 127.0.0.1

group = sendsms-user
username = $KANNEL_USER
password = $KANNEL_PASSWORD
default-sender = 4321
max-messages = 1
EOF
}

# One attempt at starting the three processes; 0 when the sendsms interface answers and the
# fake SMSC is online.
kannel__start_once() {
    local dir=$1 bb sb fk _
    kannel__admin_port=$(kannel__free_port)
    kannel__smsbox_port=$(kannel__free_port)
    kannel__fake_port=$(kannel__free_port)
    kannel__sendsms_port=$(kannel__free_port)
    kannel__write_config "$dir"
    KANNEL_SENDSMS_URL="http://127.0.0.1:$kannel__sendsms_port/cgi-bin/sendsms"
    KANNEL_ADMIN_URL="http://127.0.0.1:$kannel__admin_port/status.txt?password=$KANNEL_PASSWORD"

    kannel__spawn "$dir/bearerbox.log" "$kannel_bin_dir/bearerbox" "$dir/kannel.conf"
    bb=$kannel__last_pid
    kannel__wait_port "$kannel__fake_port" "$bb" bearerbox || return 1
    kannel__wait_port "$kannel__smsbox_port" "$bb" bearerbox || return 1
    kannel__spawn "$dir/smsbox.log" "$kannel_bin_dir/smsbox" "$dir/kannel.conf"
    sb=$kannel__last_pid
    # -m 0: the fake centre sends no mobile-originated messages of its own; it only receives.
    kannel__spawn "$KANNEL_SMS_LOG" "$kannel_fakesmsc" -H 127.0.0.1 -r "$kannel__fake_port" \
        -m 0 "0 0 text unused"
    fk=$kannel__last_pid
    kannel__wait_port "$kannel__sendsms_port" "$sb" smsbox || return 1
    # Ready when sendsms answers (any HTTP status) and bearerbox sees both the smsbox and the
    # fake centre online: a message sent earlier would wait in bearerbox's queue.
    local status
    for _ in $(seq 200); do
        kill -0 "$fk" 2>/dev/null || { kannel__log "fakesmsc exited"; return 1; }
        status=$(kannel__get "$KANNEL_ADMIN_URL")
        if [[ $status == 200\ * && $status == *"smsbox:"* && $status == *"FAKE:"*"(online"* ]] &&
            [[ $(kannel__get "${KANNEL_SENDSMS_URL%/cgi-bin/sendsms}/") != 0\ * ]]; then
            return 0
        fi
        sleep 0.05
    done
    kannel__log "Kannel did not become ready within 10 s; bearerbox status: $status"
    return 1
}

# Runs when the shell that started Kannel exits: stops Kannel, then runs the trap that was
# there before (with the exit status the shell had).
kannel__on_exit() {
    local status=$1
    kannel_stop
    kannel__chained_status=$status
}

kannel__trap_words() { printf '%s' "$2"; }

# Installs the EXIT (and INT/TERM) traps described at the top.
kannel__install_traps() {
    local listing old
    listing=$(trap -p EXIT)
    if [ -z "$listing" ]; then
        trap 'kannel_stop' EXIT
    else
        # "trap -- 'COMMAND' EXIT": let the shell unquote COMMAND.
        old=$(eval "kannel__trap_words ${listing#trap }")
        case $old in *kannel__on_exit*) return 0 ;; esac
        # The old handler reads $? first: give it the status the shell had. A command in an
        # `if` condition sets $? without tripping `set -e` or an ERR trap.
        trap 'kannel__on_exit $?
            if (exit "$kannel__chained_status"); then '"$old"'; else '"$old"'; fi' EXIT
    fi
    [ -n "$(trap -p INT)" ] || trap 'exit 130' INT
    [ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
}

# kannel_start DIR: writes DIR/kannel.conf, starts bearerbox, smsbox and fakesmsc on free
# loopback ports, waits until sendsms answers and the fake SMS centre is online, and exports
# the KANNEL_* variables (see the top of this file). Returns non-zero (with the logs' tails on
# stderr) if Kannel did not start; nothing is left running then.
kannel_start() {
    local dir=$1 attempt
    [ -n "$dir" ] || { kannel__log "kannel_start needs a folder"; return 2; }
    local p
    for p in "$kannel_bin_dir/bearerbox" "$kannel_bin_dir/smsbox" "$kannel_fakesmsc"; do
        [ -x "$p" ] || {
            kannel__log "$p is missing: install the Debian packages kannel and kannel-extras"
            return 2
        }
    done
    mkdir -p "$dir"
    KANNEL_DIR=$(cd "$dir" && pwd)
    KANNEL_USER=onesoup
    KANNEL_PASSWORD=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    KANNEL_SMS_LOG=$KANNEL_DIR/fakesmsc.out
    export KANNEL_DIR KANNEL_USER KANNEL_PASSWORD KANNEL_SMS_LOG
    [ "${KANNEL_TRAP:-1}" = 0 ] || kannel__install_traps
    # A Kannel still running from an earlier start in this folder goes first.
    kannel_stop "$KANNEL_DIR"
    : >"$KANNEL_DIR/kannel.pids"
    # The watchdog: stops the process groups in kannel.pids once the watched process is gone.
    # kannel_stop ends it first (its pid is in kannel.watchdog).
    # shellcheck disable=SC2016 # the script's own $1 and $2
    setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done
        [ -f "$2" ] || exit 0
        while read -r pid; do kill -KILL -- "-$pid" 2>/dev/null; done <"$2"
        rm -f "$2"' kannel-watchdog "${KANNEL_WATCH_PID:-$$}" "$KANNEL_DIR/kannel.pids" \
        </dev/null >/dev/null 2>&1 &
    echo $! >"$KANNEL_DIR/kannel.watchdog"
    # A port the kernel just gave may be taken by someone else before Kannel binds it: retry.
    for attempt in 1 2 3; do
        if kannel__start_once "$KANNEL_DIR"; then
            export KANNEL_SENDSMS_URL KANNEL_ADMIN_URL
            {
                echo "KANNEL_DIR=$KANNEL_DIR"
                echo "KANNEL_SENDSMS_URL=$KANNEL_SENDSMS_URL"
                echo "KANNEL_USER=$KANNEL_USER"
                echo "KANNEL_PASSWORD=$KANNEL_PASSWORD"
                echo "KANNEL_SMS_LOG=$KANNEL_SMS_LOG"
                echo "KANNEL_ADMIN_URL=$KANNEL_ADMIN_URL"
            } >"$KANNEL_DIR/kannel.env"
            kannel__log "started: sendsms at $KANNEL_SENDSMS_URL, MT messages in $KANNEL_SMS_LOG"
            return 0
        fi
        kannel__log "attempt $attempt failed"
        local f
        for f in bearerbox.log smsbox.log fakesmsc.out; do
            [ -f "$KANNEL_DIR/$f" ] || continue
            echo "----- $f (last 20 lines)" >&2
            tail -n 20 "$KANNEL_DIR/$f" >&2
        done
        kannel__stop_groups "$KANNEL_DIR/kannel.pids"
        : >"$KANNEL_DIR/kannel.pids"
    done
    kannel_stop "$KANNEL_DIR"
    return 1
}

# True while process PID runs. A zombie does not count: after the shell that started Kannel
# has exited, nobody may reap the processes soon (std::system in the C++ tests).
kannel__alive() {
    local state _
    [ -r "/proc/$1/stat" ] || return 1
    read -r _ _ state _ <"/proc/$1/stat" 2>/dev/null || return 1
    [ "$state" != Z ]
}

# Stops the process groups listed in FILE: TERM, up to 5 s grace, then KILL.
kannel__stop_groups() {
    local file=$1 pid pids=() _
    [ -f "$file" ] || return 0
    while read -r pid; do [ -n "$pid" ] && pids+=("$pid"); done <"$file"
    [ ${#pids[@]} -gt 0 ] || return 0
    # Newest first: fakesmsc and smsbox before bearerbox.
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM -- "-${pids[i]}" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 100); do
            kannel__alive "$pid" || break
            sleep 0.05
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    # Reap them if they are our children (harmless otherwise).
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}

# kannel_stop [DIR]: stops the Kannel started in DIR (default: $KANNEL_DIR). Safe to call
# twice, from a trap, or from another shell.
kannel_stop() {
    local dir=${1:-${KANNEL_DIR:-}}
    [ -n "$dir" ] || return 0
    if [ -f "$dir/kannel.watchdog" ]; then
        kill -TERM -- "-$(cat "$dir/kannel.watchdog")" 2>/dev/null || true
        rm -f "$dir/kannel.watchdog"
    fi
    [ -f "$dir/kannel.pids" ] || return 0
    kannel__stop_groups "$dir/kannel.pids"
    rm -f "$dir/kannel.pids"
}

# kannel_sms_decoded [LOG]: every MT message fakesmsc received, one decoded line each:
#     RECEIVER SENDER TYPE udh=HEX data=HEX text=PRINTABLE
kannel_sms_decoded() {
    local log=${1:-${KANNEL_SMS_LOG:-}}
    [ -f "$log" ] || return 0
    "$kannel_python" - "$log" <<'EOF'
import re, sys, urllib.parse
line_re = re.compile(rb"Got message \d+: <(.*)>$")
for raw in open(sys.argv[1], "rb").read().split(b"\n"):
    m = line_re.search(raw)
    if not m:
        continue
    fields = m.group(1).split(b" ", 3)
    if len(fields) < 4:
        continue
    sender, receiver, kind, rest = fields
    udh = None
    if kind == b"udh":
        udh_enc, _, rest = rest.partition(b" ")
        udh = urllib.parse.unquote_to_bytes(udh_enc)
        kind_body, _, rest = rest.partition(b" ")
        kind = b"udh-" + kind_body
        body_kind = kind_body
    else:
        body_kind = kind
    if body_kind == b"text":
        data = rest
    else:
        data = urllib.parse.unquote_to_bytes(rest.replace(b"+", b" "))
    printable = bytes(c if 32 <= c < 127 else ord(".") for c in data).decode("ascii")
    print(receiver.decode("utf-8", "replace"), sender.decode("utf-8", "replace"),
          kind.decode("ascii", "replace"),
          "udh=" + (udh.hex().upper() if udh is not None else "-"),
          "data=" + data.hex().upper(), "text=" + printable)
EOF
}

# kannel_wait_sms NUMBER PATTERN TIMEOUT: waits up to TIMEOUT seconds (fractions allowed) for
# an MT message to NUMBER whose decoded line (kannel_sms_decoded) contains PATTERN, a fixed
# string; prints that line and returns 0, or prints what did arrive and returns 1.
kannel_wait_sms() {
    local number=$1 pattern=$2 timeout=$3 line lines deadline now
    # Microseconds on bash's clock: no process per round.
    now=${EPOCHREALTIME/./}
    deadline=$((now + $(awk -v t="$timeout" 'BEGIN { printf "%d", t * 1000000 }')))
    while :; do
        mapfile -t lines < <(kannel_sms_decoded "${KANNEL_SMS_LOG:-}")
        for line in "${lines[@]}"; do
            [ "${line%% *}" = "$number" ] || continue
            case $line in *"$pattern"*) printf '%s\n' "$line"; return 0 ;; esac
        done
        now=${EPOCHREALTIME/./}
        [ "$now" -lt "$deadline" ] || break
        sleep 0.1
    done
    kannel__log "no SMS to $number containing '$pattern' within ${timeout}s; received:"
    kannel_sms_decoded "${KANNEL_SMS_LOG:-}" >&2
    return 1
}
