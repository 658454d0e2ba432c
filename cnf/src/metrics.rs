//! Prometheus text exposition (format 0.0.4) of a [`UpfState`].
//!
//! Drop reasons and stage counters are generated from
//! `upf_core::counters::{DropReason, Stat}::ALL` with their `name()` and
//! `help()`, so the metric labels cannot diverge from the fast path's list.
//! Every reason is exported, including those still at zero, so a rate query
//! never sees a series appear out of nothing. A reason's one-line help is
//! exported as `upf_drop_reason_info{reason, help}`.

use std::fmt::Write as _;

use upf_core::counters::{DropReason, Stat};

use crate::state::{AssociationState, UpfState};

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Escapes a label value (`\` `"` and newline).
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes HELP text (`\` and newline).
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Writes families one after the other; each starts with HELP and TYPE.
struct Writer {
    out: String,
}

impl Writer {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Into<Value>) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape_label(v));
            }
            self.out.push('}');
        }
        let _ = match value.into() {
            Value::Int(v) => writeln!(self.out, " {v}"),
            Value::Float(v) if v.is_nan() => writeln!(self.out, " NaN"),
            Value::Float(v) if v.is_infinite() => {
                writeln!(self.out, " {}Inf", if v > 0.0 { "+" } else { "-" })
            }
            Value::Float(v) => writeln!(self.out, " {v}"),
        };
    }
}

enum Value {
    Int(u64),
    Float(f64),
}
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(u64::from(v))
    }
}

/// Renders every metric of `state`.
pub fn render(state: &dyn UpfState) -> String {
    let st = state.statistics();
    let ready = state.readiness();
    let assoc = state.associations();
    let off = state.offload();
    let mut w = Writer {
        out: String::with_capacity(16 * 1024),
    };

    w.family("upf_build_info", "gauge", "UPF build, value 1.");
    w.sample(
        "upf_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1u64,
    );
    w.family(
        "upf_uptime_seconds",
        "gauge",
        "Seconds since the process started.",
    );
    w.sample("upf_uptime_seconds", &[], st.uptime_ms as f64 / 1000.0);
    w.family(
        "upf_ready",
        "gauge",
        "1 when dataplane ports are up and PFCP is listening.",
    );
    w.sample("upf_ready", &[], ready.ready());

    w.family("upf_sessions", "gauge", "PFCP sessions installed.");
    w.sample("upf_sessions", &[], st.sessions);
    w.family("upf_associations", "gauge", "PFCP associations by state.");
    for s in AssociationState::ALL {
        let n = assoc.iter().filter(|a| a.state == s).count() as u64;
        w.sample("upf_associations", &[("state", s.name())], n);
    }

    w.family("upf_port_up", "gauge", "1 when the port's link is up.");
    for p in &st.ports {
        w.sample("upf_port_up", &[("port", &p.name)], p.link_up);
    }
    type PortField = fn(&crate::state::PortStats) -> u64;
    let port_counters: [(&str, &str, PortField); 7] = [
        ("upf_port_rx_packets_total", "Packets received.", |p| {
            p.rx_packets
        }),
        ("upf_port_rx_bytes_total", "Bytes received.", |p| p.rx_bytes),
        ("upf_port_rx_errors_total", "Receive errors.", |p| {
            p.rx_errors
        }),
        (
            "upf_port_rx_missed_total",
            "Packets the NIC dropped for lack of RX descriptors.",
            |p| p.rx_missed,
        ),
        ("upf_port_tx_packets_total", "Packets transmitted.", |p| {
            p.tx_packets
        }),
        ("upf_port_tx_bytes_total", "Bytes transmitted.", |p| {
            p.tx_bytes
        }),
        ("upf_port_tx_errors_total", "Transmit errors.", |p| {
            p.tx_errors
        }),
    ];
    for (name, help, get) in port_counters {
        w.family(name, "counter", help);
        for p in &st.ports {
            // "+" rather than ",": some lenient parsers split label values at commas.
            let roles = p.roles.join("+");
            w.sample(name, &[("port", &p.name), ("roles", &roles)], get(p));
        }
    }

    w.family(
        "upf_worker_packets_total",
        "counter",
        "Packets processed by each polling worker.",
    );
    for wk in &st.workers {
        let (id, core) = (wk.worker.to_string(), wk.core.to_string());
        w.sample(
            "upf_worker_packets_total",
            &[("worker", &id), ("core", &core)],
            wk.packets,
        );
    }
    w.family(
        "upf_worker_busy_ratio",
        "gauge",
        "Share of a worker's polls that found packets (0..1).",
    );
    for wk in &st.workers {
        let (id, core) = (wk.worker.to_string(), wk.core.to_string());
        w.sample(
            "upf_worker_busy_ratio",
            &[("worker", &id), ("core", &core)],
            wk.busy_ratio.clamp(0.0, 1.0),
        );
    }

    w.family(
        "upf_drops_total",
        "counter",
        "Packets dropped, by reason (see upf_drop_reason_info for each reason).",
    );
    for r in DropReason::ALL {
        w.sample(
            "upf_drops_total",
            &[("reason", r.name())],
            st.drops[*r as usize],
        );
    }
    w.family(
        "upf_drop_reason_info",
        "gauge",
        "What each drop reason means, value 1.",
    );
    for r in DropReason::ALL {
        w.sample(
            "upf_drop_reason_info",
            &[("reason", r.name()), ("help", r.help())],
            1u64,
        );
    }
    w.family(
        "upf_stage_packets_total",
        "counter",
        "Packets through each stage of the packet path.",
    );
    for s in Stat::ALL {
        w.sample(
            "upf_stage_packets_total",
            &[("stage", s.name())],
            st.stages[*s as usize],
        );
    }

    w.family(
        "upf_pfcp_messages_total",
        "counter",
        "PFCP messages by direction and type.",
    );
    for ((dir, ty), n) in &st.pfcp.messages {
        w.sample(
            "upf_pfcp_messages_total",
            &[("direction", dir.name()), ("type", ty)],
            *n,
        );
    }
    w.family(
        "upf_pfcp_causes_total",
        "counter",
        "PFCP messages carrying a Cause, by direction, type and cause.",
    );
    for ((dir, ty, cause), n) in &st.pfcp.causes {
        w.sample(
            "upf_pfcp_causes_total",
            &[("direction", dir.name()), ("type", ty), ("cause", cause)],
            *n,
        );
    }

    w.family(
        "upf_control_events_total",
        "counter",
        "GTP-U and buffering events handled by the control side, by event.",
    );
    for (ev, n) in &st.control_events {
        w.sample("upf_control_events_total", &[("event", ev)], *n);
    }

    w.family(
        "upf_buffered_packets",
        "gauge",
        "Downlink packets buffered now for FARs with BUFF (drops: buffer_full, buffer_discarded).",
    );
    w.sample("upf_buffered_packets", &[], st.buffered_packets);

    if st
        .sched_sent
        .iter()
        .chain(&st.sched_dropped)
        .any(|&n| n > 0)
    {
        w.family(
            "upf_egress_sched_packets_total",
            "counter",
            "Egress scheduler (attachments with an egress rate): packets by queue (QoS class 0 highest, or guaranteed for GBR-conformant packets) and result (sent, or dropped because the queue was full).",
        );
        for q in 0..upf_core::qos::QUEUES {
            let queue = sched_queue_label(q);
            for (result, n) in [("sent", st.sched_sent[q]), ("dropped", st.sched_dropped[q])] {
                w.sample(
                    "upf_egress_sched_packets_total",
                    &[("queue", &queue), ("result", result)],
                    n,
                );
            }
        }
    }

    w.family(
        "upf_offload_mode",
        "gauge",
        "Configured offload mode, value 1.",
    );
    w.sample("upf_offload_mode", &[("mode", off.mode.name())], 1u64);
    w.family(
        "upf_offload_active",
        "gauge",
        "1 when rules are offloaded to NICs.",
    );
    w.sample("upf_offload_active", &[], off.active);
    w.family(
        "upf_offload_rules",
        "gauge",
        "Flow rules installed in NICs.",
    );
    w.sample("upf_offload_rules", &[], off.rules_installed);
    w.family(
        "upf_offload_rule_failures_total",
        "counter",
        "Flow rule installations that failed (handled in software).",
    );
    w.sample("upf_offload_rule_failures_total", &[], off.rules_failed);
    w.out
}

/// The `queue` label of an egress scheduler queue.
fn sched_queue_label(q: usize) -> String {
    if q == upf_core::qos::GUARANTEED_QUEUE {
        "guaranteed".to_owned()
    } else {
        format!("class{q}")
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::state::InMemoryState;

    #[test]
    fn every_drop_reason_is_exported() {
        let st = InMemoryState::default();
        st.add_drops(DropReason::MeterRed, 3);
        let text = render(&st);
        for r in DropReason::ALL {
            let want = if *r == DropReason::MeterRed { 3 } else { 0 };
            assert!(
                text.contains(&format!(
                    "upf_drops_total{{reason=\"{}\"}} {want}\n",
                    r.name()
                )),
                "{}",
                r.name()
            );
        }
        for s in Stat::ALL {
            assert!(text.contains(&format!(
                "upf_stage_packets_total{{stage=\"{}\"}} 0\n",
                s.name()
            )));
        }
    }

    #[test]
    fn egress_scheduler_counters_by_queue() {
        let st = InMemoryState::default();
        let text = render(&st);
        assert!(!text.contains("upf_egress_sched_packets_total"), "{text}");
        let mut sent = [0; upf_core::qos::QUEUES];
        let mut dropped = [0; upf_core::qos::QUEUES];
        sent[1] = 300;
        sent[upf_core::qos::GUARANTEED_QUEUE] = 20;
        dropped[7] = 5;
        st.set_sched(sent, dropped);
        let text = render(&st);
        for line in [
            "upf_egress_sched_packets_total{queue=\"class1\",result=\"sent\"} 300\n",
            "upf_egress_sched_packets_total{queue=\"guaranteed\",result=\"sent\"} 20\n",
            "upf_egress_sched_packets_total{queue=\"class7\",result=\"dropped\"} 5\n",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }

    #[test]
    fn buffered_packets_gauge() {
        let st = InMemoryState::default();
        st.set_buffered_packets(7);
        let text = render(&st);
        assert!(
            text.contains("# TYPE upf_buffered_packets gauge\n"),
            "{text}"
        );
        assert!(text.contains("upf_buffered_packets 7\n"), "{text}");
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(escape_help("x\\y\nz"), "x\\\\y\\nz");
    }
}
