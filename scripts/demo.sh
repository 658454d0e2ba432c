#!/usr/bin/env bash
# The main job: a UPF between a gNB and a data network, programmed over real
# PFCP, carrying real traffic.
#
#   upf-gnb-<id> (scapy gNB, 10.100.3.2) ==veth== N3 [ upf run, DPDK af_packet ] N6 ==veth== upf-dn-<id> (10.100.6.2)
#                                                    ^ PFCP 127.0.0.1
#                                                  upf smf (the SMF)
#
# 1. installs what is missing (scripts/setup.sh) and builds the `upf` binary;
# 2. creates the namespaces and veth pairs (scripts/e2e/lib.sh);
# 3. starts `upf run` on net_af_packet vdevs over the root-side veth ends,
#    on hugepages when it can reserve them, else without (--no-huge);
# 4. `upf smf` sets up a PFCP association and N sessions (uplink F-TEID
#    chosen by the UPF, downlink tunnel to the gNB, QER with QFI 9, a URR);
# 5. the gNB sends pings and UDP from each UE as GTP-U with the UL PDU
#    Session Container; the DN's kernel answers the pings, a UDP echo
#    server the datagrams; the gNB prints each downlink answer (TEID, QFI);
# 6. the SMF deletes the sessions and prints the usage reports;
# 7. a summary, then everything is removed (also on failure or Ctrl-C).
#
# Needs root. Environment: SESSIONS (default 2), PINGS (3), UDP (3),
# UPF_DEMO_PROFILE (dev or release, default dev: quicker to build),
# KEEP=1 keeps the work directory with logs and captures.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SESSIONS=${SESSIONS:-2}
PINGS=${PINGS:-3}
UDP=${UDP:-3}
PROFILE=${UPF_DEMO_PROFILE:-dev}

step() { printf '\n== %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (network namespaces, veth pairs, DPDK)"

step "setup: packages and toolchain"
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

step "building the upf binary ($PROFILE profile; the first build takes a few minutes)"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "$PROFILE" = release ]; then
    cargo build --release -q -p cnf --bin upf
    UPF=$CARGO_TARGET_DIR/release/upf
else
    cargo build -q -p cnf --bin upf
    UPF=$CARGO_TARGET_DIR/debug/upf
fi

# shellcheck source=e2e/lib.sh
source scripts/e2e/lib.sh
ID=d$$
WORK=$(mktemp -d /tmp/upf-demo.XXXXXX)
UPF_PID=""
SMF_PID=""
HUGE_ADDED=0
HP=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

cleanup() {
    local rc=$?
    set +e
    [ -n "$SMF_PID" ] && kill "$SMF_PID" 2>/dev/null && wait "$SMF_PID" 2>/dev/null
    if [ -n "$UPF_PID" ] && kill -0 "$UPF_PID" 2>/dev/null; then
        kill -TERM "$UPF_PID"
        for _ in $(seq 50); do kill -0 "$UPF_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$UPF_PID" 2>/dev/null
    fi
    e2e_down "$ID"
    if [ "$HUGE_ADDED" -gt 0 ]; then
        echo $(( $(cat $HP) - HUGE_ADDED )) >$HP 2>/dev/null
    fi
    if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
        echo "demo: logs and captures kept in $WORK"
    else
        rm -rf "$WORK"
    fi
    [ "$HUGE_ADDED" -gt 0 ] && echo "demo: returned $HUGE_ADDED hugepages"
    echo "demo: cleaned up (namespaces, veths, processes)"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "topology: namespaces upf-gnb-$ID and upf-dn-$ID, veth pairs to the UPF"
e2e_up "$ID"
echo "gNB  $E2E_GNB_ADDR in upf-gnb-$ID  <->  $N3_IF: UPF N3 $E2E_UPF_N3"
echo "DN   $E2E_DN_ADDR in upf-dn-$ID   <->  $N6_IF: UPF N6 $E2E_UPF_N6 (UDP echo on $E2E_UDP_ECHO_PORT)"

# Hugepages when 128 more 2 MiB pages can be had; else run without.
HUGE=no
if [ -w $HP ]; then
    before=$(cat $HP)
    echo $((before + 128)) >$HP 2>/dev/null || true
    now=$(cat $HP)
    HUGE_ADDED=$((now - before))
    if [ "$HUGE_ADDED" -ge 128 ]; then
        HUGE=yes
        echo "hugepages: reserved $HUGE_ADDED more 2 MiB pages (returned at the end)"
    else
        echo "hugepages: could not reserve 128 pages (got $HUGE_ADDED); running without (--no-huge)"
        [ "$HUGE_ADDED" -gt 0 ] && echo $(( $(cat $HP) - HUGE_ADDED )) >$HP
        HUGE_ADDED=0
    fi
fi
cpus=$(grep Cpus_allowed_list /proc/self/status | cut -f2)
first=${cpus%%[,-]*}
second=$(/usr/bin/python3 -c "
s='$cpus'; c=[]
for r in s.split(','):
    a,_,b=r.partition('-'); c+=range(int(a),int(b or a)+1)
print(c[1] if len(c)>1 else c[0])")
e2e_config "$ID" "$WORK/upf.toml" "$HUGE" "$first" "$second" text

step "starting upf run (hugepages: $HUGE; control CPU $first, worker CPU $second)"
"$UPF" run --config "$WORK/upf.toml" >"$WORK/upf.log" 2>&1 &
UPF_PID=$!
addr_of() { grep -o "service=\"$1\" addr=[0-9.:]*" "$WORK/upf.log" | head -1 | cut -d= -f3; }
for _ in $(seq 300); do
    [ -n "$(addr_of grpc)" ] && break
    kill -0 $UPF_PID 2>/dev/null || { cat "$WORK/upf.log"; die "upf run exited"; }
    sleep 0.2
done
PFCP=$(addr_of pfcp); HTTP=$(addr_of http); GRPC=$(addr_of grpc)
[ -n "$GRPC" ] || { cat "$WORK/upf.log"; die "upf run did not come up"; }
http_get() {
    exec 3<>"/dev/tcp/${HTTP%:*}/${HTTP#*:}"
    printf 'GET %s HTTP/1.0\r\n\r\n' "$1" >&3
    cat <&3
    exec 3<&-
}
for _ in $(seq 100); do http_get /readyz | grep -q '^ready' && break; sleep 0.3; done
grep -E "starting EAL|port started|dataplane started|listening" "$WORK/upf.log" | sed -E 's/^[^ ]+ +//'
echo "ready: $(http_get /readyz | tail -1)"

step "the SMF: PFCP association and $SESSIONS sessions"
"$UPF" smf --upf "$PFCP" --gnb $E2E_GNB_ADDR --upf-n3 $E2E_UPF_N3 --sessions "$SESSIONS" \
    --ue 10.45.0.2 --dl-teid 0x2000 --ul-teid choose --qfi 9 \
    --out "$WORK/sessions.json" --delete-when "$WORK/delete" >"$WORK/smf.log" 2>&1 &
SMF_PID=$!
for _ in $(seq 300); do
    [ -f "$WORK/sessions.json" ] && break
    kill -0 $SMF_PID 2>/dev/null || { cat "$WORK/smf.log"; die "the SMF failed"; }
    sleep 0.2
done
[ -f "$WORK/sessions.json" ] || die "no sessions established"
cat "$WORK/smf.log"
"$UPF" ctl --addr "http://$GRPC" sessions

step "traffic: the gNB sends ping and UDP from each UE as GTP-U"
ip netns exec "$GNB_NS" /usr/bin/python3 scripts/e2e/gnb.py traffic \
    --gnb $E2E_GNB_ADDR --upf $E2E_UPF_N3 --dn $E2E_DN_ADDR --sessions "$WORK/sessions.json" \
    --pings "$PINGS" --udp "$UDP" --iface "$GNB_IF" --pcap "$WORK/n3-gnb.pcap" --json "$WORK/traffic.json" \
    || echo "demo: some answers did not come back (see the summary)"

step "downlink on N3 as tshark decodes it (TEID, PDU Session Container QFI, inner destination)"
tshark -r "$WORK/n3-gnb.pcap" -Y "gtp.message == 255 && ip.src == $E2E_UPF_N3" -T fields \
    -e gtp.teid -e gtp.ext_hdr.pdu_ses_con.qos_flow_id -e ip.dst 2>/dev/null | head -8 \
    | awk -F'\t' '{ split($3, d, ","); printf "  teid %s  qfi %s  to UE %s\n", $1, $2, d[2] }'

step "GTP-U: an unknown TEID and an Echo Request"
ip netns exec "$GNB_NS" /usr/bin/python3 scripts/e2e/gnb.py unknown-teid --gnb $E2E_GNB_ADDR \
    --upf $E2E_UPF_N3 --teid 0xdead || true
ip netns exec "$GNB_NS" /usr/bin/python3 scripts/e2e/gnb.py echo --gnb $E2E_GNB_ADDR --upf $E2E_UPF_N3 || true

step "the UPF's view (upf ctl stats)"
sleep 0.6   # one statistics period
"$UPF" ctl --addr "http://$GRPC" sessions
"$UPF" ctl --addr "http://$GRPC" stats | sed -n '/^PORTS/,/^STAGES/p'

step "the SMF deletes the sessions; the Deletion Responses carry the usage reports"
touch "$WORK/delete"
wait $SMF_PID || die "the SMF failed: $(cat "$WORK/smf.log")"
SMF_PID=""
grep -E "deleted|released" "$WORK/smf.log"

step "summary"
METRICS=$(http_get /metrics)
/usr/bin/python3 - "$WORK/sessions.json" "$WORK/traffic.json" <<'EOF' "$METRICS"
import json, sys
smf = json.load(open(sys.argv[1]))["sessions"]
gnb = {s["dl_teid"]: s for s in json.load(open(sys.argv[2])).get("sessions", [])}
metrics = sys.argv[3] if len(sys.argv) > 3 else ""
ok = True
print(f"{'UE':<11} {'UL TEID':>8} {'DL TEID':>8}  {'UL sent':>14}  {'DL received':>14}  {'ping':>5} {'udp':>4}  usage report (UL/DL bytes)")
for s in smf:
    g = gnb.get(s["dl_teid"], {})
    u = (s.get("usage_reports") or [{}])[0]
    match = (u.get("ul_bytes"), u.get("dl_bytes")) == (g.get("ul_bytes"), g.get("dl_bytes"))
    ok &= match
    print(f"{s['ue']:<11} {s['ul_teid']:>#8x} {s['dl_teid']:>#8x}  "
          f"{g.get('ul_packets', 0):>3} pkt {g.get('ul_bytes', 0):>5} B  {g.get('dl_packets', 0):>3} pkt {g.get('dl_bytes', 0):>5} B  "
          f"{g.get('ping_replies', 0):>5} {g.get('udp_replies', 0):>4}  "
          f"{u.get('ul_bytes')}/{u.get('dl_bytes')} {'= what the gNB counted' if match else '!= what the gNB counted'}")
drops = [l for l in metrics.splitlines() if l.startswith("upf_drops_total") and not l.endswith(" 0")]
print("drops by reason:", ", ".join(l.split('"')[1] + "=" + l.split()[-1] for l in drops) or "none")
for l in metrics.splitlines():
    if l.startswith("upf_control_events_total") and not l.endswith(" 0"):
        print("control event:", l.split('"')[1], l.split()[-1])
print("usage reports equal the inner bytes the gNB sent and received:", "yes" if ok else "NO")
sys.exit(0 if ok else 1)
EOF
echo
echo "demo: done (${SESSIONS} sessions; upf log: $WORK/upf.log)"
