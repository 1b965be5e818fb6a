#!/bin/bash
# How a phone session ends, seen from the XMPP side: logout, and keep-alive expiry when the
# phone goes silent (a short keep-alive in the config), both end onesoup's XMPP session, so the
# buddy sees the phone's presence go unavailable; the phone's next request gets 600/604.
# shellcheck source=../harness/harness.sh
source "$(dirname "$0")/../harness/harness.sh"
itest_begin
start_prosody_pair
prosody_register a.test carol 'carol-pw'
write_onesoup_config "keep_alive_min = 2" "keep_alive_grace = 1"
onesoup_account_add alice@a.test 'alice-pw'
start_onesoup

step "set-up: alice's XMPP account exists and carol is subscribed to her presence"
run phone phone wv:alice@a.test alice-pw --steps "login; logout"
spawn_buddy carol carol@a.test carol-pw --steps "
    subscribe alice@a.test
    expect-subscribed alice@a.test"
run phone phone wv:alice@a.test alice-pw --steps "
    login
    expect-auth-request carol@a.test
    authorize carol@a.test
    logout"
await carol

step "logout ends the XMPP session"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-presence alice@a.test online
    send alice@a.test you are online
    expect-presence alice@a.test unavailable"
run phone phone wv:alice@a.test alice-pw --auth md5 --csp 1.1 --steps "
    login
    expect-message from=carol@a.test you are online
    logout
    poll expect=604"
await carol

step "keep-alive expiry ends the XMPP session when the phone goes silent"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-presence alice@a.test online
    send alice@a.test you are online
    expect-presence alice@a.test unavailable timeout=20"
run phone phone wv:alice@a.test alice-pw --steps "
    login ttl=3
    expect-message from=carol@a.test you are online
    sleep 7
    expect-disconnect timeout=5"
await carol

step "keep-alives keep the session (and its XMPP side) alive past the keep-alive time"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-presence alice@a.test online
    send alice@a.test still there?
    expect-message from=alice@a.test yes, after 7 s timeout=20"
run phone phone wv:alice@a.test alice-pw --steps "
    login ttl=3
    sleep 2
    keepalive 3
    sleep 2
    keepalive 3
    sleep 2
    keepalive 3
    expect-message from=carol@a.test still there?
    send carol@a.test yes, after 7 s
    logout"
await carol
