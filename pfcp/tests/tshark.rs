//! Messages encoded by this crate, dissected by Wireshark's tshark: no
//! malformed packets or expert errors, and the key fields read back.
//!
//! Needs `tshark` on PATH. Without it the test is skipped with a message,
//! except under CI (the `CI` environment variable set), where it fails.

mod common;

use std::io::Write;
use std::process::Command;

/// A minimal pcap (libpcap 2.4, Ethernet) writer: each payload goes out as
/// Ethernet/IPv4/UDP 8805 → 8805 with a valid IPv4 header checksum and a
/// zero (absent) UDP checksum.
fn write_pcap(path: &std::path::Path, payloads: &[Vec<u8>]) {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
    for (i, p) in payloads.iter().enumerate() {
        let mut frame = Vec::new();
        frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]);
        let total = 20 + 8 + p.len();
        let mut ip = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            i as u8,
            0x40,
            0,
            64,
            17,
            0,
            0,
            10,
            10,
            0,
            4,
            10,
            10,
            0,
            7,
        ];
        let mut sum: u32 = ip
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        let csum = !(sum as u16);
        ip[10..12].copy_from_slice(&csum.to_be_bytes());
        frame.extend_from_slice(&ip);
        let ulen = (8 + p.len()) as u16;
        frame.extend_from_slice(&8805u16.to_be_bytes());
        frame.extend_from_slice(&8805u16.to_be_bytes());
        frame.extend_from_slice(&ulen.to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(p);
        out.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    std::fs::File::create(path)
        .unwrap()
        .write_all(&out)
        .unwrap();
}

fn tshark_available() -> bool {
    match Command::new("tshark").arg("--version").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!("tshark is required under CI (install the tshark package)");
            }
            eprintln!("SKIPPED: tshark not found on PATH; install tshark to run this test");
            false
        }
    }
}

fn tshark(pcap: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(pcap)
        .args(["-d", "udp.port==8805,pfcp"])
        .args(args)
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn tshark_dissects_our_messages() {
    if !tshark_available() {
        return;
    }
    let samples = common::samples();
    let payloads: Vec<Vec<u8>> = samples.iter().map(common::Sample::bytes).collect();
    let dir = std::env::temp_dir().join(format!("pfcp-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("pfcp.pcap");
    write_pcap(&pcap, &payloads);

    // Full dissection: nothing malformed, no expert errors or warnings.
    let verbose = tshark(&pcap, &["-V"]);
    for (i, frame) in verbose.split("\nFrame ").enumerate() {
        let name = samples.get(i).map_or("?", |s| s.name);
        for bad in ["Malformed", "Expert Info (Error", "Expert Info (Warning"] {
            assert!(
                !frame.contains(bad),
                "frame {} ({name}) has {bad:?}:\n{frame}",
                i + 1
            );
        }
    }

    // Per-frame header fields and Cause.
    let fields = tshark(
        &pcap,
        &[
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=,",
            "-e",
            "pfcp.msg_type",
            "-e",
            "pfcp.seqno",
            "-e",
            "pfcp.seid",
            "-e",
            "pfcp.cause",
            "-e",
            "pfcp.pdr_id",
            "-e",
            "pfcp.flow_desc",
            "-e",
            "pfcp.network_instance",
            "-e",
            "pfcp.f_teid.choose_id",
            "-e",
            "pfcp.f_teid.teid",
            "-e",
            "pfcp.ur_seqn",
            "-e",
            "pfcp.volume_measurement.tovol",
            "-e",
            "pfcp.duration_measurement",
        ],
    );
    let rows: Vec<Vec<&str>> = fields.lines().map(|l| l.split('|').collect()).collect();
    assert_eq!(rows.len(), samples.len(), "{fields}");
    for (s, row) in samples.iter().zip(&rows) {
        assert_eq!(
            row[0],
            s.message.message_type().to_string(),
            "{}: message type",
            s.name
        );
        assert_eq!(row[1], s.sequence.to_string(), "{}: sequence", s.name);
        if s.message.has_seid() {
            let seid = s.seid.unwrap_or(0);
            // The first pfcp.seid is the header's (F-SEIDs follow).
            let header_seid = row[2].split(',').next().unwrap();
            assert_eq!(header_seid, format!("0x{seid:016x}"), "{}: SEID", s.name);
        }
        let cause = match &s.message {
            pfcp::Message::HeartbeatRequest(_)
            | pfcp::Message::HeartbeatResponse(_)
            | pfcp::Message::PfdManagementRequest(_)
            | pfcp::Message::AssociationSetupRequest(_)
            | pfcp::Message::AssociationUpdateRequest(_)
            | pfcp::Message::AssociationReleaseRequest(_)
            | pfcp::Message::VersionNotSupportedResponse(_)
            | pfcp::Message::NodeReportRequest(_)
            | pfcp::Message::SessionSetDeletionRequest(_)
            | pfcp::Message::SessionEstablishmentRequest(_)
            | pfcp::Message::SessionModificationRequest(_)
            | pfcp::Message::SessionDeletionRequest(_)
            | pfcp::Message::SessionReportRequest(_) => "",
            pfcp::Message::SessionEstablishmentResponse(m) if m.cause.0 != 1 => "66",
            _ => "1",
        };
        assert_eq!(row[3], cause, "{}: cause", s.name);
    }

    let row = |name: &str| {
        let i = samples.iter().position(|s| s.name == name).unwrap();
        rows[i].clone()
    };
    let est = row("session_establishment_request");
    assert_eq!(est[4], "1,2,3,4");
    assert_eq!(est[5], "permit out 58 from ff02::2/128 to assigned");
    assert!(est[6].split(',').all(|n| n == "internet"), "{}", est[6]);
    assert_eq!(est[7], "05,05"); // CHOOSE ID, shown in hex
    let rsp = row("session_establishment_response");
    assert_eq!(rsp[4], "2,3");
    assert_eq!(rsp[8], "0x00001234,0x00001234");
    for (name, seqn) in [
        ("session_modification_response", "3"),
        ("session_deletion_response", "4"),
        ("session_report_request_usar", "5"),
    ] {
        let r = row(name);
        assert_eq!(r[9], seqn, "{name}: UR-SEQN");
        assert_eq!(r[10], "123456", "{name}: total volume");
        assert_eq!(r[11], "200", "{name}: duration");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
