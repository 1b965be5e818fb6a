#!/bin/bash
# Interoperability smoke run against ejabberd instead of Prosody: a pass-through login to
# erin@e.test, chat both ways with a slixmpp buddy on the same ejabberd, logout.
# shellcheck source=../harness/harness.sh
source "$(dirname "$0")/../harness/harness.sh"
itest_begin
start_ejabberd
ejabberd_register erin 'erin-pw'
ejabberd_register frank 'frank-pw'
write_onesoup_config
start_onesoup

step "login, chat both ways, logout (pass-through to ejabberd)"
spawn_buddy frank frank@e.test frank-pw --steps "
    expect-message from=erin@e.test hello frank
    send erin@e.test hi erin"
run phone phone wv:erin@e.test erin-pw --auth pwd --encoding wbxml --csp 1.2 --steps "
    login
    send frank@e.test hello frank
    expect-message from=frank@e.test hi erin
    logout"
await frank

step "wrong password: 409"
run phone phone wv:erin@e.test wrong --steps "login expect=409"
