#!/bin/sh
# Cross-checks our WSP push PDU (the WAPUDP/WAPSMS CIR, WAP-230-WSP 8.2.4.1) with tshark's WSP
# dissector: each PDU from wsp_push_gen goes into a pcap as a UDP datagram to the connectionless
# WSP port (text2pcap -u 9200,2948) and `tshark -V` must show a Push whose Content-Type is
# application/vnd.wv.csp.cir, whose X-Wap-Application-Id is x-wap-application:wv.ua, and whose
# body is our WVCI line, byte for byte.
#
# Usage: wsp_push_crosscheck.sh WSP_PUSH_GEN WORKDIR
# Exit status: 0 all agree, 1 a mismatch, 77 (skipped) when tshark or text2pcap is missing.
set -u
gen=$1
work=$2

for tool in tshark text2pcap; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not installed (Debian package tshark)"
        exit 77
    fi
done
mkdir -p "$work" || exit 1

failures=0
n=0
check() {
    tid=$1
    body=$2
    n=$((n + 1))
    dump=$work/pdu$n.txt
    pcap=$work/pdu$n.pcap
    if ! "$gen" "$tid" "$body" >"$dump"; then
        echo "FAIL $n: wsp_push_gen failed"
        failures=$((failures + 1))
        return
    fi
    if ! text2pcap -q -u 9200,2948 "$dump" "$pcap" >"$work/text2pcap$n.log" 2>&1; then
        echo "FAIL $n: text2pcap failed:"
        cat "$work/text2pcap$n.log"
        failures=$((failures + 1))
        return
    fi
    # tshark warns about running as root on stderr; only its dissection matters.
    tshark -r "$pcap" -V >"$work/pdu$n.txt.V" 2>/dev/null
    verbose=$work/pdu$n.txt.V
    ok=1
    expect() {
        if ! grep -qF -- "$1" "$verbose"; then
            echo "FAIL $n (tid $tid, body '$body'): tshark -V has no line with: $1"
            ok=0
        fi
    }
    expect "Wireless Session Protocol, Method: Push (0x06)"
    expect "PDU Type: Push (0x06)"
    expect "$(printf 'Transaction ID: 0x%02x' "$tid")"
    expect "Content-Type: application/vnd.wv.csp.cir"
    expect "X-Wap-Application-Id: x-wap-application:wv.ua"
    # The body: tshark hands it to the media dissector; compare its bytes with ours in hex.
    theirs=$(tshark -r "$pcap" -T fields -e media.type 2>/dev/null | tr -d ':\n')
    ours=$(printf '%s' "$body" | od -An -tx1 -v | tr -d ' \n')
    if [ "$theirs" != "$ours" ]; then
        echo "FAIL $n (tid $tid): body differs: tshark '$theirs', ours '$ours'"
        ok=0
    fi
    if [ $ok -eq 1 ]; then
        echo "ok $n: tid $tid, body '$body'"
    else
        failures=$((failures + 1))
        echo "--- tshark -V:"
        cat "$verbose"
    fi
}

check 0 "WVCI 1.2 c00kie"
check 42 "WVCI 1.1 ABCdef-0123456789"
check 255 "WVCI 1.3 $(printf '%0200d' 7)"

if [ $failures -ne 0 ]; then
    echo "$failures of $n PDUs differ"
    exit 1
fi
echo "all $n PDUs agree with tshark"
exit 0
