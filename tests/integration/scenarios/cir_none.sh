#!/bin/bash
# Polling, the fallback when no CIR method is agreed (issue 4): onesoup offers CIR, but a phone
# that offers none, or only methods its session cannot have (SHTTP and SSMS need CSP 1.2, SMS
# needs the phone's number), gets the short ServerPollMin (30 s, the default) and receives its
# messages by polling (Poll=T when more waits); a phone that agreed a CIR method gets the long
# ServerPollMin (300 s).
# shellcheck source=../harness/harness.sh
source "$(dirname "$0")/../harness/harness.sh"
itest_begin
start_prosody_pair
prosody_register a.test carol 'carol-pw'
cir_config
write_onesoup_config
onesoup_account_add alice@a.test 'alice-pw'
start_onesoup

# expect_poll_answer NAME POLL SERVERPOLLMIN: the ClientCapability answer in the transcript NAME
# has that ServerPollMin, some answer carries Poll=POLL (T/F; "-": no answer has Poll=T;
# "any": not checked), and no answer says CIR=F (a phone without CIR has nothing to set up
# again). XML transcripts.
expect_poll_answer() {
    local name=$1 poll=$2 min=$3 answer
    answer=$(awk '/ClientCapability-Response/,/\/ClientCapability-Response/' "$W/$name.log")
    [ -n "$answer" ] || itest_fail "$name: no ClientCapability-Response in the transcript"
    grep -q "<ServerPollMin>$min</ServerPollMin>" <<<"$answer" ||
        itest_fail "$name: ClientCapability-Response without ServerPollMin $min: $answer"
    if [ "$poll" = any ]; then
        :
    elif [ "$poll" = - ]; then
        ! grep -q '<Poll>T</Poll>' "$W/$name.log" || itest_fail "$name: an answer has Poll=T"
    else
        grep -q "<Poll>$poll</Poll>" "$W/$name.log" || itest_fail "$name: no answer with Poll=$poll"
    fi
    ! grep -q '<CIR>F</CIR>' "$W/$name.log" || itest_fail "$name: an answer has CIR=F"
}

step "a phone offering no CIR polls and gets its message (CSP 1.2 XML)"
# Two messages wait when the phone polls (it sleeps first), and it accepts one transaction
# per answer (MultiTrans 1): the first poll's answer says Poll=T, poll again at once.
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready
    send alice@a.test polled for this
    send alice@a.test and for this"
run phone phone wv:alice@a.test alice-pw --cir none --poll-interval 1 --encoding xml --steps "
    login
    send carol@a.test ready
    sleep 2
    expect-message from=carol@a.test polled for this timeout=10
    expect-message from=carol@a.test and for this timeout=10
    logout"
await carol
expect_wakes phone 0
expect_poll_answer phone T 30

step "SHTTP offered in a CSP 1.1 session is not agreed: the phone polls"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready 1.1
    send alice@a.test polled in 1.1"
run phone phone wv:alice@a.test alice-pw --cir shttp --csp 1.1 --encoding xml --poll-interval 1 \
    --steps "
    login
    send carol@a.test ready 1.1
    expect-message from=carol@a.test polled in 1.1 timeout=10
    logout"
await carol
expect_wakes phone 0
expect_poll_answer phone any 30

step "SSMS offered without a phone number is not agreed: the phone polls"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready sms
    send alice@a.test polled without sms"
: >"$W/sms-inbox" # no SMS can come: onesoup has no Kannel here
run phone phone wv:alice@a.test alice-pw --cir ssms --sms-inbox "$W/sms-inbox" --encoding xml \
    --poll-interval 1 --steps "
    login
    send carol@a.test ready sms
    expect-message from=carol@a.test polled without sms timeout=10
    logout"
await carol
expect_wakes phone 0
expect_poll_answer phone any 30

step "for contrast: a phone that agreed STCP gets the long ServerPollMin"
run phone phone wv:alice@a.test alice-pw --cir stcp --encoding xml --poll-interval 120 --steps "
    login
    logout"
expect_wakes phone 0
expect_poll_answer phone - 300
