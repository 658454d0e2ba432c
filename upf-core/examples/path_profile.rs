//! Drives the packet path over a fixed set of frames for profiling with
//! instruction counters (`valgrind --tool=callgrind`), where wall-clock
//! timing is too noisy: `cargo build --release -p upf-core --example
//! path_profile && valgrind --tool=callgrind --toggle-collect='*process*'
//! target/release/examples/path_profile ul 1000 20000`.

use std::sync::Arc;

use upf_core::buf::VecBuf;
use upf_core::compile::compile;
use upf_core::lab;
use upf_core::path::{process, PathState, Verdict};
use upf_core::rules::Interface;
use upf_core::tables::{Tables, Update};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "ul".into());
    let sessions: u32 = args.next().map_or(1000, |s| s.parse().unwrap());
    let packets: usize = args.next().map_or(20_000, |s| s.parse().unwrap());
    let cfg = lab::path_config();
    let mut tables = Tables::with_capacity(sessions as usize);
    for i in 0..sessions {
        tables.apply(Update::Install(Arc::new(
            compile(&lab::session(i, None), None).unwrap(),
        )));
    }
    let frames: Vec<Vec<u8>> = (0..sessions.min(4096))
        .map(|i| {
            if dir == "ul" {
                lab::uplink_frame(i, None, 18)
            } else {
                lab::downlink_frame(i, 18)
            }
        })
        .collect();
    let ingress = if dir == "ul" {
        Interface::Access
    } else {
        Interface::Core
    };
    let mut st = PathState::new(&cfg);
    let mut buf = VecBuf::new(&frames[0]);
    let mut fwd = 0u64;
    for k in 0..packets {
        buf.reset(&frames[k % frames.len()], 128);
        if let Verdict::Forward { .. } =
            process(&cfg, &tables, &mut st, ingress, &mut buf, k as u64)
        {
            fwd += 1;
        }
    }
    println!("{dir}: {fwd} of {packets} forwarded");
}
