#!/bin/bash
# CIR by SMS through a real Kannel (issue 4): bearerbox + smsbox + fakesmsc (Kannel's fake SMS
# centre) started by the scenario (harness/kannel.sh); onesoup's [cir.sms] points at Kannel's
# sendsms interface. The phone gives its number in X-Network-MSISDN (--msisdn) and reads what
# the fake SMS centre receives (--sms-inbox). SSMS: a text SMS "WVCI <version> <cookie>" to the
# phone's number; WAPSMS: a binary SMS with the WAP push UDH 06 05 04 0B 84 23 F0 and a WSP push
# PDU (content type 0x46, X-Wap-Application-Id 0x0A) around the WVCI line. The phone polls only
# every 120 s and each message must arrive within 10 s, so only the wake-up can have delivered
# it. A phone that sends no number gets its SMS at the number of its account. Kannel stopped:
# the wake fails and the next answer carries CIR=F.
# shellcheck source=../harness/harness.sh
source "$(dirname "$0")/../harness/harness.sh"
# shellcheck source=../harness/kannel.sh
source "$(dirname "$0")/../harness/kannel.sh"
itest_begin
if ! [ -x /usr/sbin/bearerbox ] || ! [ -x /usr/lib/kannel/test/fakesmsc ]; then
    itest_skip "Kannel is not installed (kannel, kannel-extras: scripts/install-deps)"
fi
start_prosody_pair
prosody_register a.test carol 'carol-pw'
kannel_start "$W/kannel" || itest_fail "Kannel did not start"
cir_config --sms
write_onesoup_config
onesoup_account_add alice@a.test 'alice-pw'
# erin's number is in her account: her phone sends no X-Network-MSISDN header.
erin_number=+4915177777
onesoup_account_add erin@a.test 'erin-pw' --msisdn "$erin_number"
start_onesoup

number=+4915112345
sms_phone=(--msisdn "$number" --sms-inbox "$KANNEL_SMS_LOG" --poll-interval 120)

# check_sms KIND COOKIE VERSION [NUMBER]: the fake SMS centre received a wake-up SMS of KIND
# (ssms, wapsms) for this login, to the phone's number (default $number); checked byte by byte
# here, independently of onesoup's and the phone's own code.
check_sms() {
    local kind=$1 cookie=$2 version=$3 to=${4:-$number} lines
    [ -n "$cookie" ] || itest_fail "no SessionCookie in the phone's transcript"
    lines=$(kannel_sms_decoded "$KANNEL_SMS_LOG")
    itest_log "fake SMS centre: $(wc -l <<<"$lines") message(s) so far"
    SMS_LINES=$lines "$itest_python" - "$kind" "$to" "WVCI $version $cookie" <<'PY' ||
import os, sys
kind, number, line = sys.argv[1], sys.argv[2], sys.argv[3].encode()
found = []
for row in os.environ["SMS_LINES"].splitlines():
    fields = row.split(" ")
    if len(fields) < 6 or fields[0] != number:
        continue
    udh = fields[3].removeprefix("udh=")
    data = bytes.fromhex(fields[4].removeprefix("data="))
    if line not in data:
        continue
    found.append(row)
    if kind == "ssms":
        # A text SMS that is the WVCI line and nothing else (Android splits it on spaces).
        ok = fields[2] == "text" and udh == "-" and data == line
    else:
        # WDP over SMS to port 2948 from 9200, then the WSP push PDU (WAP-230 8.2.4.1):
        # TID, type 0x06 Push, HeadersLen 3, content type 0x46|0x80, X-Wap-Application-Id
        # (0x2F|0x80) = 0x0A|0x80 (x-wap-application:wv.ua), body = the WVCI line.
        ok = (udh == "0605040B8423F0" and len(data) > 5 and data[1] == 0x06
              and data[2:6] == bytes([0x03, 0xC6, 0xAF, 0x8A]) and data[6:] == line)
    if ok:
        print("ok:", row)
        sys.exit(0)
print("wake-up SMS not as expected; candidates:", found or "none", file=sys.stderr)
sys.exit(1)
PY
        itest_fail "no $kind wake-up SMS for $to with 'WVCI $version $cookie'"
}

step "SSMS: a text SMS wakes the phone (CSP 1.2 WBXML)"
cir_round_wake phone "ssms 1.2" --cir ssms "${sms_phone[@]}" --csp 1.2
check_sms ssms "$(login_cookie phone)" 1.2

step "SSMS in CSP 1.3 (XML)"
cir_round_wake phone "ssms 1.3" --cir ssms "${sms_phone[@]}" --csp 1.3 --encoding xml
check_sms ssms "$(login_cookie phone)" 1.3

step "WAPSMS: a WAP push by binary SMS wakes the phone (CSP 1.2 WBXML)"
cir_round_wake phone "wapsms 1.2" --cir wapsms "${sms_phone[@]}" --csp 1.2
check_sms wapsms "$(login_cookie phone)" 1.2

step "WAPSMS in CSP 1.1 (MD5, as S60)"
cir_round_wake phone "wapsms 1.1" --cir wapsms "${sms_phone[@]}" --csp 1.1 --auth md5
check_sms wapsms "$(login_cookie phone)" 1.1

step "the phone's number from its account (no X-Network-MSISDN header): SSMS to that number"
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=erin@a.test ready, number from the account
    sleep 1
    send erin@a.test hello erin by sms"
run phone phone wv:erin@a.test erin-pw --cir ssms --sms-inbox "$KANNEL_SMS_LOG" \
    --poll-interval 120 --steps "
    login
    send carol@a.test ready, number from the account
    expect-message from=carol@a.test hello erin by sms timeout=10
    logout"
await carol
expect_wakes phone 1 ge
check_sms ssms "$(login_cookie phone)" 1.2 "$erin_number"

step "Kannel stopped: the SMS cannot go out, the next answer carries CIR=F"
kannel_stop "$KANNEL_DIR"
# The buddy's message comes while the phone is idle (no request in flight: the wake-up is
# tried at once); the phone's next request, 3 s later, learns of the failure.
spawn_buddy carol carol@a.test carol-pw --steps "
    expect-message from=alice@a.test ready, no kannel
    sleep 1
    send alice@a.test kannel is gone"
run phone phone wv:alice@a.test alice-pw --cir ssms "${sms_phone[@]}" --csp 1.2 --steps "
    login
    send carol@a.test ready, no kannel
    sleep 3
    expect-cir-failed timeout=10
    expect-message from=carol@a.test kannel is gone timeout=5
    logout"
await carol
grep -q '^!! CIR=F' "$W/phone.log" || itest_fail "the phone printed no CIR=F"
