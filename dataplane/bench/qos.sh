#!/usr/bin/env bash
# Cost of QoS enforcement on one UPF worker: packets per second through the
# real worker loop (net_pcap infinite_rx=1 in, net_null out, 64-byte inner
# packets over SESSIONS sessions) with plain forwarding, with every packet
# metered (QER MBR), with every packet through the egress scheduler, and
# with both; uplink and downlink; the variants alternate within each of
# ROUNDS rounds so that they share the machine's conditions. Needs root
# (hugepages).
#
#   dataplane/bench/qos.sh                  # defaults below; override by environment
#   SECS=5 ROUNDS=2 SESSIONS=10000 LCORE=1 DIR=/tmp/upf-bench-qos dataplane/bench/qos.sh
set -euo pipefail

SECS=${SECS:-5}
ROUNDS=${ROUNDS:-2}
SESSIONS=${SESSIONS:-10000}
LCORE=${LCORE:-1}
DIR=${DIR:-/tmp/upf-bench-qos}
# shellcheck source=dataplane/bench/setup.sh
. "$(dirname "$0")/setup.sh"

"$BENCH" --gen "$DIR" --sessions "$SESSIONS" 2>/dev/null

declare -A SUM N
for r in $(seq "$ROUNDS"); do
    for mode in ul dl; do
        for qos in none meter sched both; do
            cmd="$BENCH --mode $mode --qos $qos --dir $DIR --sessions $SESSIONS --seconds $SECS --huge --lcore $LCORE"
            echo "# round $r: $cmd" >&2
            line=$($cmd 2>/dev/null | grep '^RESULT' || true)
            echo "$line" >&2
            # Mpps per CPU-second the worker got (the machine is shared).
            v=$(echo "$line" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^mpps_per_cpu=/) {sub("mpps_per_cpu=", "", $i); print $i}}')
            k="$mode/$qos"
            SUM[$k]=$(awk -v a="${SUM[$k]:-0}" -v b="${v:-0}" 'BEGIN {print a + b}')
            N[$k]=$(( ${N[$k]:-0} + 1 ))
        done
    done
done

echo
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "| direction | plain (Mpps/CPU) | + meter | + scheduler | + both |"
echo "|---|---|---|---|---|"
for mode in ul dl; do
    row="| $mode"
    base=$(awk -v s="${SUM[$mode/none]}" -v n="${N[$mode/none]}" 'BEGIN {printf "%.3f", s / n}')
    for qos in none meter sched both; do
        v=$(awk -v s="${SUM[$mode/$qos]}" -v n="${N[$mode/$qos]}" 'BEGIN {printf "%.3f", s / n}')
        if [ "$qos" = none ]; then
            row="$row | $v"
        else
            row="$row | $v ($(awk -v v="$v" -v b="$base" 'BEGIN {if (b > 0) printf "%+.1f%%", 100 * (v - b) / b; else print "n/a"}'))"
        fi
    done
    echo "$row |"
done
