#!/bin/bash
# CIR over SHTTP (issue 4): ClientCapability gives the phone a CIR URL (CIRURL in CSP 1.2,
# CIRHTTPAddress in 1.3); the phone GETs it and onesoup holds the GET open until there is
# something to fetch, then answers 200 with the WVCI line (or 204 when the hold time, 3 s here,
# passes: the phone GETs again). The phone polls only every 120 s and each message must arrive
# within 10 s, so only the wake-up can have delivered it.
# shellcheck source=../harness/harness.sh
source "$(dirname "$0")/../harness/harness.sh"
itest_begin
start_prosody_pair
prosody_register a.test carol 'carol-pw'
cir_config --hold 3
write_onesoup_config
onesoup_account_add alice@a.test 'alice-pw'
start_onesoup

http_phone=(--cir shttp --poll-interval 120)

step "wake-up through the held GET, CSP 1.2 WBXML (CIRURL)"
cir_round_wake phone "shttp 1.2" "${http_phone[@]}" --csp 1.2 --encoding wbxml
grep -q 'CIRURL' "$W/phone.log" || itest_fail "the 1.2 answer has no CIRURL"

step "wake-up through the held GET, CSP 1.3 XML (CIRHTTPAddress)"
cir_round_wake phone "shttp 1.3" "${http_phone[@]}" --csp 1.3 --encoding xml
grep -q 'CIRHTTPAddress' "$W/phone.log" || itest_fail "the 1.3 answer has no CIRHTTPAddress"

step "a message after several hold periods (204, GET again) still wakes the phone"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready
    sleep 7.5
    send alice@a.test after two holds"
run phone phone wv:alice@a.test alice-pw "${http_phone[@]}" --steps "
    login
    send carol@a.test ready
    expect-no-wake timeout=6
    expect-message from=carol@a.test after two holds timeout=10
    logout"
await carol
expect_wakes phone 1 ge

step "the phone changes address between two wake-ups"
cir_round_new_address 10 ge "${http_phone[@]}"

step "the phone stops GETting a while: the message waits for its next GET, answered at once"
# The phone closes its held GET's connection (cir-drop): onesoup forgets that GET rather than
# write the wake-up into it, so the phone's next GET is answered at once (within 1 s), not
# after the 2 s that a GET following a 200 waits.
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test stopped getting
    send alice@a.test this waited for your get"
run phone phone wv:alice@a.test alice-pw "${http_phone[@]}" --steps "
    login
    cir-drop
    send carol@a.test stopped getting
    expect-no-wake timeout=2
    cir-restore
    expect-wake timeout=1
    expect-message from=carol@a.test this waited for your get timeout=5
    logout"
await carol
expect_wakes phone 1 ge

step "one message, one wake-up: the GET right after a wake-up is held, not woken again"
# The phone GETs again as soon as its GET was answered, before it polls; that GET must wait for
# the next news (wake-ups coalesce, one per burst), not be answered with the same wake-up.
cir_round_wake --once phone "just once" "${http_phone[@]}"
