#!/usr/bin/env bash
# CIR benchmark (issue 4): memory per held CIR connection and wake-up latency, against a real
# onesoup and a real Prosody on this machine (a benchmark that prints figures, not a test).
# Usage:
#   bench/cir/run_cir_bench.sh [--build DIR] [--users N] [--cir stcp|shttp|both]
#                              [--wakes R] [--wake-seconds S] [--hold S] [--tls]
#                              [--wrap 'heaptrack -o /tmp/hp'] [-- extra onesoup-load options]
# For each CIR method (both: STCP, then SHTTP, each with a fresh Prosody and onesoup) it starts
# a private Prosody (domain load.test; the phones' accounts load1..loadN plus buddy and echo
# are written straight into its data folder), onesoup with [cir] methods STCP and SHTTP, then
# onesoup-load --cir METHOD: N phones log in, onesoup's RSS is read, every phone opens its CIR
# channel (STCP socket with HELO, or a held SHTTP GET), the RSS is read again; then the XMPP
# client buddy@load.test sends R messages/s to random idle phones for S seconds, and the
# program prints the wake-up latency (XMPP write -> WVCI at the phone), the end to end time
# (-> NewMessage in the poll answer), the XMPP server's own latency (a copy to echo@load.test)
# and the bytes on the phone's link per woken message. Defaults: 5000 users, both methods,
# 50 wake-ups/s for 20 s, hold 50 s (onesoup's default).
# Every process needs a file descriptor per connection: onesoup holds 2 per phone (XMPP and
# CIR), so N is bounded by about (ulimit -n)/2.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=$root/build
users=5000
modes=(stcp shttp)
wakes=50
wake_seconds=20
hold=50
tls=off
extra=()
wrap=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --users) users=$2; shift 2 ;;
        --cir)
            case $2 in
                both) modes=(stcp shttp) ;;
                stcp|shttp) modes=("$2") ;;
                *) echo "run_cir_bench.sh: --cir stcp|shttp|both" >&2; exit 2 ;;
            esac
            shift 2 ;;
        --wakes) wakes=$2; shift 2 ;;
        --wake-seconds) wake_seconds=$2; shift 2 ;;
        --hold) hold=$2; shift 2 ;;
        --tls) tls=required; shift ;;
        --wrap) read -r -a wrap <<<"$2"; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n 2,22p "$0"; exit 0 ;;
        *) echo "run_cir_bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
onesoup_bin=$(find "$build" -name onesoup -type f -perm -u+x | head -1)
load_bin=$(find "$build" -name onesoup-load -type f -perm -u+x | head -1)
if [[ -z $onesoup_bin || -z $load_bin ]]; then
    echo "run_cir_bench.sh: build onesoup and onesoup-load first" \
        "(cmake --build $build --target onesoup onesoup-load)" >&2
    exit 2
fi
# Raise the soft limit to the hard one; the phones need sockets on every side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
need=$((2 * users + 200))
if [[ $(ulimit -n) != unlimited && $(ulimit -n) -lt $need ]]; then
    echo "run_cir_bench.sh: ulimit -n is $(ulimit -n); $users phones need about $need" >&2
    exit 2
fi

# shellcheck source=../load_servers.sh
source "$root/bench/load_servers.sh"
trap bench_stop EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
    "$(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); ulimit -n $(ulimit -n);" \
    "XMPP TLS: $tls"
status=0
for mode in "${modes[@]}"; do
    W=$(mktemp -d /tmp/onesoup-cir.XXXXXX)
    chmod 755 "$W"
    c2s=$(free_port)
    http=$(free_port)
    stcp=$(free_port)

    start_load_prosody "$c2s" "$users" buddy echo
    start_load_onesoup "$onesoup_bin" "$http" "$c2s" "$tls" '[cir]' 'methods = ["STCP", "SHTTP"]' \
        '[cir.stcp]' 'address = "127.0.0.1"' "port = $stcp" '[cir.http]' "hold = $hold" \
        -- "${wrap[@]}"

    echo
    echo "=== CIR method $mode: $users phones, $wakes wake-ups/s for $wake_seconds s, SHTTP hold $hold s"
    run=0
    "$load_bin" --url "http://127.0.0.1:$http/wv" --users "$users" \
        --user-format 'load%zu@load.test' --password secret --pid "$onesoup_pid" \
        --ramp 200 --cir "$mode" --xmpp-port "$c2s" --buddy buddy@load.test \
        --echo echo@load.test --wakes "$wakes" --wake-seconds "$wake_seconds" --blast 0 \
        "${extra[@]}" || run=$?
    bench_report "$run"
    [[ $run -eq 0 ]] || status=$run
    bench_stop
done
exit $status
