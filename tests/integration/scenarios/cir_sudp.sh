#!/bin/bash
# CIR over SUDP (issue 4): onesoup sends one UDP datagram "WVCI <version> <cookie>" to the
# phone's latest address at the UDPPort it gave, and resends it (4 s and then 2 s later in the
# test config; it gives up 2 s after the last resend) while the phone does not poll. The phone
# polls only every 120 s and each message must arrive within 10 s, so only the wake-up can have
# delivered it. Also: the phone moves to a new
# address between two wake-ups and the second one finds it there; a phone that does not poll
# gets the datagram again, and not any more once it polled; resends that run out give CIR=F.
# shellcheck source=../harness/harness.sh
source "$(dirname "$0")/../harness/harness.sh"
itest_begin
start_prosody_pair
prosody_register a.test carol 'carol-pw'
# The first resend comes 4 s after the wake-up: a wake-up seen sooner is the first datagram.
cir_config --resend "4, 2"
write_onesoup_config
onesoup_account_add alice@a.test 'alice-pw'
start_onesoup

udp_phone=(--cir sudp --poll-interval 120)

# expect_exact_datagram NAME VERSION: the first wake-up datagram in transcript NAME was exactly
# "WVCI VERSION <the cookie of its Login-Request>", without a line end (S60's listener checks
# that the datagram starts with WVCI; the phone prints the datagram's size).
expect_exact_datagram() {
    local name=$1 version=$2 cookie line want
    cookie=$(login_cookie "$name")
    line=$(grep -m 1 '^<< CIR SUDP ' "$W/$name.log")
    want="WVCI $version $cookie"
    [ "$line" = "<< CIR SUDP $want  (${#want} bytes)" ] ||
        itest_fail "$name: wake-up '$line', expected the datagram '$want' (${#want} bytes)"
}

step "wake-up over SUDP, CSP 1.1 WBXML with MD5 (as S60 offers it)"
cir_round_wake phone "sudp 1.1" "${udp_phone[@]}" --csp 1.1 --encoding wbxml --auth md5
expect_exact_datagram phone 1.1

step "wake-up over SUDP, CSP 1.3 XML"
cir_round_wake phone "sudp 1.3" "${udp_phone[@]}" --csp 1.3 --encoding xml
expect_exact_datagram phone 1.3

step "the phone changes address between two wake-ups: the second goes to the new one"
# After new-address the phone listens on 127.0.0.N only and its next request comes from there.
# The second message must arrive within 3.5 s, before the first resend (4 s after the buddy
# sends, which is 0.5 s after "moved"): so the first datagram of that burst went to the new
# address.
cir_round_new_address 3.5 eq "${udp_phone[@]}"

step "a phone that does not poll is woken again; once it polled, the resends stop"
cir_round_resend "${udp_phone[@]}"

step "resends that run out without a poll: the next answer carries CIR=F"
# The buddy sends 1 s after "ready": datagrams at 1, 5 and 7 s, given up at 9 s. (A slow
# buddy on a loaded machine may send later: the phone asks again each second, up to 5 s.)
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready
    sleep 1
    send alice@a.test nobody polls"
run phone phone wv:alice@a.test alice-pw "${udp_phone[@]}" --csp 1.2 --steps "
    login
    cir-drop
    send carol@a.test ready
    sleep 11
    keepalive
    expect-cir-failed timeout=5
    cir-restore
    expect-message from=carol@a.test nobody polls timeout=5
    logout"
await carol
expect_wakes phone 0
