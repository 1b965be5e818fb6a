#!/bin/bash
# Heap per idle XMPP session: starts a private Prosody (the one of the integration tests, with
# in-band registration open) and runs xmpp_memory_bench with N sessions against it.
# usage: bench/xmpp/run_memory_bench.sh BUILD_DIR [N=200]
#   HEAPTRACK=1 runs the program under heaptrack and prints where the live memory is.
set -eu
build=$1
n=${2:-200}
here=$(cd "$(dirname "$0")" && pwd)
program=$build/bench/xmpp/xmpp_memory_bench
if [ "${HEAPTRACK:-}" = 1 ]; then
    wrapper=$(mktemp /tmp/onesoup-heaptrack.XXXXXX.sh)
    trap 'rm -f "$wrapper"' EXIT
    cat > "$wrapper" <<WRAP
#!/bin/bash
HEAPTRACK_SNAPSHOT=1 heaptrack -o /tmp/onesoup-xmpp-heap "$program" "\$@"
WRAP
    chmod +x "$wrapper"
    program=$wrapper
fi
"$here/../../tests/integration/prosody_login_test.sh" "$program" "bench:$n"
if [ "${HEAPTRACK:-}" = 1 ]; then
    heaptrack_print -f /tmp/onesoup-xmpp-heap.zst -l -n 25 -s 0 2>/dev/null | sed -n '/MOST MEMORY LEAKED/,$p' | head -150
fi
