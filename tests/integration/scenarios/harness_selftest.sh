#!/bin/bash
# Checks the harness itself, without onesoup: two slixmpp buddies on the two Prosody instances
# chat across s2s (a.test <-> b.test), subscribe to each other and see presence both ways, and
# a XEP-0184 receipt comes back. If this fails, every other scenario fails for the same reason.
# shellcheck source=../harness/harness.sh
source "$(dirname "$0")/../harness/harness.sh"
itest_begin --no-onesoup
start_prosody_pair
prosody_register a.test carol 'carol-pw'
prosody_register b.test dave 'dave pw'

step "chat, subscription, presence and a receipt across s2s"
spawn carol buddy carol@a.test carol-pw --steps "
    subscribe dave@b.test
    expect-subscribed dave@b.test
    expect-subscribe dave@b.test
    authorize dave@b.test
    expect-presence dave@b.test available
    send dave@b.test hello from a.test receipt=T
    expect-receipt
    expect-message from=dave@b.test hi from b.test
    expect-presence dave@b.test away text=lunch
    expect-presence dave@b.test unavailable"
spawn dave buddy dave@b.test 'dave pw' --steps "
    expect-subscribe carol@a.test
    authorize carol@a.test
    subscribe carol@a.test
    expect-subscribed carol@a.test
    expect-roster carol@a.test subscription=both
    expect-message from=carol@a.test hello from a.test request=T
    send carol@a.test hi from b.test
    presence away lunch
    sleep 0.5
    presence unavailable"
await carol dave
