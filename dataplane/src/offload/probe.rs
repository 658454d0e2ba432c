//! What a port can offload: `rte_flow_validate` on representative rules.
//!
//! Each capability is one validation of a rule that needs it and as little
//! else as possible (MARK and QUEUE are validated on a plain `ETH / IPV4`
//! rule, so a port without GTP support still reports them). Refusals are
//! kept with the driver's message for the log and the management API.
#![forbid(unsafe_code)]

use core::net::{Ipv4Addr, Ipv6Addr};

use super::backend::FlowBackend;
use super::spec::{uplink_pattern, Action, FlowSpec, Item};

/// What `rte_flow_validate` accepted on a port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortOffloadCaps {
    /// `ETH / IPV4|IPV6 / UDP / GTP (teid)` (either IP version).
    pub gtp_teid_match: bool,
    /// The same with `/ GTP_PSC (qfi)`.
    pub gtp_psc_qfi_match: bool,
    /// `MARK`.
    pub mark: bool,
    /// `QUEUE`.
    pub queue: bool,
    /// `RSS` with `RTE_ETH_RSS_GTPU` on a GTP-U pattern.
    pub rss_gtpu: bool,
    /// `RSS` at level 2 (inner addresses) on a GTP-U pattern.
    pub rss_inner: bool,
    /// `RAW_DECAP` of the outer IPv4/UDP/GTP-U headers.
    pub raw_decap: bool,
    /// What was refused: (capability, the driver's message).
    pub errors: Vec<(String, String)>,
}

impl PortOffloadCaps {
    /// What `Required` mode needs on a port carrying GTP-U (N3/N9), that
    /// this port lacks.
    pub fn missing_for_gtp(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if !self.gtp_teid_match {
            m.push("GTP TEID match");
        }
        if !self.mark {
            m.push("MARK");
        }
        m
    }

    /// What `Required` mode needs on a port carrying N6, that this port
    /// lacks.
    pub fn missing_for_ip(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if !self.mark {
            m.push("MARK");
        }
        if !self.queue {
            m.push("QUEUE");
        }
        m
    }

    /// One line for logs: `gtp_teid=yes psc_qfi=no ...`.
    pub fn summary(&self) -> String {
        let yn = |b: bool| if b { "yes" } else { "no" };
        format!(
            "gtp_teid={} psc_qfi={} mark={} queue={} rss_gtpu={} rss_inner={} raw_decap={}",
            yn(self.gtp_teid_match),
            yn(self.gtp_psc_qfi_match),
            yn(self.mark),
            yn(self.queue),
            yn(self.rss_gtpu),
            yn(self.rss_inner),
            yn(self.raw_decap)
        )
    }
}

const PROBE_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const PROBE_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const PROBE_TEID: u32 = 1;
const PROBE_MARK: u32 = 1;

/// The outer headers of an IPv4 G-PDU (Ethernet, IPv4, UDP, GTP-U), as
/// `RAW_DECAP` takes them.
fn outer_v4_headers() -> Vec<u8> {
    let mut h = vec![0u8; 14 + 20 + 8 + 8];
    h[12..14].copy_from_slice(&[0x08, 0x00]);
    h[14] = 0x45;
    h[23] = 17;
    h[36..38].copy_from_slice(&super::spec::GTPU_PORT.to_be_bytes());
    h[42] = 0x30;
    h[43] = 0xff;
    h[46..50].copy_from_slice(&PROBE_TEID.to_be_bytes());
    h
}

/// The rules [`probe_port`] validates, with the capability each shows.
/// `rx_queues` is the port's number of RX queues (RSS spreads over all).
pub fn probe_specs(port: u16, rx_queues: u16) -> Vec<(&'static str, FlowSpec)> {
    let queues: Vec<u16> = (0..rx_queues.max(1)).collect();
    let gtp4 = uplink_pattern(None, PROBE_V4.into(), PROBE_TEID, None);
    let gtp6 = uplink_pattern(None, PROBE_V6.into(), PROBE_TEID, None);
    let psc4 = uplink_pattern(None, PROBE_V4.into(), PROBE_TEID, Some(9));
    let plain = vec![
        Item::Eth,
        Item::Ipv4 {
            dst: Some((PROBE_V4, 32)),
        },
    ];
    let mark_queue = vec![Action::Mark(PROBE_MARK), Action::Queue(0)];
    let spec = |pattern: &Vec<Item>, actions: Vec<Action>| FlowSpec {
        port,
        pattern: pattern.clone(),
        actions,
    };
    vec![
        (
            "mark",
            spec(&plain, vec![Action::Mark(PROBE_MARK), Action::Queue(0)]),
        ),
        ("queue", spec(&plain, vec![Action::Queue(0)])),
        ("gtp_teid_v4", spec(&gtp4, mark_queue.clone())),
        ("gtp_teid_v6", spec(&gtp6, mark_queue.clone())),
        ("gtp_psc_qfi", spec(&psc4, mark_queue)),
        (
            "rss_gtpu",
            spec(
                &gtp4,
                vec![Action::Rss {
                    level: 0,
                    types: dpdk_sys::consts::RTE_ETH_RSS_GTPU,
                    queues: queues.clone(),
                }],
            ),
        ),
        (
            "rss_inner",
            spec(
                &gtp4,
                vec![Action::Rss {
                    level: 2,
                    types: dpdk_sys::consts::RTE_ETH_RSS_IP,
                    queues,
                }],
            ),
        ),
        (
            "raw_decap",
            spec(
                &gtp4,
                vec![Action::RawDecap(outer_v4_headers()), Action::Queue(0)],
            ),
        ),
    ]
}

/// Validates [`probe_specs`] on `port` and collects what passed.
pub fn probe_port<B: FlowBackend + ?Sized>(
    backend: &mut B,
    port: u16,
    rx_queues: u16,
) -> PortOffloadCaps {
    let mut caps = PortOffloadCaps::default();
    for (what, spec) in probe_specs(port, rx_queues) {
        let ok = match backend.validate(&spec) {
            Ok(()) => true,
            Err(r) => {
                caps.errors.push((what.to_owned(), r.to_string()));
                false
            }
        };
        match what {
            "mark" => caps.mark = ok,
            "queue" => caps.queue = ok,
            "gtp_teid_v4" | "gtp_teid_v6" => caps.gtp_teid_match |= ok,
            "gtp_psc_qfi" => caps.gtp_psc_qfi_match = ok,
            "rss_gtpu" => caps.rss_gtpu = ok,
            "rss_inner" => caps.rss_inner = ok,
            "raw_decap" => caps.raw_decap = ok,
            _ => unreachable!("probe names are fixed above"),
        }
    }
    caps
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::offload::backend::{FakeBackend, FakeConfig};
    use crate::offload::spec::ItemKind;

    #[test]
    fn fake_without_gtp_reports_what_is_missing() {
        let mut b = FakeBackend::with(FakeConfig {
            refuse_items: vec![ItemKind::Gtp],
            ..FakeConfig::default()
        });
        let caps = probe_port(&mut b, 3, 2);
        assert!(caps.mark && caps.queue);
        assert!(!caps.gtp_teid_match && !caps.gtp_psc_qfi_match);
        assert!(!caps.rss_gtpu && !caps.rss_inner && !caps.raw_decap);
        assert_eq!(caps.missing_for_gtp(), vec!["GTP TEID match"]);
        assert!(caps.missing_for_ip().is_empty());
        assert_eq!(caps.errors.len(), 6, "{:?}", caps.errors);
        assert!(caps.errors[0].1.contains("Gtp"), "{:?}", caps.errors);
        let all = probe_port(&mut FakeBackend::accept_all(), 3, 2);
        assert!(all.gtp_teid_match && all.gtp_psc_qfi_match && all.rss_gtpu && all.raw_decap);
        assert!(all.errors.is_empty());
    }
}
