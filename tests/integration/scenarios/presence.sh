#!/bin/bash
# Presence and subscriptions between the `imps` phone (local account alice@a.test) and real
# XMPP clients: the phone subscribes and the buddy accepts; the buddy subscribes and the phone
# accepts (PresenceAuth-Request / PresenceAuth-User); presence states and status texts both
# ways; a refusal, and a subscription across s2s.
# shellcheck source=../harness/harness.sh
source "$(dirname "$0")/../harness/harness.sh"
itest_begin
start_prosody_pair
prosody_register a.test carol 'carol-pw'
prosody_register b.test dave 'dave pw'
write_onesoup_config
onesoup_account_add alice@a.test 'alice-pw'
start_onesoup

step "first login creates alice's XMPP account"
run phone phone wv:alice@a.test alice-pw --steps "login; logout"

step "the phone subscribes to carol, carol accepts, carol's presence reaches the phone"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-subscribe alice@a.test
    authorize alice@a.test
    sleep 0.5
    presence away out for lunch
    sleep 0.5
    presence dnd in a meeting
    expect-message from=alice@a.test seen"
run phone phone wv:alice@a.test alice-pw --auth md5 --csp 1.1 --steps "
    login
    add-contact carol@a.test Carol
    subscribe carol@a.test
    expect-presence carol@a.test away text=lunch
    expect-presence carol@a.test busy text=meeting
    get-presence carol@a.test state=busy
    send carol@a.test seen
    logout"
await carol

step "carol subscribes to the phone, the phone accepts, the phone's presence reaches carol"
spawn_buddy carol carol@a.test carol-pw --steps "
    subscribe alice@a.test
    expect-subscribed alice@a.test
    expect-presence alice@a.test online
    expect-presence alice@a.test away text=desk
    expect-presence alice@a.test dnd text=disturb
    expect-roster alice@a.test subscription=both
    send alice@a.test seen it
    expect-presence alice@a.test unavailable"
run phone phone wv:alice@a.test alice-pw --encoding xml --csp 1.2 --steps "
    login
    expect-auth-request carol@a.test
    authorize carol@a.test
    presence away at the desk
    sleep 0.5
    presence busy do not disturb
    expect-message from=carol@a.test seen it
    logout"
await carol

step "across s2s: the phone refuses dave, then subscribes to him; dave accepts"
spawn_buddy dave dave@b.test 'dave pw' --steps "
    subscribe alice@a.test
    expect-unsubscribed alice@a.test
    expect-subscribe alice@a.test
    authorize alice@a.test
    sleep 0.5
    presence away gone fishing
    expect-message from=alice@a.test saw it"
run phone phone wv:alice@a.test alice-pw --encoding wbxml --csp 1.3 --steps "
    login
    expect-auth-request dave@b.test
    deny dave@b.test
    add-contact dave@b.test Dave
    subscribe dave@b.test
    expect-presence dave@b.test away text=fishing
    send dave@b.test saw it
    logout"
await dave
