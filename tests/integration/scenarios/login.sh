#!/bin/bash
# Logins as the phones make them, and the refusals with their IMPS status codes:
#   local account (a.test) with 4-way MD5 in WBXML CSP 1.1 (as a Nokia S60 does), 2-way PWD in
#   XML CSP 1.2, 4-way SHA in WBXML CSP 1.3; pass-through (b.test) with PWD; wrong password
#   (409, both modes), a digest login in pass-through mode (543), unknown user (531), unknown domain (516), bad session id (604), and
#   documents of an unsupported CSP version (505), a body that is not CSP (HTTP 400).
# shellcheck source=../harness/harness.sh
source "$(dirname "$0")/../harness/harness.sh"
itest_begin
start_prosody_pair
prosody_register b.test bob 'bob pw'
prosody_register a.test carol 'carol-pw'
write_onesoup_config
onesoup_account_add alice@a.test 'alice-pw'
start_onesoup

step "local account, 4-way MD5, WBXML CSP 1.1 (Nokia S60)"
run phone phone wv:alice@a.test alice-pw --auth md5 --encoding wbxml --csp 1.1 \
    --client-id 'WV:IMPEC01$00001@NOK.S60' --steps "login; keepalive; poll; logout"

step "the local account is a real XMPP account: carol gets a message from it"
spawn_buddy carol carol@a.test carol-pw --steps "expect-message from=alice@a.test first words"
run phone phone alice@a.test alice-pw --auth pwd --encoding xml --csp 1.2 \
    --steps "login; send carol@a.test first words; logout"
await carol

step "local account, 2-way PWD, XML CSP 1.2"
run phone phone wv:alice@a.test alice-pw --auth pwd --encoding xml --csp 1.2 \
    --steps "login; getlist; logout"

step "local account, 4-way SHA, WBXML CSP 1.3"
run phone phone wv:alice@a.test alice-pw --auth sha --encoding wbxml --csp 1.3 \
    --steps "login; getlist; logout"

step "local account, 4-way MD5, XML CSP 1.2"
run phone phone wv:alice@a.test alice-pw --auth md5 --encoding xml --csp 1.2 \
    --steps "login; logout"

step "pass-through account, 2-way PWD, WBXML CSP 1.2"
run phone phone wv:bob@b.test 'bob pw' --auth pwd --encoding wbxml --csp 1.2 \
    --steps "login; logout"

step "pass-through account, 2-way PWD, XML CSP 1.1"
run phone phone wv:bob@b.test 'bob pw' --auth pwd --encoding xml --csp 1.1 \
    --steps "login; logout"

step "pass-through refuses a digest login (the password is needed for XMPP): 543"
run phone phone wv:bob@b.test 'bob pw' --auth md5 --csp 1.1 --steps "login expect=543"

step "wrong password: 409 (local, PWD and MD5; pass-through)"
run phone phone wv:alice@a.test wrong-pw --auth pwd --steps "login expect=409"
run phone phone wv:alice@a.test wrong-pw --auth md5 --csp 1.1 --steps "login expect=409"
run phone phone wv:bob@b.test wrong-pw --auth pwd --steps "login expect=409"

step "unknown user: 531 (local domain)"
run phone phone wv:nobody@a.test whatever --auth pwd --steps "login expect=531"
run phone phone wv:nobody@a.test whatever --auth md5 --csp 1.1 --steps "login expect=531"

step "unknown domain: 516"
run phone phone wv:alice@elsewhere.test alice-pw --auth pwd --steps "login expect=516"

step "bad session id: 604 (never issued, and a wrong one during a real session)"
run phone phone wv:alice@a.test alice-pw \
    --steps "session-id 00112233445566778899aabbccddeeff; poll expect=604"
run phone phone wv:alice@a.test alice-pw --steps "login; session-id NOT-A-SESSION;
    keepalive expect=604; send carol@a.test lost expect=604"

step "after logout the session id is no longer valid: 604"
run phone phone wv:alice@a.test alice-pw --steps "login; logout; poll expect=604"

# Posts FILE as CSP XML and checks that onesoup refuses the version with 505.
expect_505() {
    local file=$1 code
    code=$(curl -sS -o "$W/answer.xml" -w '%{http_code}' -H 'Content-Type: application/vnd.wv.csp.xml' \
        --data-binary "@$file" "$ONESOUP_URL") || itest_fail "curl could not post to onesoup"
    itest_log "HTTP $code: $(tr -d '\n' <"$W/answer.xml" | head -c 600)"
    [ "$code" = 200 ] || itest_fail "HTTP $code, wanted a CSP answer with status 505"
    grep -q '<Code>505</Code>' "$W/answer.xml" || itest_fail "the answer has no Result 505"
}

step "unsupported version: a CSP 1.0 document gets 505"
expect_505 "$itest_dir/data/csp10-login.xml"

step "unsupported version: a document in an unknown namespace gets 505"
expect_505 "$itest_dir/data/bogus-xmlns-login.xml"

step "a body that is not CSP at all: HTTP 400, and onesoup carries on"
code=$(curl -sS -o "$W/answer.txt" -w '%{http_code}' -H 'Content-Type: application/vnd.wv.csp.xml' \
    --data-binary 'this is not CSP' "$ONESOUP_URL") || itest_fail "curl could not post to onesoup"
itest_log "HTTP $code: $(head -c 200 "$W/answer.txt")"
[ "$code" = 400 ] || itest_fail "HTTP $code, wanted 400"

step "onesoup is still serving"
run phone phone wv:alice@a.test alice-pw --steps "login; logout"
