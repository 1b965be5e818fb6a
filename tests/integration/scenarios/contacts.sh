#!/bin/bash
# Contact lists <-> the XMPP roster: add and remove contacts on the default list and on a list
# the phone creates, nicknames, deleting the list; the roster lives on the XMPP server, so a
# second login sees what the first one stored, and the buddy sees the subscription requests.
# shellcheck source=../harness/harness.sh
source "$(dirname "$0")/../harness/harness.sh"
itest_begin
start_prosody_pair
prosody_register a.test carol 'carol-pw'
prosody_register b.test dave 'dave pw'
write_onesoup_config
onesoup_account_add alice@a.test 'alice-pw'
start_onesoup

step "first login: an empty default list"
run phone phone wv:alice@a.test alice-pw --steps "
    login
    getlist
    contacts
    expect-no-contact carol@a.test
    logout"

step "add to the default list (the buddy sees the subscription request), then check"
spawn_buddy carol carol@a.test carol-pw --steps "expect-subscribe alice@a.test"
run phone phone wv:alice@a.test alice-pw --auth md5 --csp 1.1 --steps "
    login
    add-contact carol@a.test Carol
    contacts
    expect-contact carol@a.test nick=Carol
    logout"
await carol

step "a second login sees the contact (the roster is on the XMPP server)"
run phone phone wv:alice@a.test alice-pw --encoding xml --csp 1.2 --steps "
    login
    getlist
    contacts
    expect-contact carol@a.test nick=Carol
    logout"

step "create a list, add a contact across s2s to it, remove it, delete the list"
spawn_buddy dave dave@b.test 'dave pw' --steps "expect-subscribe alice@a.test"
run phone phone wv:alice@a.test alice-pw --encoding wbxml --csp 1.3 --steps "
    login
    create-list wv:alice/work@a.test Work
    getlist
    add-contact dave@b.test Dave list=wv:alice/work@a.test
    contacts list=wv:alice/work@a.test
    expect-contact dave@b.test nick=Dave
    expect-no-contact carol@a.test
    contacts
    expect-contact carol@a.test
    remove-contact dave@b.test list=wv:alice/work@a.test
    contacts list=wv:alice/work@a.test
    expect-no-contact dave@b.test
    delete-list wv:alice/work@a.test
    getlist
    logout"
await dave

step "remove from the default list; a new login no longer sees it"
run phone phone wv:alice@a.test alice-pw --steps "
    login
    remove-contact carol@a.test
    contacts
    expect-no-contact carol@a.test
    logout"
run phone phone wv:alice@a.test alice-pw --steps "
    login
    contacts
    expect-no-contact carol@a.test
    logout"
