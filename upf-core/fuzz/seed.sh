#!/bin/sh
# Seeds the fuzz corpora from the golden vectors (tests/vectors/*.hex): every
# frame goes to every target whole, and the GTP-U target also gets the GTP-U
# message cut out of it (after Ethernet/IP/UDP), so it starts deep.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vectors="$here/../tests/vectors"
for target in wire_ethernet wire_ip wire_gtpu; do
    mkdir -p "$here/corpus/$target"
done
for hex in "$vectors"/*.hex; do
    name=$(basename "$hex" .hex)
    for target in wire_ethernet wire_ip wire_gtpu; do
        xxd -r -p "$hex" > "$here/corpus/$target/$name"
    done
    # Ethernet (14) + IPv4 (20) + UDP (8) = 42; with IPv6, 14 + 40 + 8 = 62.
    case "$name" in
        gtpu_ipv6|gtpu_error_indication_v6) skip=62 ;;
        gtpu_*) skip=42 ;;
        *) continue ;;
    esac
    xxd -r -p "$hex" | tail -c +$((skip + 1)) > "$here/corpus/wire_gtpu/$name.gtpu"
    xxd -r -p "$hex" | tail -c +$((skip + 1)) > "$here/corpus/wire_ip/$name.gtpu"
done
# The path target takes one control byte (bit 0: arrival side, the rest:
# headroom and clock) before the frame: seed it with the packet-path vectors
# on both sides, and with every wire vector.
mkdir -p "$here/corpus/path_process"
for hex in "$vectors"/*.hex; do
    name=$(basename "$hex" .hex)
    { printf '\200'; xxd -r -p "$hex"; } > "$here/corpus/path_process/$name.a"
    { printf '\201'; xxd -r -p "$hex"; } > "$here/corpus/path_process/$name.c"
done
python3 - "$here/../tests/path_vectors/path.json" "$here/corpus/path_process" <<'PY'
import json, sys
for case in json.load(open(sys.argv[1])):
    frame = bytes.fromhex(case["input"])
    for side in (0x80, 0x81):
        open(f"{sys.argv[2]}/{case['name']}.{side:x}", "wb").write(bytes([side]) + frame)
PY
echo "seeded $(ls "$here"/corpus/wire_gtpu | wc -l) wire_gtpu inputs, $(ls "$here"/corpus/path_process | wc -l) path_process inputs"
