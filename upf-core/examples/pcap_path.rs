//! Runs the packet path over pcap files: frames from `ul.pcap` arrive on the
//! access side (N3), frames from `dl.pcap` on the core side (N6). Forwarded
//! packets are written with an Ethernet header to `n6_out.pcap` and
//! `n3_out.pcap`; a summary of verdicts, drops and usage is printed.
//!
//! `cargo run --release -p upf-core --example pcap_path -- DIR [SESSIONS]`
//! (DIR holds ul.pcap and dl.pcap; see scripts/demo_traffic.py).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::sync::Arc;

use upf_core::buf::{PacketBuf, VecBuf};
use upf_core::compile::{compile, SessionRules};
use upf_core::counters::{DropReason, Stat};
use upf_core::path::{process, PathConfig, PathState, Verdict};
use upf_core::rules::*;
use upf_core::sdf::SdfFilter;
use upf_core::tables::{Tables, Update};

const N3: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const N6: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const GNB: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);

fn ue(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 45, 0, 2)) + i)
}

/// UE i: uplink TEID 0x100+i, downlink TEID 0x2000+i, QFI 9 (default flow)
/// and QFI 5 for UDP port 5000 (a second flow with its own PDR and QER).
fn session(i: u32) -> Session {
    let mut s = Session::new(u64::from(i) + 1);
    s.create_far(Far::forward(1, ForwardingParameters::to(Interface::Core)))
        .unwrap();
    let mut dl = ForwardingParameters::to(Interface::Access);
    dl.outer_header_creation = Some(OuterHeaderCreation {
        kind: OuterHeaderCreationKind::GtpuUdpIpv4,
        teid: 0x2000 + i,
        ipv4: Some(GNB),
        ipv6: None,
        port: None,
    });
    s.create_far(Far::forward(2, dl)).unwrap();
    s.create_qer(Qer {
        qfi: Some(9),
        ..Qer::open(1)
    })
    .unwrap();
    s.create_qer(Qer {
        qfi: Some(5),
        ..Qer::open(2)
    })
    .unwrap();
    s.create_urr(Urr::volume(1)).unwrap();
    let ul = |id, prec, sdf: &str| {
        let mut pdi = Pdi::new(Interface::Access);
        pdi.local_fteid = Some(FTeid {
            teid: 0x100 + i,
            ipv4: Some(N3),
            ipv6: None,
        });
        pdi.ue_ip = Some(UeIpAddress {
            ipv4: Some(ue(i)),
            ipv6: None,
            ipv6_prefix_len: 64,
            is_destination: false,
        });
        pdi.sdf_filters = vec![SdfFilter::flow(sdf).unwrap()];
        Pdr {
            id,
            precedence: prec,
            pdi,
            outer_header_removal: Some(OuterHeaderRemoval::GtpuUdpIpv4),
            far_id: Some(1),
            qer_ids: vec![],
            urr_ids: vec![1],
        }
    };
    s.create_pdr(ul(1, 255, "permit out ip from any to assigned"))
        .unwrap();
    let dlp = |id, prec, sdf: &str, qer| {
        let mut pdi = Pdi::new(Interface::Core);
        pdi.ue_ip = Some(UeIpAddress {
            ipv4: Some(ue(i)),
            ipv6: None,
            ipv6_prefix_len: 64,
            is_destination: true,
        });
        pdi.sdf_filters = vec![SdfFilter::flow(sdf).unwrap()];
        Pdr {
            id,
            precedence: prec,
            pdi,
            outer_header_removal: None,
            far_id: Some(2),
            qer_ids: vec![qer],
            urr_ids: vec![1],
        }
    };
    s.create_pdr(dlp(2, 255, "permit out ip from any to assigned", 1))
        .unwrap();
    s.create_pdr(dlp(3, 100, "permit out 17 from any 5000 to assigned", 2))
        .unwrap();
    s
}

fn read_pcap(path: &std::path::Path) -> std::io::Result<Vec<Vec<u8>>> {
    let mut data = Vec::new();
    std::fs::File::open(path)?.read_to_end(&mut data)?;
    let mut frames = Vec::new();
    if data.len() < 24 {
        return Ok(frames);
    }
    let le = data[0..4] == [0xd4, 0xc3, 0xb2, 0xa1] || data[0..4] == [0x4d, 0x3c, 0xb2, 0xa1];
    let rd = |b: &[u8]| {
        let a = [b[0], b[1], b[2], b[3]];
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let mut off = 24;
    while off + 16 <= data.len() {
        let incl = rd(&data[off + 8..off + 12]) as usize;
        off += 16;
        let Some(f) = data.get(off..off + incl) else {
            break;
        };
        frames.push(f.to_vec());
        off += incl;
    }
    Ok(frames)
}

fn write_pcap(path: &std::path::Path, frames: &[Vec<u8>]) -> std::io::Result<()> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&(i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    std::fs::File::create(path)?.write_all(&out)
}

fn with_ethernet(l3: &[u8], dst: [u8; 6], src: [u8; 6]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + l3.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(if l3.first().is_some_and(|b| b >> 4 == 6) {
        &[0x86, 0xdd]
    } else {
        &[0x08, 0x00]
    });
    f.extend_from_slice(l3);
    f
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().ok_or("usage: pcap_path DIR [SESSIONS]")?);
    let sessions: u32 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(4);
    let cfg = PathConfig {
        access_v4: Some(N3),
        core_v4: Some(N6),
        ..PathConfig::default()
    };
    let mut tables = Tables::with_capacity(sessions as usize);
    let mut installed: Vec<Arc<SessionRules>> = Vec::new();
    for i in 0..sessions {
        let r = Arc::new(compile(&session(i), None)?);
        tables.apply(Update::Install(r.clone()));
        installed.push(r);
    }
    let mut st = PathState::new(&cfg);
    let (mut n3_out, mut n6_out) = (Vec::new(), Vec::new());
    let mut verdicts: BTreeMap<String, u64> = BTreeMap::new();
    let upf_mac = [2, 0, 0, 0, 0, 1];
    for (file, ingress) in [("ul.pcap", Interface::Access), ("dl.pcap", Interface::Core)] {
        let frames = read_pcap(&dir.join(file))?;
        for (k, frame) in frames.iter().enumerate() {
            let mut buf = VecBuf::new(frame);
            let now_ns = k as u64 * 1_000_000;
            let v = process(&cfg, &tables, &mut st, ingress, &mut buf, now_ns);
            let label = match v {
                Verdict::Forward {
                    egress: Interface::Access,
                    ..
                } => {
                    n3_out.push(with_ethernet(buf.data(), [2, 0, 0, 0, 0, 0xa], upf_mac));
                    "forward to N3".to_string()
                }
                Verdict::Forward { .. } => {
                    n6_out.push(with_ethernet(buf.data(), [2, 0, 0, 0, 0, 0xb], upf_mac));
                    "forward to N6".to_string()
                }
                Verdict::Reply { peer_mac } => {
                    let out = if ingress == Interface::Access {
                        &mut n3_out
                    } else {
                        &mut n6_out
                    };
                    out.push(with_ethernet(buf.data(), peer_mac.0, upf_mac));
                    "reply".to_string()
                }
                Verdict::Control(e) => format!("to control ({e:?})"),
                Verdict::Drop(r) => format!("drop ({})", r.name()),
            };
            *verdicts.entry(label).or_default() += 1;
        }
    }
    write_pcap(&dir.join("n3_out.pcap"), &n3_out)?;
    write_pcap(&dir.join("n6_out.pcap"), &n6_out)?;

    println!(
        "packet path over {} with {sessions} sessions",
        dir.display()
    );
    for (label, n) in &verdicts {
        println!("  {label:<40} {n:>8}");
    }
    println!("stage counters:");
    for s in Stat::ALL {
        let n = st.counters.stats(*s);
        if n > 0 {
            println!("  {:<40} {n:>8}", s.name());
        }
    }
    println!("drops by reason:");
    for d in DropReason::ALL {
        let n = st.counters.drops(*d);
        if n > 0 {
            println!("  {:<40} {n:>8}   {}", d.name(), d.help());
        }
    }
    println!("usage (URR 1 of each session):");
    for r in &installed {
        let u = r.urr_counters(1).map(|c| c.snapshot()).unwrap_or_default();
        println!(
            "  SEID {:>4}: uplink {:>6} B / {:>3} pkts, downlink {:>6} B / {:>3} pkts",
            r.seid, u.ul_bytes, u.ul_packets, u.dl_bytes, u.dl_packets
        );
    }
    println!(
        "wrote {} and {}",
        dir.join("n3_out.pcap").display(),
        dir.join("n6_out.pcap").display()
    );
    Ok(())
}
