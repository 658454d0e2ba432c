#!/usr/bin/env bash
# The benchmark harness, by scenario name.
#
#   perf/bench.sh quick        # uplink, downlink, mixed; 1k and 100k sessions; 64 B;
#                              # 1 worker, plus 2 workers for uplink 100k; a few minutes
#   perf/bench.sh full         # + IMIX, 1M sessions, 1..2 workers, longer windows
#   perf/bench.sh uplink|downlink|mixed [upf-bench options]
#   perf/bench.sh pfcp [pfcp-load options]   # PFCP establishments (needs an N4 node)
#
# Results go to perf/results/ (results.json, results.md, two SVG plots), or
# to OUT=dir. HUGE=1 runs both the UPF and testpmd on hugepages (reserves
# them; needs root). Builds with the release profile in target/perf.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target/perf}
OUT=${OUT:-$ROOT/perf/results}
cmd=${1:-quick}
shift || true

(cd "$ROOT" && cargo build --release -q -p perf --bins)
BIN=$CARGO_TARGET_DIR/release

extra=()
if [ "${HUGE:-0}" = 1 ]; then
    HP=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
    if [ "$(cat $HP)" -lt 1536 ]; then echo 1536 > $HP; fi
    extra+=(--huge --memory 1024)
fi

case "$cmd" in
quick)
    # Two runs into one directory would overwrite each other: the second
    # (2 workers) goes to a subdirectory and is merged in the Markdown.
    "$BIN/upf-bench" quick --sessions 1k,100k --sizes 64 --workers 1 \
        --seconds 2 --warmup 1 --out "$OUT" "${extra[@]}" "$@"
    "$BIN/upf-bench" uplink --sessions 100k --sizes 64 --workers 2 \
        --seconds 2 --warmup 1 --no-latency --out "$OUT/workers2" "${extra[@]}" "$@"
    ;;
full)
    "$BIN/upf-bench" all --seconds 5 --warmup 2 --out "$OUT" "${extra[@]}" "$@"
    ;;
uplink | downlink | mixed | all)
    "$BIN/upf-bench" "$cmd" --out "$OUT" "${extra[@]}" "$@"
    ;;
pfcp)
    "$BIN/pfcp-load" "$@"
    ;;
*)
    echo "usage: $0 quick|full|uplink|downlink|mixed|all|pfcp [options]" >&2
    exit 64
    ;;
esac
