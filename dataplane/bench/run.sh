#!/usr/bin/env bash
# Packet-path throughput of one UPF worker next to dpdk-testpmd io forwarding
# on the same vdevs (net_pcap infinite_rx=1 in, net_null out) and the same
# core, in one run, plus the worst worker stall while rules are updated at
# UPDATES per second. Needs root (hugepages) and dpdk-testpmd.
#
#   dataplane/bench/run.sh            # defaults below; override by environment
#   SECS=10 SESSIONS=100000 LCORE=1 UPDATES=10000 DIR=/tmp/upf-bench BENCH=path/to/bench_path \
#     dataplane/bench/run.sh
set -euo pipefail

SECS=${SECS:-10}
SESSIONS=${SESSIONS:-100000}
LCORE=${LCORE:-1}
UPDATES=${UPDATES:-10000}
DIR=${DIR:-/tmp/upf-bench}
# shellcheck source=dataplane/bench/setup.sh
. "$(dirname "$0")/setup.sh"

"$BENCH" --gen "$DIR" --sessions "$SESSIONS"

# Average Tx-pps of the net_null port (port 1) over the run, skipping the
# first two periods (start-up).
testpmd_mpps() {
    local pcap=$1
    local cmd="dpdk-testpmd -l 0,$LCORE --in-memory --no-pci --no-telemetry --file-prefix upf-tp-$$ --vdev net_pcap0,rx_pcap=$pcap,infinite_rx=1 --vdev net_null0,no-rx=1 -- --forward-mode=io --no-flush-rx --total-num-mbufs=262144 --stats-period 1 -a"
    echo "# $cmd" >&2
    { timeout -s INT $((SECS + 3)) $cmd 2>&1 || true; } |
        awk '/NIC statistics for port 1/ {p = 1} p && /Tx-pps/ {print $2; p = 0}' |
        tail -n +3 | head -n "$SECS" |
        awk '{s += $1; n++} END {if (n) printf "%.3f\n", s / n / 1e6; else print "nan"}'
}

upf_mpps() {
    local mode=$1
    local cmd="$BENCH --mode $mode --dir $DIR --sessions $SESSIONS --seconds $SECS --huge --lcore $LCORE"
    echo "# $cmd" >&2
    $cmd 2>/dev/null | tee /dev/stderr | awk '/^RESULT/ {for (i = 1; i <= NF; i++) if ($i ~ /^tx_mpps=/) {sub("tx_mpps=", "", $i); print $i}}'
}

declare -A TP UPF
for mode in ul dl; do
    TP[$mode]=$(testpmd_mpps "$DIR/$mode.pcap")
    UPF[$mode]=$(upf_mpps "$mode")
done

STALL=""
if [ "$UPDATES" -gt 0 ]; then
    cmd="$BENCH --mode ul --dir $DIR --sessions $SESSIONS --seconds $SECS --huge --lcore $LCORE --updates $UPDATES"
    echo "# $cmd" >&2
    STALL=$($cmd 2>/dev/null | grep -E '^(RESULT|UPDATES)')
fi

echo
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "| direction | testpmd io (Mpps) | UPF worker (Mpps) | UPF / testpmd |"
echo "|---|---|---|---|"
for mode in ul dl; do
    ratio=$(awk -v u="${UPF[$mode]}" -v t="${TP[$mode]}" 'BEGIN {if (t > 0) printf "%.1f%%", 100 * u / t; else print "n/a"}')
    echo "| $mode | ${TP[$mode]} | ${UPF[$mode]} | $ratio |"
done
if [ -n "$STALL" ]; then
    echo
    echo "with $UPDATES rule updates/s during uplink traffic:"
    echo "$STALL"
fi
