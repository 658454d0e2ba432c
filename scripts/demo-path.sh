#!/usr/bin/env bash
# The packet path alone (upf-core over pcaps, no DPDK, no root): scapy
# builds GTP-U and IP traffic, the path processes it, tshark decodes the result.

set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

work=$(mktemp -d /tmp/upf-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "== building"
cargo build --release -q -p upf-core --example pcap_path
echo "== generating traffic (scapy): GTP-U from a gNB, IP from the data network"
/usr/bin/python3 scripts/demo_traffic.py "$work" 4
echo "== running the packet path"
cargo run --release -q -p upf-core --example pcap_path -- "$work" 4
echo "== downlink toward the gNB as tshark decodes it (TEID, QFI, inner destination)"
tshark -r "$work/n3_out.pcap" -T fields -e frame.number -e gtp.message -e gtp.teid \
    -e gtp.ext_hdr.pdu_ses_con.qos_flow_id -e ip.dst 2>/dev/null | head -12
echo "== uplink toward the data network"
tshark -r "$work/n6_out.pcap" 2>/dev/null | head -6
if tshark -r "$work/n3_out.pcap" -V 2>/dev/null | grep -qi malformed; then
    echo "demo: tshark reports malformed output" >&2
    exit 1
fi
echo "== done: every output packet decodes cleanly"
