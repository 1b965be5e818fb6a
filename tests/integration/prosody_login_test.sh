#!/bin/bash
# Starts a private Prosody on a free loopback port (own config, data folder, self-signed
# certificate in a temporary folder), registers two users, runs xmpp_login_probe against it,
# and always stops Prosody and removes the folder.
# usage: prosody_login_test.sh PROBE MODE    (MODE: see xmpp_login_probe.cpp)
set -eu
probe=$1
mode=$2

if ! command -v prosody >/dev/null || ! command -v prosodyctl >/dev/null; then
    echo "SKIP: prosody is not installed (apt-get install -y prosody lua-unbound)"
    exit 77
fi

work=$(mktemp -d /tmp/onesoup-prosody.XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ]; then
        # setsid made Prosody the leader of its own process group.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    if [ "${KEEP_PROSODY_DIR:-}" = "" ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT INT TERM

free_port() {
    # The kernel picks a free port; Prosody binds it a moment later (a small race, retried by
    # nothing: a collision fails the test visibly rather than silently).
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])'
}
port=$(free_port)
# XEP-0077 in-band registration is open only for the modes that use it (the memory bench of
# bench/xmpp registers its accounts in band too).
allow_registration=false
case $mode in register|bench:*) allow_registration=true ;; esac
domain=localhost

mkdir -p "$work/data" "$work/certs"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$domain" \
    -addext "subjectAltName=DNS:$domain" \
    -keyout "$work/certs/$domain.key" -out "$work/certs/$domain.crt" 2>/dev/null

cat > "$work/prosody.cfg.lua" <<CFG
-- Private instance for one onesoup integration test.
data_path = "$work/data"
pidfile = "$work/prosody.pid"
log = { { levels = { min = "debug" }, to = "file", filename = "$work/prosody.log" } }
interfaces = { "127.0.0.1" }
c2s_ports = { $port }
c2s_interfaces = { "127.0.0.1" }
modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "presence", "message",
    "register" }
allow_registration = $allow_registration
modules_disabled = { "s2s", "offline" }
c2s_require_encryption = true
allow_unencrypted_plain_auth = false
authentication = "internal_hashed"
certificates = "$work/certs"
VirtualHost "$domain"
    ssl = { key = "$work/certs/$domain.key", certificate = "$work/certs/$domain.crt" }
CFG

as_prosody=()
if [ "$(id -u)" = 0 ]; then
    # Prosody refuses to run as root (and then hangs); setpriv keeps the caller's ulimit -n.
    chown -R prosody:prosody "$work"
    as_prosody=(setpriv --reuid=prosody --regid=prosody --init-groups)
fi

"${as_prosody[@]}" prosodyctl --config "$work/prosody.cfg.lua" register alice "$domain" 'alice-pw'
"${as_prosody[@]}" prosodyctl --config "$work/prosody.cfg.lua" register bob "$domain" 'bob pw &<'

setsid "${as_prosody[@]}" prosody -F --config "$work/prosody.cfg.lua" \
    >"$work/stdout.log" 2>&1 &
pid=$!

# Wait until the c2s port accepts connections (Prosody needs about 0.15 s).
for i in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "prosody exited early:"; cat "$work/stdout.log" "$work/prosody.log" 2>/dev/null
        exit 1
    fi
    [ "$i" = 100 ] && { echo "prosody did not open port $port"; cat "$work/prosody.log"; exit 1; }
    sleep 0.1
done

status=0
"$probe" "$mode" 127.0.0.1 "$port" "$domain" "$work/certs/$domain.crt" \
    alice 'alice-pw' bob 'bob pw &<' || status=$?
if [ "$status" != 0 ]; then
    echo "--- prosody.log (last 60 lines)"
    tail -n 60 "$work/prosody.log" 2>/dev/null || true
fi
exit "$status"
