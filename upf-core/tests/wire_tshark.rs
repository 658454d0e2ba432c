//! Cross-checks with Wireshark's dissectors:
//!
//! * the scapy-built `tests/vectors/wire.pcap` decodes without malformed or
//!   warning-level expert items, and tshark reads the same GTP-U fields our
//!   views read;
//! * frames built by **our** encoder, written to a temporary pcap, decode
//!   without malformed or warning-level expert items (checksums verified)
//!   and with the expected fields.
//!
//! Without tshark the tests print a notice and pass, unless `CI` is set, in
//! which case they fail.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Command;

use upf_core::wire::{
    emit_echo_response, emit_end_marker, emit_error_indication, ArpOperation, ArpPacket, ArpRepr,
    DlPduSessionInfo, ErrorIndicationRepr, EtherType, EthernetAddress, EthernetFrame, EthernetRepr,
    GtpuPacket, GtpuRepr, Icmpv4Packet, Icmpv4Repr, Icmpv6Packet, Icmpv6Repr, IpProtocol,
    Ipv4Packet, Ipv4Repr, Ipv6Packet, Ipv6Repr, PduSessionInfo, UdpPacket, UdpRepr,
    UlPduSessionInfo, VlanTag,
};

const FIELDS: &[&str] = &[
    "frame.number",
    "gtp.message",
    "gtp.teid",
    "gtp.seq_number",
    "gtp.ext_hdr.pdu_ses_con.pdu_type",
    "gtp.ext_hdr.pdu_ses_con.qos_flow_id",
    "gtp.ext_hdr.pdu_ses_cont.rqi",
    "gtp.ext_hdr.pdu_ses_cont.ppi",
    "gtp.ext_hdr.udp_port",
    "gtp.recovery",
    "gtp.teid_data",
    "gtp.gsn_ipv4",
    "gtp.gsn_ipv6",
    "vlan.id",
    "arp.opcode",
    "icmp.type",
    "icmpv6.type",
    "icmpv6.nd.na.target_address",
    "icmpv6.opt.linkaddr",
    "udp.checksum.status",
    "ip.checksum.status",
    "icmp.checksum.status",
    "icmpv6.checksum.status",
];

fn tshark_available() -> bool {
    let found = Command::new("tshark")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!("tshark is required in CI (CI is set) but was not found");
        }
        eprintln!(
            "tshark not found: skipping the Wireshark cross-check (set CI to make this fatal)"
        );
    }
    found
}

fn checksum_prefs(cmd: &mut Command) -> &mut Command {
    cmd.args([
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "udp.check_checksum:TRUE",
    ])
}

/// Frames with a malformed or at least warning-level expert item.
fn bad_frames(pcap: &Path) -> String {
    let out = checksum_prefs(&mut Command::new("tshark"))
        .arg("-r")
        .arg(pcap)
        .args(["-Y", "_ws.malformed || _ws.expert.severity >= 6291456"])
        .args([
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "_ws.expert.message",
        ])
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One map of field name to value (occurrences joined by ',') per frame.
fn fields(pcap: &Path) -> Vec<HashMap<String, String>> {
    let mut cmd = Command::new("tshark");
    checksum_prefs(&mut cmd).arg("-r").arg(pcap);
    cmd.args([
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            FIELDS
                .iter()
                .zip(line.split('|'))
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn get<'a>(row: &'a HashMap<String, String>, field: &str) -> Option<&'a str> {
    row.get(field).map(String::as_str)
}

// --- a minimal pcap reader and writer (classic format, Ethernet) ---------

fn read_pcap(path: &Path) -> Vec<Vec<u8>> {
    let data = std::fs::read(path).unwrap();
    assert_eq!(
        &data[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian microsecond pcap"
    );
    let mut frames = Vec::new();
    let mut off = 24;
    while off + 16 <= data.len() {
        let incl = u32::from_le_bytes(data[off + 8..off + 12].try_into().unwrap()) as usize;
        frames.push(data[off + 16..off + 16 + incl].to_vec());
        off += 16 + incl;
    }
    frames
}

fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    std::fs::write(path, out).unwrap();
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("upf-wire-{}-{}.pcap", std::process::id(), name))
}

// --- the scapy vectors ---------------------------------------------------

#[test]
fn scapy_pcap_decodes_cleanly_and_agrees() {
    if !tshark_available() {
        return;
    }
    let pcap = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/wire.pcap");
    assert_eq!(
        bad_frames(&pcap),
        "",
        "tshark reports malformed frames or warnings"
    );
    let rows = fields(&pcap);
    let frames = read_pcap(&pcap);
    assert_eq!(rows.len(), frames.len());
    let mut gtp_seen = 0;
    for (row, frame) in rows.iter().zip(&frames) {
        let eth = EthernetFrame::new_checked(&frame[..]).unwrap();
        let Some(gtp) = gtpu_of(eth.payload(), eth.ethertype()) else {
            continue;
        };
        gtp_seen += 1;
        let p = GtpuPacket::new_checked(gtp).unwrap();
        let r = GtpuRepr::parse(&p).unwrap();
        assert_eq!(
            get(row, "gtp.teid"),
            Some(format!("0x{:08x}", r.teid).as_str())
        );
        assert_eq!(
            get(row, "gtp.message"),
            Some(format!("0x{:02x}", u8::from(r.msg_type)).as_str())
        );
        assert_eq!(
            get(row, "gtp.seq_number").map(String::from),
            r.seq_number.map(|s| format!("0x{s:04x}"))
        );
        let qfi = get(row, "gtp.ext_hdr.pdu_ses_con.qos_flow_id").map(String::from);
        assert_eq!(qfi, r.pdu_session.map(|s| s.qfi().to_string()));
        let pdu_type = get(row, "gtp.ext_hdr.pdu_ses_con.pdu_type").map(String::from);
        assert_eq!(pdu_type, r.pdu_session.map(|s| s.pdu_type().to_string()));
        if let Some(PduSessionInfo::Dl(dl)) = r.pdu_session {
            assert_eq!(
                get(row, "gtp.ext_hdr.pdu_ses_cont.rqi"),
                Some(if dl.rqi { "1" } else { "0" })
            );
            let ppi = get(row, "gtp.ext_hdr.pdu_ses_cont.ppi").map(String::from);
            assert_eq!(ppi, dl.ppi.map(|p| p.to_string()));
        }
        if let Ok(ei) = ErrorIndicationRepr::parse(p.payload()) {
            assert_eq!(
                get(row, "gtp.teid_data"),
                Some(format!("0x{:08x}", ei.teid).as_str())
            );
            let field = if ei.peer_addr.is_ipv4() {
                "gtp.gsn_ipv4"
            } else {
                "gtp.gsn_ipv6"
            };
            assert_eq!(get(row, field), Some(ei.peer_addr.to_string().as_str()));
        }
    }
    assert_eq!(gtp_seen, 14);
}

/// The GTP-U message inside an Ethernet payload, if it is IP/UDP to 2152.
fn gtpu_of(l3: &[u8], ethertype: EtherType) -> Option<&[u8]> {
    let udp = match ethertype {
        EtherType::Ipv4 => {
            let ip = Ipv4Packet::new_checked(l3).ok()?;
            (ip.next_header() == IpProtocol::Udp).then(|| ip.payload())?
        }
        EtherType::Ipv6 => {
            let ip = Ipv6Packet::new_checked(l3).ok()?;
            (ip.next_header() == IpProtocol::Udp).then(|| ip.payload())?
        }
        _ => return None,
    };
    let udp = UdpPacket::new_checked(udp).ok()?;
    (udp.dst_port() == 2152).then(|| udp.payload())
}

// --- our encoder ---------------------------------------------------------

const MAC_A: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 0xa]);
const MAC_B: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 0xb]);

fn eth_frame(ethertype: EtherType, vlan: Option<VlanTag>, payload: &[u8]) -> Vec<u8> {
    let e = EthernetRepr {
        src_addr: MAC_A,
        dst_addr: MAC_B,
        vlan,
        ethertype,
    };
    let mut out = vec![0u8; e.header_len() + payload.len()];
    out[e.header_len()..].copy_from_slice(payload);
    e.emit(&mut EthernetFrame::new_unchecked(&mut out[..]));
    out
}

fn udp_v4(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let u = UdpRepr {
        src_port: sport,
        dst_port: dport,
        payload_len: payload.len(),
    };
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Udp,
        payload_len: u.buffer_len(),
        hop_limit: 64,
        dscp: 10,
        ecn: 0,
        ident: 0x77,
        dont_frag: true,
    };
    let mut out = vec![0u8; ip.buffer_len()];
    out[28..].copy_from_slice(payload);
    let mut up = UdpPacket::new_unchecked(&mut out[20..]);
    u.emit(&mut up);
    up.fill_checksum_v4(src, dst);
    ip.emit(&mut Ipv4Packet::new_unchecked(&mut out[..]));
    out
}

fn udp_v6(src: Ipv6Addr, dst: Ipv6Addr, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let u = UdpRepr {
        src_port: sport,
        dst_port: dport,
        payload_len: payload.len(),
    };
    let ip = Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Udp,
        payload_len: u.buffer_len(),
        hop_limit: 64,
        traffic_class: 0xb8,
        flow_label: 0xbeef,
    };
    let mut out = vec![0u8; ip.buffer_len()];
    out[48..].copy_from_slice(payload);
    let mut up = UdpPacket::new_unchecked(&mut out[40..]);
    u.emit(&mut up);
    up.fill_checksum_v6(src, dst);
    ip.emit(&mut Ipv6Packet::new_unchecked(&mut out[..]));
    out
}

fn gtpu(r: &GtpuRepr, tpdu: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; r.header_len() + tpdu.len()];
    out[r.header_len()..].copy_from_slice(tpdu);
    r.emit(&mut GtpuPacket::new_unchecked(&mut out[..]));
    out
}

const GNB: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const UPF: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);

#[test]
fn our_encoder_decodes_cleanly() {
    if !tshark_available() {
        return;
    }
    let ue = Ipv4Addr::new(10, 60, 0, 1);
    let dn = Ipv4Addr::new(203, 0, 113, 5);
    let inner = udp_v4(ue, dn, 33333, 7000, b"user data");
    let gnb6: Ipv6Addr = "2001:db8:a::1".parse().unwrap();
    let upf6: Ipv6Addr = "2001:db8:a::2".parse().unwrap();

    let mut frames = Vec::new();
    let mut expect: Vec<Vec<(&str, String)>> = Vec::new();

    // 1: UL G-PDU with PSC QFI 9 and a sequence number, 802.1Q tagged.
    let ul = GtpuRepr {
        seq_number: Some(0x0102),
        pdu_session: Some(PduSessionInfo::Ul(UlPduSessionInfo {
            ul_qfi_seq_number: Some(5),
            ..UlPduSessionInfo::new(9)
        })),
        ..GtpuRepr::gpdu(0xaabb_ccdd, inner.len())
    };
    let vlan = Some(VlanTag {
        pcp: 3,
        dei: false,
        vid: 300,
    });
    frames.push(eth_frame(
        EtherType::Ipv4,
        vlan,
        &udp_v4(GNB, UPF, 2152, 2152, &gtpu(&ul, &inner)),
    ));
    expect.push(vec![
        ("gtp.teid", "0xaabbccdd".into()),
        ("gtp.seq_number", "0x0102".into()),
        ("gtp.ext_hdr.pdu_ses_con.pdu_type", "1".into()),
        ("gtp.ext_hdr.pdu_ses_con.qos_flow_id", "9".into()),
        ("vlan.id", "300".into()),
    ]);

    // 2: DL G-PDU with PSC QFI 5, RQI, PPI 6 over IPv6.
    let dl = GtpuRepr {
        pdu_session: Some(PduSessionInfo::Dl(DlPduSessionInfo {
            rqi: true,
            ppi: Some(6),
            ..DlPduSessionInfo::new(5)
        })),
        ..GtpuRepr::gpdu(0x0000_0042, inner.len())
    };
    frames.push(eth_frame(
        EtherType::Ipv6,
        None,
        &udp_v6(upf6, gnb6, 2152, 2152, &gtpu(&dl, &inner)),
    ));
    expect.push(vec![
        ("gtp.teid", "0x00000042".into()),
        ("gtp.ext_hdr.pdu_ses_con.pdu_type", "0".into()),
        ("gtp.ext_hdr.pdu_ses_con.qos_flow_id", "5".into()),
        ("gtp.ext_hdr.pdu_ses_cont.rqi", "1".into()),
        ("gtp.ext_hdr.pdu_ses_cont.ppi", "6".into()),
    ]);

    // 3: DL G-PDU with QoS monitoring time stamp and QFI sequence number.
    let dlq = GtpuRepr {
        pdu_session: Some(PduSessionInfo::Dl(DlPduSessionInfo {
            dl_sending_timestamp: Some(0xe000_0000_0000_0000),
            dl_qfi_seq_number: Some(77),
            ..DlPduSessionInfo::new(63)
        })),
        ..GtpuRepr::gpdu(7, inner.len())
    };
    frames.push(eth_frame(
        EtherType::Ipv4,
        None,
        &udp_v4(UPF, GNB, 2152, 2152, &gtpu(&dlq, &inner)),
    ));
    expect.push(vec![("gtp.ext_hdr.pdu_ses_con.qos_flow_id", "63".into())]);

    // 4: Echo Response.
    let mut buf = [0u8; 64];
    let n = emit_echo_response(0x99, &mut buf).unwrap();
    frames.push(eth_frame(
        EtherType::Ipv4,
        None,
        &udp_v4(UPF, GNB, 2152, 2152, &buf[..n]),
    ));
    expect.push(vec![
        ("gtp.message", "0x02".into()),
        ("gtp.seq_number", "0x0099".into()),
        ("gtp.recovery", "0".into()),
    ]);

    // 5: Error Indication with an IPv6 peer address and the UDP Port header.
    let body = ErrorIndicationRepr {
        teid: 0x1234_5678,
        peer_addr: IpAddr::V6(upf6),
    };
    let n = emit_error_indication(1, &body, Some(40000), &mut buf).unwrap();
    frames.push(eth_frame(
        EtherType::Ipv6,
        None,
        &udp_v6(upf6, gnb6, 2152, 2152, &buf[..n]),
    ));
    expect.push(vec![
        ("gtp.message", "0x1a".into()),
        ("gtp.teid_data", "0x12345678".into()),
        ("gtp.gsn_ipv6", upf6.to_string()),
        ("gtp.ext_hdr.udp_port", "40000".into()),
    ]);

    // 6: End Marker.
    let n = emit_end_marker(0x42, &mut buf).unwrap();
    frames.push(eth_frame(
        EtherType::Ipv4,
        None,
        &udp_v4(UPF, GNB, 2152, 2152, &buf[..n]),
    ));
    expect.push(vec![
        ("gtp.message", "0xfe".into()),
        ("gtp.teid", "0x00000042".into()),
    ]);

    // 7: ARP reply.
    let arp = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Reply,
        source_hardware_addr: MAC_A,
        source_protocol_addr: UPF,
        target_hardware_addr: MAC_B,
        target_protocol_addr: GNB,
    };
    let mut body = vec![0u8; arp.buffer_len()];
    arp.emit(&mut ArpPacket::new_unchecked(&mut body[..]));
    frames.push(eth_frame(EtherType::Arp, None, &body));
    expect.push(vec![("arp.opcode", "2".into())]);

    // 8: ICMPv4 echo reply.
    let echo = Icmpv4Repr::EchoReply {
        ident: 1,
        seq_no: 2,
        payload_len: 5,
    };
    let mut icmp = vec![0u8; echo.buffer_len()];
    icmp[8..].copy_from_slice(b"hello");
    echo.emit(&mut Icmpv4Packet::new_unchecked(&mut icmp[..]));
    let ip = Ipv4Repr {
        src_addr: UPF,
        dst_addr: GNB,
        next_header: IpProtocol::Icmp,
        payload_len: icmp.len(),
        hop_limit: 64,
        dscp: 0,
        ecn: 0,
        ident: 1,
        dont_frag: false,
    };
    let mut pkt = vec![0u8; ip.buffer_len()];
    pkt[20..].copy_from_slice(&icmp);
    ip.emit(&mut Ipv4Packet::new_unchecked(&mut pkt[..]));
    frames.push(eth_frame(EtherType::Ipv4, None, &pkt));
    expect.push(vec![
        ("icmp.type", "0".into()),
        ("icmp.checksum.status", "1".into()),
    ]);

    // 9: ICMPv6 Neighbor Advertisement.
    let na = Icmpv6Repr::NeighborAdvert {
        router: true,
        solicited: true,
        override_: false,
        target_addr: upf6,
        target_lladdr: Some(MAC_A),
    };
    let mut icmp = vec![0u8; na.buffer_len()];
    let mut p = Icmpv6Packet::new_unchecked(&mut icmp[..]);
    na.emit(&mut p);
    p.fill_checksum(&upf6, &gnb6);
    let ip = Ipv6Repr {
        src_addr: upf6,
        dst_addr: gnb6,
        next_header: IpProtocol::Icmpv6,
        payload_len: icmp.len(),
        hop_limit: 255,
        traffic_class: 0,
        flow_label: 0,
    };
    let mut pkt = vec![0u8; ip.buffer_len()];
    pkt[40..].copy_from_slice(&icmp);
    ip.emit(&mut Ipv6Packet::new_unchecked(&mut pkt[..]));
    frames.push(eth_frame(EtherType::Ipv6, None, &pkt));
    expect.push(vec![
        ("icmpv6.type", "136".into()),
        ("icmpv6.nd.na.target_address", upf6.to_string()),
        ("icmpv6.opt.linkaddr", MAC_A.to_string()),
        ("icmpv6.checksum.status", "1".into()),
    ]);

    let pcap = temp_path("ours");
    write_pcap(&pcap, &frames);
    let bad = bad_frames(&pcap);
    let rows = fields(&pcap);
    let _ = std::fs::remove_file(&pcap);
    assert_eq!(
        bad, "",
        "tshark reports malformed frames or warnings on our encoder's output"
    );
    assert_eq!(rows.len(), frames.len());
    for (i, (row, want)) in rows.iter().zip(&expect).enumerate() {
        for (field, value) in want {
            assert_eq!(
                get(row, field),
                Some(value.as_str()),
                "frame {} field {}",
                i + 1,
                field
            );
        }
        // Every UDP and IPv4 checksum tshark verified is good (status 1).
        for field in ["udp.checksum.status", "ip.checksum.status"] {
            if let Some(v) = get(row, field) {
                assert!(
                    v.split(',').all(|s| s == "1"),
                    "frame {} {field} = {v}",
                    i + 1
                );
            }
        }
    }
}
