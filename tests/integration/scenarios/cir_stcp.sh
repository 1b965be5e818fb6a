#!/bin/bash
# CIR over STCP (issue 4): the phone holds a TCP socket to onesoup (HELO <SessionID> -> OK) and
# is woken on it with "WVCI <version> <cookie>" when a buddy on XMPP sends while it is idle. The
# phone polls only every 120 s and each message must arrive within 10 s, so only the wake-up
# can have delivered it. Also: PING answered OK; a HELO with a wrong session id, or none at all,
# gets the socket closed; a new HELO of the session replaces its older socket; the socket lost
# -> the next answer carries CIR=F -> the phone reconnects and the message that waited wakes it
# at once after HELO; a burst of five messages gives one wake-up.
# shellcheck source=../harness/harness.sh
source "$(dirname "$0")/../harness/harness.sh"
itest_begin
start_prosody_pair
prosody_register a.test carol 'carol-pw'
cir_config
write_onesoup_config
onesoup_account_add alice@a.test 'alice-pw'
start_onesoup

# The phone waits for wake-ups, never for its poll timer.
stcp_phone=(--cir stcp --poll-interval 120)

step "wake-up over STCP delivers a message from XMPP (WBXML 1.2); PING answered"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready
    sleep 1
    send alice@a.test hello over stcp"
run phone phone wv:alice@a.test alice-pw "${stcp_phone[@]}" --csp 1.2 --encoding wbxml --steps "
    login
    ping expect=ok
    send carol@a.test ready
    expect-message from=carol@a.test hello over stcp timeout=10
    ping expect=ok
    logout"
await carol
expect_wakes phone 1 ge
# The wake-up line is exactly "WVCI 1.2 <the cookie of the Login-Request>" and CRLF.
cookie=$(login_cookie phone)
want="WVCI 1.2 $cookie"
grep -qxF "<< CIR STCP $want  ($((${#want} + 2)) bytes)" "$W/phone.log" ||
    itest_fail "no wake-up line '$want' + CRLF: $(grep '^<< CIR' "$W/phone.log")"

step "wake-up over STCP for CSP 1.1 (MD5, as S60) and 1.3 (XML, SHA1 digest)"
cir_round_wake phone11 "stcp 1.1" "${stcp_phone[@]}" --csp 1.1 --auth md5
cir_round_wake phone13 "stcp 1.3" "${stcp_phone[@]}" --csp 1.3 --encoding xml --auth sha

step "HELO with a wrong session id, or no HELO at all: the socket is closed"
stcp_probe 'HELO no-such-session\r\n' closed
stcp_probe 'helo \r\n' closed
stcp_probe 'PING\r\n' closed
# helo_timeout is 5 s in the test config: a silent socket is open before and closed after it.
stcp_probe '' open 2
stcp_probe '' closed 8
# The phone's own view of the same: its extra socket with a wrong id gets no OK.
run phone phone wv:alice@a.test alice-pw "${stcp_phone[@]}" --steps "
    login
    helo bogus-session-id expect=closed
    ping expect=ok
    logout"

step "a new HELO for the same session replaces the older socket (no CIR=F for that)"
# `helo current` opens a second socket with the session's own id: it gets OK and takes over,
# the phone's first socket is closed; the phone reconnects (1 s) and its HELO takes over again;
# the wake-up then reaches the phone on that newest socket.
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready after replace
    sleep 1
    send alice@a.test hello newest socket"
run phone phone wv:alice@a.test alice-pw "${stcp_phone[@]}" --steps "
    login
    helo current expect=ok
    sleep 2.5
    ping expect=ok
    send carol@a.test ready after replace
    expect-message from=carol@a.test hello newest socket timeout=10
    logout"
await carol
expect_wakes phone 1
grep -q 'STCP: the server closed the socket' "$W/phone.log" ||
    itest_fail "the phone's first socket was not closed when a new HELO replaced it"
! grep -q '^!! CIR=F' "$W/phone.log" || itest_fail "a replaced socket gave CIR=F"

step "CIR lost and recovered: CIR=F in the next answer, the waiting message wakes after HELO"
# The phone closes its socket; the buddy's message then finds no channel (the wake fails); the
# phone's next request (a keep-alive) is answered with CIR=F; it reconnects and sends HELO, and
# the message that waited wakes it at once. (After CIR=F the phone polls at once when it next
# waits, so the wake-up after HELO is checked with expect-wake, before expect-message polls.)
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test my cir is gone
    send alice@a.test this waited for your cir"
run phone phone wv:alice@a.test alice-pw "${stcp_phone[@]}" --steps "
    login
    cir-drop
    send carol@a.test my cir is gone
    sleep 2
    keepalive
    expect-cir-failed timeout=1
    expect-no-wake timeout=1
    cir-restore
    expect-wake timeout=3
    expect-message from=carol@a.test this waited for your cir timeout=5
    logout"
await carol
expect_wakes phone 1

step "a burst of five messages: one wake-up, all five arrive"
# The phone reads the wake-up but polls only after 4 s (it sleeps): all five messages come
# while it is idle, and they must give one wake-up, not five.
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready for a burst
    sleep 1
    send alice@a.test burst 1
    send alice@a.test burst 2
    send alice@a.test burst 3
    send alice@a.test burst 4
    send alice@a.test burst 5"
run phone phone wv:alice@a.test alice-pw "${stcp_phone[@]}" --steps "
    login
    send carol@a.test ready for a burst
    sleep 4
    expect-message from=carol@a.test burst 1 timeout=5
    expect-message from=carol@a.test burst 2 timeout=5
    expect-message from=carol@a.test burst 3 timeout=5
    expect-message from=carol@a.test burst 4 timeout=5
    expect-message from=carol@a.test burst 5 timeout=5
    expect-no-message timeout=2
    logout"
await carol
expect_wakes phone 1
