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
echo "seeded $(ls "$here"/corpus/wire_gtpu | wc -l) wire_gtpu inputs"
