#!/bin/bash
# CIR by WAP push over UDP (issue 4): onesoup sends a connectionless WSP push PDU (content type
# 0x46 application/vnd.wv.csp.cir, X-Wap-Application-Id 0x0A x-wap-application:wv.ua, the
# WVCI line as its body) to port 2948 of the phone's address, resent while the phone does not
# poll (4 s and then 2 s later in the test config). Port 2948 is fixed, so the phone sends its
# requests from an address of its own, 127.0.0.29 (no other scenario uses it, nor 127.0.0.30
# where new-address moves it: parallel runs do not collide), and listens on its port 2948. The
# phone polls only every 120 s and each message must arrive within 10 s, so only the wake-up can
# have delivered it.
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

wap_phone=(--cir wapudp --udp-port 2948 --local-address 127.0.0.29 --poll-interval 120)

step "wake-up by WAP push over UDP (CSP 1.2 WBXML)"
cir_round_wake phone "wap push 1.2" "${wap_phone[@]}" --csp 1.2
grep -q '^<< CIR WAPUDP WVCI 1.2 ' "$W/phone.log" || itest_fail "no WAPUDP wake-up line"

step "wake-up by WAP push over UDP in CSP 1.1 (MD5, as S60) and 1.3 (XML)"
cir_round_wake phone11 "wap push 1.1" "${wap_phone[@]}" --csp 1.1 --auth md5
cir_round_wake phone13 "wap push 1.3" "${wap_phone[@]}" --csp 1.3 --encoding xml
grep -q '^<< CIR WAPUDP WVCI 1.1 ' "$W/phone11.log" || itest_fail "no 1.1 WAPUDP wake-up line"
grep -q '^<< CIR WAPUDP WVCI 1.3 ' "$W/phone13.log" || itest_fail "no 1.3 WAPUDP wake-up line"

step "a phone that does not poll gets the push again; once it polled, the resends stop"
cir_round_resend "${wap_phone[@]}"

step "the phone changes address between two wake-ups: the second push goes to the new one"
# After new-address the phone sends from and listens on 127.0.0.30:2948 only. The second
# message must arrive within 3.5 s, before the first resend (4 s after the buddy sends, which
# is 0.5 s after "moved"): so the first push of that burst went to the new address.
cir_round_new_address 3.5 eq "${wap_phone[@]}"

step "the push datagram byte by byte, as a listener of its own on 127.0.0.31:2948 receives it"
# Checked here independently of onesoup's and the phone's WSP code: WAP-230 WSP 8.2.4.1 Push
# PDU: TID, type 0x06, HeadersLen 3, content type 0x46|0x80 (application/vnd.wv.csp.cir),
# X-Wap-Application-Id (0x2F|0x80) = 0x0A|0x80 (x-wap-application:wv.ua), the WVCI line. The
# phone listens on another port here, so the listener alone gets port 2948; the phone then
# fetches its message with a poll of its own.
free_port phone_udp 127.0.0.31
spawn capture "$itest_python" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.31", 2948))
s.settimeout(20)
data, peer = s.recvfrom(2048)
print("from %s:%d" % peer)
print(data.hex().upper())'
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready for the capture
    sleep 1
    send alice@a.test captured"
run phone phone wv:alice@a.test alice-pw --cir wapudp --udp-port "$phone_udp" \
    --local-address 127.0.0.31 --poll-interval 120 --steps "
    login
    send carol@a.test ready for the capture
    sleep 3
    poll
    expect-message from=carol@a.test captured timeout=1
    logout"
await carol capture
cookie=$(login_cookie phone)
pdu=$(tail -n 1 "$W/capture.log")
itest_log "captured $(head -n 1 "$W/capture.log"): $pdu"
expected=$(printf 'WVCI 1.2 %s' "$cookie" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
case $pdu in
    ??0603C6AF8A"$expected") ;;
    *) itest_fail "push PDU $pdu is not TID 06 03 C6 AF 8A + 'WVCI 1.2 $cookie' ($expected)" ;;
esac
