# Sourced by the dataplane benchmarks: ROOT and CARGO_TARGET_DIR, BENCH (a
# bench_path binary: built here unless given), and 1024 hugepages of 2 MiB.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target/dp}

# BENCH: a bench_path binary built elsewhere (skips the build).
if [ -z "${BENCH:-}" ]; then
    (cd "$ROOT" && cargo build --release -q -p dataplane --example bench_path)
    BENCH=$CARGO_TARGET_DIR/release/examples/bench_path
fi

HP=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ "$(cat $HP)" -lt 1024 ]; then echo 1024 > $HP; fi
