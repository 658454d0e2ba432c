//! The traffic builder against frames scapy builds from the same
//! description (`tests/vectors/gen_frames.py`), byte for byte: uplink with
//! and without the PDU Session Container, several QFIs and gNBs, downlink,
//! IMIX sizes, VLAN tags.

use std::io::Write;
use std::process::{Command, Stdio};

use perf::traffic::{Direction, Generator, SizeMix, Topology, TrafficConfig};

fn mac(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn topo_json(t: &Topology, qfis: &[u8]) -> serde_json::Value {
    serde_json::json!({
        "upf_n3": t.upf_n3.to_string(), "upf_n6": t.upf_n6.to_string(),
        "gnb": t.gnb.to_string(), "gnbs": t.gnbs, "dn": t.dn.to_string(),
        "ue": t.ue.to_string(), "qfis": qfis,
        "upf_n3_mac": mac(t.upf_n3_mac), "upf_n6_mac": mac(t.upf_n6_mac),
        "gnb_mac": mac(t.gnb_mac), "dn_mac": mac(t.dn_mac),
        "n3_vlan": t.n3_vlan, "n6_vlan": t.n6_vlan,
    })
}

fn scapy(input: &serde_json::Value) -> Option<Vec<Vec<u8>>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/gen_frames.py");
    let mut child = Command::new("/usr/bin/python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "scapy script failed");
    let text = String::from_utf8(out.stdout).unwrap();
    Some(
        text.lines()
            .map(|l| {
                (0..l.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&l[i..i + 2], 16).unwrap())
                    .collect()
            })
            .collect(),
    )
}

fn compare(cfg: TrafficConfig, n: usize) {
    let mut g = Generator::new(cfg.clone()).unwrap();
    let sizes = cfg.sizes.sizes();
    let frames: Vec<_> = (0..n)
        .map(|k| {
            let class = cfg.sizes.class(k as u64);
            let tx_ns = 1_000_000_007 * k as u64 + 0x0102_0304_0506;
            let mut b = vec![0u8; g.next_len()];
            let e = g.write_next(tx_ns, &mut b);
            (e, sizes[class], tx_ns, b)
        })
        .collect();
    let desc: Vec<_> = frames
        .iter()
        .map(|(e, size, tx_ns, _)| {
            serde_json::json!({
                "dir": if e.dir == Direction::Uplink { "up" } else { "down" },
                "session": e.session, "seq": e.seq, "psc": e.psc,
                "size": size, "tx_ns": tx_ns,
            })
        })
        .collect();
    let input = serde_json::json!({
        "topo": topo_json(&cfg.sessions.topo, &cfg.sessions.qfis),
        "frames": desc,
    });
    let Some(expected) = scapy(&input) else {
        eprintln!("skipped: /usr/bin/python3 with scapy not available");
        return;
    };
    assert_eq!(expected.len(), frames.len());
    for (k, ((e, _, _, ours), theirs)) in frames.iter().zip(&expected).enumerate() {
        assert_eq!(ours, theirs, "frame {k} ({e:?}) differs from scapy's");
    }
    // Both kinds of uplink and downlink were covered.
    assert!(frames.iter().any(|f| f.0.psc));
    assert!(frames
        .iter()
        .any(|f| !f.0.psc && f.0.dir == Direction::Uplink));
}

#[test]
fn uplink_and_downlink_match_scapy() {
    let mut cfg = TrafficConfig::new(5);
    cfg.uplink = 2;
    cfg.downlink = 3;
    cfg.sessions.topo.gnbs = 2;
    cfg.sessions.qfis = vec![1, 5, 9];
    compare(cfg, 40);
}

#[test]
fn imix_with_vlans_matches_scapy() {
    let mut cfg = TrafficConfig::new(1000);
    cfg.sizes = SizeMix::Imix;
    cfg.uplink = 1;
    cfg.downlink = 1;
    cfg.stride = 7;
    cfg.sessions.topo.n3_vlan = Some(100);
    cfg.sessions.topo.n6_vlan = Some(200);
    compare(cfg, 30);
}
