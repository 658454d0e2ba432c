//! The validator against the real packet path: frames from the traffic
//! builder go through `upf_core::path::process` with the bench sessions
//! installed, and every output must pass; then deliberately wrong packets
//! (wrong TEID, wrong QFI, corrupted inner packet, missing or wrong
//! container, wrong addresses, TTL not decremented) must fail, each for its
//! own reason.

use perf::check::{Checker, Wrong};
use perf::traffic::{ip_checksum, Direction, Generator, Sessions, SizeMix, TrafficConfig};
use perf::upf;
use upf_core::buf::{PacketBuf, VecBuf};
use upf_core::path::{process, PathState, Verdict};
use upf_core::rules::Interface;

/// Runs `n` generated frames through the path; returns the outputs as the
/// UPF would send them (Ethernet added) with their direction.
fn through_upf(cfg: &TrafficConfig, n: usize) -> Vec<(Direction, Vec<u8>)> {
    let s = &cfg.sessions;
    let tables = upf::tables(s);
    let pcfg = upf::path_config(s);
    let mut state = PathState::new(&pcfg);
    let mut g = Generator::new(cfg.clone()).unwrap();
    let mut out = Vec::new();
    for k in 0..n {
        let mut f = vec![0u8; g.next_len()];
        let e = g.write_next(1000 + k as u64, &mut f);
        let ingress = match e.dir {
            Direction::Uplink => Interface::Access,
            Direction::Downlink => Interface::Core,
        };
        let mut b = VecBuf::with_headroom(&f, 128);
        match process(&pcfg, &tables, &mut state, ingress, &mut b, 5) {
            Verdict::Forward { egress, .. } => {
                let t = &s.topo;
                let (dst, src) = if egress == Interface::Access {
                    (t.gnb_mac, t.upf_n3_mac)
                } else {
                    (t.dn_mac, t.upf_n6_mac)
                };
                assert!(b.prepend(14));
                let d = b.data_mut();
                d[0..6].copy_from_slice(&dst);
                d[6..12].copy_from_slice(&src);
                d[12..14].copy_from_slice(&[0x08, 0x00]);
                out.push((e.dir, b.data().to_vec()));
            }
            v => panic!("frame {k} ({e:?}): {v:?}"),
        }
    }
    out
}

fn mixed(sessions: u32) -> TrafficConfig {
    let mut cfg = TrafficConfig::new(sessions);
    cfg.uplink = 1;
    cfg.downlink = 1;
    cfg.sizes = SizeMix::Imix;
    cfg.sessions.topo.gnbs = 3;
    cfg
}

#[test]
fn path_output_passes() {
    let cfg = mixed(50);
    let mut c = Checker::new(cfg.sessions.clone());
    for (dir, f) in through_upf(&cfg, 200) {
        let g = c
            .check(dir, &f)
            .unwrap_or_else(|w| panic!("{dir:?}: {w:?}"));
        assert_eq!(g.dir, dir);
    }
    assert_eq!(c.good, [100, 100]);
    assert_eq!(c.total_wrong(), 0);
}

/// Offsets in a downlink output frame (untagged, IPv4, no IP options).
const IP: usize = 14;
const GTP: usize = 14 + 20 + 8;
const PSC: usize = GTP + 12;

fn fix_outer_checksum(f: &mut [u8]) {
    f[IP + 10..IP + 12].copy_from_slice(&[0, 0]);
    let c = ip_checksum(&f[IP..IP + 20]);
    f[IP + 10..IP + 12].copy_from_slice(&c.to_be_bytes());
}

fn first(cfg: &TrafficConfig, dir: Direction) -> Vec<u8> {
    through_upf(cfg, 4)
        .into_iter()
        .find(|(d, _)| *d == dir)
        .unwrap()
        .1
}

#[test]
fn wrong_downlink_packets_are_caught() {
    let cfg = mixed(8);
    let s: &Sessions = &cfg.sessions;
    let good = first(&cfg, Direction::Downlink);
    let mut c = Checker::new(s.clone());
    assert!(c.check(Direction::Downlink, &good).is_ok());
    let expect = |c: &mut Checker, f: &[u8], w: Wrong| {
        assert_eq!(c.check(Direction::Downlink, f).unwrap_err(), w);
    };

    // Wrong TEID.
    let mut f = good.clone();
    f[GTP + 7] ^= 0x01;
    expect(&mut c, &f, Wrong::Teid);

    // Wrong QFI.
    let mut f = good.clone();
    assert_eq!(f[PSC + 1] >> 4, 0, "DL PDU SESSION INFORMATION");
    f[PSC + 2] = (f[PSC + 2] & 0xc0) | ((f[PSC + 2] & 0x3f) % 63 + 1);
    expect(&mut c, &f, Wrong::Qfi);

    // UL container where a DL one belongs.
    let mut f = good.clone();
    f[PSC + 1] = 0x10 | (f[PSC + 1] & 0x0f);
    expect(&mut c, &f, Wrong::ContainerType);

    // Corrupted inner packet: a payload byte, then the inner TTL.
    let mut f = good.clone();
    let last = f.len() - 1;
    f[last] ^= 0xff;
    expect(&mut c, &f, Wrong::Payload);
    let mut f = good.clone();
    let inner = PSC + 4;
    f[inner + 8] += 1;
    expect(&mut c, &f, Wrong::InnerTtl);
    let mut f = good.clone();
    f[inner + 1] ^= 0x04; // TOS: only the checksum notices
    expect(&mut c, &f, Wrong::InnerChecksum);

    // Missing container: the same packet without the optional fields and
    // the extension header, lengths and checksum fixed.
    let mut f = good.clone();
    f.drain(GTP + 8..GTP + 16);
    f[GTP] &= !0x07;
    let glen = u16::from_be_bytes([f[GTP + 2], f[GTP + 3]]) - 8;
    f[GTP + 2..GTP + 4].copy_from_slice(&glen.to_be_bytes());
    let ulen = u16::from_be_bytes([f[IP + 24], f[IP + 25]]) - 8;
    f[IP + 24..IP + 26].copy_from_slice(&ulen.to_be_bytes());
    let tlen = u16::from_be_bytes([f[IP + 2], f[IP + 3]]) - 8;
    f[IP + 2..IP + 4].copy_from_slice(&tlen.to_be_bytes());
    fix_outer_checksum(&mut f);
    expect(&mut c, &f, Wrong::MissingContainer);
    // And it passes when containers are not expected.
    let mut lenient = Checker::new(s.clone());
    lenient.expect_container = false;
    assert!(lenient.check(Direction::Downlink, &f).is_ok());

    // Wrong outer destination (another gNB), checksum fixed.
    let mut f = good.clone();
    f[IP + 19] ^= 0x40;
    fix_outer_checksum(&mut f);
    expect(&mut c, &f, Wrong::OuterAddress);
    // Broken outer checksum.
    let mut f = good.clone();
    f[IP + 10] ^= 1;
    expect(&mut c, &f, Wrong::OuterChecksum);

    // Not GTP-U, wrong MAC, truncated, no stamp.
    let mut f = good.clone();
    f[IP + 22..IP + 24].copy_from_slice(&2153u16.to_be_bytes());
    expect(&mut c, &f, Wrong::NotGtpu);
    let mut f = good.clone();
    f[0] ^= 2;
    expect(&mut c, &f, Wrong::Mac);
    expect(&mut c, &good[..40], Wrong::TooShort);
    let mut f = good.clone();
    f[inner + 28] ^= 0xff;
    expect(&mut c, &f, Wrong::NoStamp);

    // One count per reason above, one good frame.
    assert_eq!(c.good, [0, 1]);
    for w in [
        Wrong::Teid,
        Wrong::Qfi,
        Wrong::ContainerType,
        Wrong::Payload,
        Wrong::InnerTtl,
        Wrong::InnerChecksum,
        Wrong::MissingContainer,
        Wrong::OuterAddress,
        Wrong::OuterChecksum,
        Wrong::NotGtpu,
        Wrong::Mac,
        Wrong::TooShort,
        Wrong::NoStamp,
    ] {
        assert_eq!(c.count(w), 1, "{w:?}");
    }
}

#[test]
fn wrong_uplink_packets_are_caught() {
    let cfg = mixed(8);
    let good = first(&cfg, Direction::Uplink);
    let mut c = Checker::new(cfg.sessions.clone());
    assert!(c.check(Direction::Uplink, &good).is_ok());
    let expect = |c: &mut Checker, f: &[u8], w: Wrong| {
        assert_eq!(c.check(Direction::Uplink, f).unwrap_err(), w);
    };
    // Corrupted payload.
    let mut f = good.clone();
    let k = f.len() - 1;
    f[k] = f[k].wrapping_add(1);
    expect(&mut c, &f, Wrong::Payload);
    // Wrong source address (another UE).
    let mut f = good.clone();
    f[IP + 15] ^= 1;
    expect(&mut c, &f, Wrong::InnerAddress);
    // Not decapsulated: the original GTP-U frame is no uplink output.
    let mut g = Generator::new(cfg.clone()).unwrap();
    let mut raw = vec![0; g.next_len()];
    g.write_next(0, &mut raw);
    raw[0..6].copy_from_slice(&cfg.sessions.topo.dn_mac);
    assert!(c.check(Direction::Uplink, &raw).is_err());
    // A session beyond the table.
    let mut f = good.clone();
    f[IP + 28 + 2] = 0xff;
    expect(&mut c, &f, Wrong::UnknownSession);
}
