#!/bin/sh
# Seeds the pfcp_decode corpus from the golden vectors (tests/vectors/*.hex).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vectors="$here/../tests/vectors"
mkdir -p "$here/corpus/pfcp_decode"
for hex in "$vectors"/*.hex; do
    xxd -r -p "$hex" > "$here/corpus/pfcp_decode/$(basename "$hex" .hex)"
done
echo "seeded $(ls "$here"/corpus/pfcp_decode | wc -l) pfcp_decode inputs"
