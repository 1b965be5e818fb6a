#!/usr/bin/env bash
# Runs the load program against a real onesoup and a real Prosody on this machine and prints
# the figures (a benchmark, not a test). Usage:
#   bench/load/run_load.sh [--build DIR] [--users N] [--milestones 1000,10000] [--tls]
#                          [--wrap 'heaptrack -o /tmp/hp'] [-- extra onesoup-load options]
# It starts a private Prosody (domain load.test, accounts written straight into its data
# folder, so 10,000 users take a second), onesoup with load.test in pass-through mode, then
# onesoup-load with --pid of onesoup, and stops everything at the end. --wrap runs onesoup under
# a tool (e.g. heaptrack); the RSS figures are then those of the tool's process, not onesoup's.
# Extra options (e.g. -- --ramp 200 --messages 200) go to onesoup-load: see its --help.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=$root/build
users=1000
milestones=""
tls=off
extra=()
wrap=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --users) users=$2; shift 2 ;;
        --milestones) milestones=$2; shift 2 ;;
        --tls) tls=required; shift ;;
        --wrap) read -r -a wrap <<<"$2"; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n 2,10p "$0"; exit 0 ;;
        *) echo "run_load.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ -n $milestones ]] || milestones=$users
for bin in onesoup onesoup-load; do
    [[ -x $(find "$build" -name "$bin" -type f -perm -u+x | head -1) ]] ||
        { echo "run_load.sh: build $bin first (cmake --build $build --target $bin)" >&2; exit 2; }
done
onesoup_bin=$(find "$build" -name onesoup -type f -perm -u+x | head -1)
load_bin=$(find "$build" -name onesoup-load -type f -perm -u+x | head -1)

# shellcheck source=../load_servers.sh
source "$root/bench/load_servers.sh"
W=$(mktemp -d /tmp/onesoup-load.XXXXXX)
chmod 755 "$W"
trap bench_stop EXIT
c2s=$(free_port)
http=$(free_port)
start_load_prosody "$c2s" "$users"
start_load_onesoup "$onesoup_bin" "$http" "$c2s" "$tls" -- "${wrap[@]}"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); XMPP TLS: $tls"
status=0
"$load_bin" --url "http://127.0.0.1:$http/wv" --users "$users" --user-format 'load%zu@load.test' \
    --password secret --pid "$onesoup_pid" --milestones "$milestones" "${extra[@]}" || status=$?
bench_report "$status"
exit $status
