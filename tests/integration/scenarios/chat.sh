#!/bin/bash
# Chat both ways between the `imps` phone and real XMPP clients (slixmpp buddies): with a buddy
# on the same server and with one across s2s, for a local account (alice@a.test) and a
# pass-through one (bob@b.test); delivery reports both ways (XEP-0184 receipts); nothing is
# delivered twice (also not when the phone repeats a request); a message longer than the phone
# accepts arrives in parts.
# shellcheck source=../harness/harness.sh
source "$(dirname "$0")/../harness/harness.sh"
itest_begin
start_prosody_pair
prosody_register a.test carol 'carol-pw'
prosody_register b.test dave 'dave pw'
prosody_register b.test bob 'bob pw'
write_onesoup_config
onesoup_account_add alice@a.test 'alice-pw'
start_onesoup

step "local phone <-> buddy on the same server (WBXML 1.1, MD5)"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test hello carol
    send alice@a.test hi alice, from carol
    expect-no-message timeout=2"
run phone phone wv:alice@a.test alice-pw --auth md5 --encoding wbxml --csp 1.1 --steps "
    login
    send carol@a.test hello carol
    expect-message from=carol@a.test hi alice, from carol
    expect-no-message timeout=2
    logout"
await carol

step "local phone <-> buddy across s2s (XML 1.2, PWD)"
spawn_buddy dave dave@b.test 'dave pw' --steps "
    expect-message from=alice@a.test hello dave, über s2s ✓
    send alice@a.test grüße zurück ✓"
run phone phone wv:alice@a.test alice-pw --auth pwd --encoding xml --csp 1.2 --steps "
    login
    send wv:dave@b.test hello dave, über s2s ✓
    expect-message from=wv:dave@b.test grüße zurück ✓
    logout"
await dave

step "pass-through phone <-> buddy on its own server and across s2s (WBXML 1.3)"
spawn_buddy dave dave@b.test 'dave pw' --steps "
    expect-message from=bob@b.test hello dave from bob
    send bob@b.test hi bob from dave"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=bob@b.test hello carol from bob
    send bob@b.test hi bob from carol"
run phone phone wv:bob@b.test 'bob pw' --auth pwd --encoding wbxml --csp 1.3 --steps "
    login
    send dave@b.test hello dave from bob
    send carol@a.test hello carol from bob
    expect-message from=dave@b.test hi bob from dave
    expect-message from=carol@a.test hi bob from carol
    logout"
await dave carol

step "delivery report: the phone asks, the buddy's XEP-0184 receipt comes back"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test please confirm request=T"
run phone phone wv:alice@a.test alice-pw --steps "
    login
    send carol@a.test please confirm receipt=T
    expect-delivery-report
    logout"
await carol

step "delivery report across s2s, and a receipt for the buddy when the phone got its message"
spawn_buddy dave dave@b.test 'dave pw' --no-auto-receipt --steps "
    expect-message from=alice@a.test confirm this too request=T
    send alice@a.test did you get this? receipt=T
    expect-receipt"
run phone phone wv:alice@a.test alice-pw --auth md5 --csp 1.1 --steps "
    login
    send dave@b.test confirm this too receipt=T
    expect-message from=dave@b.test did you get this?
    logout"
await dave

step "several messages in a row arrive once each"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready
    send alice@a.test one
    send alice@a.test two
    send alice@a.test three
    expect-message from=alice@a.test got them
    expect-no-message timeout=2"
run phone phone wv:alice@a.test alice-pw --steps "
    login
    send carol@a.test ready
    expect-message from=carol@a.test one
    expect-message from=carol@a.test two
    expect-message from=carol@a.test three
    expect-no-message timeout=3
    send carol@a.test got them
    logout"
await carol

step "a message longer than the phone accepts arrives in parts, none cut off"
# 40 words of 9 characters: 400 bytes of text against AcceptedContentLength 150.
long="FIRSTPART $(printf 'middle%03d ' $(seq 38))LASTPARTS"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready for a long one
    send alice@a.test $long
    expect-message from=alice@a.test got both ends"
run phone phone wv:alice@a.test alice-pw --steps "
    login max-length=150
    send carol@a.test ready for a long one
    expect-message from=carol@a.test FIRSTPART
    expect-message from=carol@a.test LASTPARTS
    send carol@a.test got both ends
    logout"
await carol

step "a request repeated with the same TransactionID (a lost answer) sends the message once"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test only once, please
    expect-no-message timeout=3"
run phone phone wv:alice@a.test alice-pw --encoding xml --csp 1.2 --steps "
    login
    raw $itest_dir/data/send-message-replay.xml
    raw $itest_dir/data/send-message-replay.xml
    logout"
await carol
