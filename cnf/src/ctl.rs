//! `upf ctl`: a gRPC client of the management API that prints tables.

use std::fmt::Write as _;

use tonic::transport::Channel;

use crate::grpc::proto::{self, management_client::ManagementClient};

/// Why a `ctl` command failed.
#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    /// The address is not a valid URI.
    #[error("invalid address {addr:?}: {message}")]
    Address {
        /// What was given.
        addr: String,
        /// Why.
        message: String,
    },
    /// Cannot connect.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The address.
        addr: String,
        /// The error.
        source: tonic::transport::Error,
    },
    /// The call failed.
    #[error("{0}")]
    Call(#[from] tonic::Status),
}

/// What to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// All sessions.
    Sessions,
    /// One session by SEID.
    Session(u64),
    /// Associations.
    Associations,
    /// Statistics.
    Stats,
    /// Offload state.
    Offload,
}

/// Connects to `addr` (`http://127.0.0.1:50051`).
pub async fn connect(addr: &str) -> Result<ManagementClient<Channel>, CtlError> {
    let ep = Channel::from_shared(addr.to_owned()).map_err(|e| CtlError::Address {
        addr: addr.to_owned(),
        message: e.to_string(),
    })?;
    let ch = ep
        .connect_timeout(std::time::Duration::from_secs(5))
        .connect()
        .await
        .map_err(|source| CtlError::Connect {
            addr: addr.to_owned(),
            source,
        })?;
    Ok(ManagementClient::new(ch))
}

/// Runs `query` against the server at `addr` and returns the printed text.
pub async fn run(addr: &str, query: &Query) -> Result<String, CtlError> {
    let mut c = connect(addr).await?;
    Ok(match query {
        Query::Sessions => {
            let r = c
                .list_sessions(proto::ListSessionsRequest {})
                .await?
                .into_inner();
            sessions_table(&r.sessions)
        }
        Query::Session(seid) => {
            let r = c
                .get_session(proto::GetSessionRequest { seid: *seid })
                .await?
                .into_inner();
            session_text(&r)
        }
        Query::Associations => {
            let r = c
                .list_associations(proto::ListAssociationsRequest {})
                .await?
                .into_inner();
            associations_table(&r.associations)
        }
        Query::Stats => stats_text(
            &c.get_statistics(proto::GetStatisticsRequest {})
                .await?
                .into_inner(),
        ),
        Query::Offload => offload_text(
            &c.get_offload_state(proto::GetOffloadStateRequest {})
                .await?
                .into_inner(),
        ),
    })
}

/// Parses a SEID written in decimal or `0x` hexadecimal.
pub fn parse_seid(s: &str) -> Result<u64, String> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|_| format!("{s:?} is not a SEID (decimal or 0x-hex)"))
}

/// Left-aligned columns separated by two spaces, with a header line.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut w: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < w.len() {
                w[i] = w[i].max(c.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, c) in cells.enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            let _ = write!(l, "{c:<width$}", width = w[i]);
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut out, &mut header.iter().copied());
    for r in rows {
        line(&mut out, &mut r.iter().map(String::as_str));
    }
    out
}

fn time_ms(ms: u64) -> String {
    if ms == 0 {
        "-".into()
    } else {
        format!("{}.{:03}", ms / 1000, ms % 1000)
    }
}

fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_owned()
    }
}

fn ids(v: &[u32]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The sessions table.
pub fn sessions_table(s: &[proto::SessionSummary]) -> String {
    let rows: Vec<Vec<String>> = s
        .iter()
        .map(|s| {
            vec![
                format!("{:#x}", s.seid),
                format!("{:#x}", s.cp_seid),
                or_dash(&s.peer_node_id),
                or_dash(&s.ue_addresses.join(",")),
                format!("{}/{}/{}/{}", s.pdrs, s.fars, s.qers, s.urrs),
                s.ul_bytes.to_string(),
                s.dl_bytes.to_string(),
            ]
        })
        .collect();
    let mut t = table(
        &[
            "SEID",
            "CP-SEID",
            "PEER",
            "UE",
            "PDR/FAR/QER/URR",
            "UL-BYTES",
            "DL-BYTES",
        ],
        &rows,
    );
    let _ = writeln!(t, "{} sessions", s.len());
    t
}

/// One session in full.
pub fn session_text(r: &proto::GetSessionResponse) -> String {
    let mut out = String::new();
    if let Some(s) = &r.summary {
        let _ = writeln!(
            out,
            "session {:#x} (cp {:#x}) peer {} ue {}",
            s.seid,
            s.cp_seid,
            or_dash(&s.peer_node_id),
            or_dash(&s.ue_addresses.join(","))
        );
    }
    out.push_str("\nPDRs\n");
    out.push_str(&table(
        &[
            "ID", "PREC", "SRC", "F-TEID", "UE-IP", "QFI", "SDF", "OHR", "FAR", "QER", "URR",
        ],
        &r.pdrs
            .iter()
            .map(|p| {
                vec![
                    p.id.to_string(),
                    p.precedence.to_string(),
                    p.source_interface.clone(),
                    or_dash(&p.local_fteid),
                    or_dash(&p.ue_ip),
                    if p.qfi == 0 {
                        "-".into()
                    } else {
                        p.qfi.to_string()
                    },
                    or_dash(&p.sdf_filters.join("; ")),
                    or_dash(&p.outer_header_removal),
                    if p.has_far {
                        p.far_id.to_string()
                    } else {
                        "-".into()
                    },
                    ids(&p.qer_ids),
                    ids(&p.urr_ids),
                ]
            })
            .collect::<Vec<_>>(),
    ));
    out.push_str("\nFARs\n");
    out.push_str(&table(
        &["ID", "ACTIONS", "DEST", "OUTER-HEADER", "NI", "BAR"],
        &r.fars
            .iter()
            .map(|f| {
                vec![
                    f.id.to_string(),
                    f.actions.join("|"),
                    or_dash(&f.destination_interface),
                    or_dash(&f.outer_header_creation),
                    or_dash(&f.network_instance),
                    if f.has_bar {
                        f.bar_id.to_string()
                    } else {
                        "-".into()
                    },
                ]
            })
            .collect::<Vec<_>>(),
    ));
    out.push_str("\nQERs\n");
    out.push_str(&table(
        &[
            "ID", "GATE-UL", "GATE-DL", "MBR-UL", "MBR-DL", "GBR-UL", "GBR-DL", "QFI",
        ],
        &r.qers
            .iter()
            .map(|q| {
                let gate = |o: bool| if o { "open" } else { "closed" }.to_owned();
                let kbps = |k: u64| if k == 0 { "-".into() } else { format!("{k}k") };
                vec![
                    q.id.to_string(),
                    gate(q.gate_ul_open),
                    gate(q.gate_dl_open),
                    kbps(q.mbr_ul_kbps),
                    kbps(q.mbr_dl_kbps),
                    kbps(q.gbr_ul_kbps),
                    kbps(q.gbr_dl_kbps),
                    if q.qfi == 0 {
                        "-".into()
                    } else {
                        q.qfi.to_string()
                    },
                ]
            })
            .collect::<Vec<_>>(),
    ));
    out.push_str("\nURRs\n");
    out.push_str(&table(
        &[
            "ID", "METHODS", "UL-BYTES", "DL-BYTES", "UL-PKTS", "DL-PKTS", "FIRST", "LAST",
        ],
        &r.urrs
            .iter()
            .map(|u| {
                vec![
                    u.id.to_string(),
                    u.methods.join(","),
                    u.ul_bytes.to_string(),
                    u.dl_bytes.to_string(),
                    u.ul_packets.to_string(),
                    u.dl_packets.to_string(),
                    time_ms(u.first_packet_ms),
                    time_ms(u.last_packet_ms),
                ]
            })
            .collect::<Vec<_>>(),
    ));
    out
}

/// The associations table.
pub fn associations_table(a: &[proto::Association]) -> String {
    let rows: Vec<Vec<String>> = a
        .iter()
        .map(|a| {
            vec![
                a.peer_node_id.clone(),
                a.address.clone(),
                a.state.clone(),
                a.recovery_timestamp_s.to_string(),
                time_ms(a.last_heartbeat_ms),
                if a.upf_initiated { "upf" } else { "smf" }.into(),
                a.sessions.to_string(),
            ]
        })
        .collect();
    let mut t = table(
        &[
            "PEER",
            "ADDRESS",
            "STATE",
            "RECOVERY-TS",
            "LAST-HEARTBEAT",
            "SETUP-BY",
            "SESSIONS",
        ],
        &rows,
    );
    let _ = writeln!(t, "{} associations", a.len());
    t
}

/// Statistics: ports, workers, non-zero drops and stages.
pub fn stats_text(s: &proto::GetStatisticsResponse) -> String {
    let mut out = format!(
        "uptime {}s, {} sessions\n\nPORTS\n",
        s.uptime_ms / 1000,
        s.sessions
    );
    out.push_str(&table(
        &[
            "PORT",
            "ROLES",
            "LINK",
            "RX-PKTS",
            "RX-BYTES",
            "RX-ERR",
            "RX-MISSED",
            "TX-PKTS",
            "TX-BYTES",
            "TX-ERR",
        ],
        &s.ports
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.roles.join(","),
                    if p.link_up { "up" } else { "down" }.into(),
                    p.rx_packets.to_string(),
                    p.rx_bytes.to_string(),
                    p.rx_errors.to_string(),
                    p.rx_missed.to_string(),
                    p.tx_packets.to_string(),
                    p.tx_bytes.to_string(),
                    p.tx_errors.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    ));
    out.push_str("\nWORKERS\n");
    out.push_str(&table(
        &["WORKER", "CORE", "PACKETS", "BUSY"],
        &s.workers
            .iter()
            .map(|w| {
                vec![
                    w.worker.to_string(),
                    w.core.to_string(),
                    w.packets.to_string(),
                    format!("{:.1}%", w.busy_ratio * 100.0),
                ]
            })
            .collect::<Vec<_>>(),
    ));
    for (title, list) in [("DROPS", &s.drops), ("STAGES", &s.stages)] {
        let nz: Vec<Vec<String>> = list
            .iter()
            .filter(|c| c.value != 0)
            .map(|c| vec![c.name.clone(), c.value.to_string(), c.help.clone()])
            .collect();
        let _ = write!(out, "\n{title} ({} non-zero of {})\n", nz.len(), list.len());
        if !nz.is_empty() {
            out.push_str(&table(&["NAME", "COUNT", "MEANING"], &nz));
        }
    }
    out
}

/// Offload state.
pub fn offload_text(o: &proto::GetOffloadStateResponse) -> String {
    let mut out = format!(
        "mode {}, {}, rules installed {}, failed {}{}\n\n",
        o.mode,
        if o.active { "active" } else { "inactive" },
        o.rules_installed,
        o.rules_failed,
        if o.last_error.is_empty() {
            String::new()
        } else {
            format!(", last error: {}", o.last_error)
        }
    );
    let yn = |b: bool| if b { "yes" } else { "no" }.to_owned();
    out.push_str(&table(
        &[
            "PORT",
            "RTE_FLOW",
            "GTP",
            "GTP-PSC",
            "DECAP",
            "MARK",
            "RSS-INNER",
        ],
        &o.ports
            .iter()
            .map(|p| {
                vec![
                    p.port.clone(),
                    yn(p.rte_flow),
                    yn(p.gtp_match),
                    yn(p.gtp_psc_match),
                    yn(p.decap),
                    yn(p.mark),
                    yn(p.rss_inner),
                ]
            })
            .collect::<Vec<_>>(),
    ));
    out
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn tables_align() {
        let t = table(
            &["A", "LONGER"],
            &[
                vec!["xyz".into(), "1".into()],
                vec!["q".into(), "22".into()],
            ],
        );
        assert_eq!(t, "A    LONGER\nxyz  1\nq    22\n");
        assert_eq!(parse_seid("0x10").unwrap(), 16);
        assert_eq!(parse_seid("10").unwrap(), 10);
        assert!(parse_seid("zz").is_err());
    }
}
