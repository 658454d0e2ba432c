//! Results: one [`ScenarioResult`] per run, written as JSON and as a
//! Markdown table.

use serde_json::{json, Value};

use crate::latency::Summary;

/// One scenario's figures.
#[derive(Debug, Clone, Default)]
pub struct ScenarioResult {
    /// `uplink`, `downlink` or `mixed`.
    pub scenario: String,
    /// Sessions installed.
    pub sessions: u32,
    /// `64` or `imix`.
    pub size: String,
    /// Workers.
    pub workers: u32,
    /// Packets per second the UPF forwarded.
    pub upf_pps: f64,
    /// Bits per second the UPF forwarded, input frames with FCS.
    pub upf_bps: f64,
    /// Packets per second testpmd forwarded on the same vdevs and cores.
    pub base_pps: f64,
    /// Bits per second testpmd forwarded.
    pub base_bps: f64,
    /// Packets the UPF received in the measured window.
    pub upf_rx: u64,
    /// Packets the UPF dropped in the window, by reason (upf-core names).
    pub drops: Vec<(String, u64)>,
    /// Latency through the UPF at `latency_pps`.
    pub latency: Option<Summary>,
    /// Offered rate of the latency run.
    pub latency_pps: f64,
    /// Highest rate the loop carried (where latency was measured at half).
    pub loop_max_pps: f64,
    /// Frames the validator refused in the latency run, by reason.
    pub wrong: Vec<(String, u64)>,
    /// Frames it accepted.
    pub good: u64,
    /// Latency CDF points `(ns, fraction)`.
    pub cdf: Vec<(u64, f64)>,
    /// Exact commands.
    pub commands: Vec<String>,
}

impl ScenarioResult {
    /// UPF rate over the baseline's.
    pub fn ratio(&self) -> f64 {
        if self.base_pps > 0.0 {
            self.upf_pps / self.base_pps
        } else {
            0.0
        }
    }

    /// Mpps per worker.
    pub fn mpps_per_worker(&self) -> f64 {
        self.upf_pps / 1e6 / f64::from(self.workers.max(1))
    }

    /// As JSON.
    pub fn to_json(&self) -> Value {
        let pairs = |v: &[(String, u64)]| -> Value {
            Value::Object(v.iter().map(|(k, n)| (k.clone(), json!(n))).collect())
        };
        json!({
            "scenario": self.scenario,
            "sessions": self.sessions,
            "size": self.size,
            "workers": self.workers,
            "upf": { "pps": self.upf_pps, "bps": self.upf_bps, "rx": self.upf_rx,
                     "mpps_per_worker": self.mpps_per_worker() },
            "baseline": { "pps": self.base_pps, "bps": self.base_bps },
            "ratio": self.ratio(),
            "drops": pairs(&self.drops),
            "latency": self.latency.map(|l| json!({
                "offered_pps": self.latency_pps,
                "loop_max_pps": self.loop_max_pps,
                "count": l.count, "min_ns": l.min_ns, "p50_ns": l.p50_ns,
                "p99_ns": l.p99_ns, "p999_ns": l.p999_ns, "max_ns": l.max_ns,
                "mean_ns": l.mean_ns,
            })),
            "latency_cdf": self.cdf.iter().map(|&(ns, q)| json!([ns, q])).collect::<Vec<_>>(),
            "validator": { "good": self.good, "wrong": pairs(&self.wrong) },
            "commands": self.commands,
        })
    }
}

fn us(ns: u64) -> String {
    format!("{:.1}", ns as f64 / 1000.0)
}

/// The Markdown table of a set of results.
pub fn markdown(results: &[ScenarioResult]) -> String {
    let mut s = String::from(
        "| scenario | sessions | size | workers | UPF Mpps/worker | UPF Gbps/worker | testpmd Mpps | ratio | p50 µs | p99 µs | p99.9 µs | latency at | drops | wrong |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in results {
        let w = f64::from(r.workers.max(1));
        let (p50, p99, p999) = match r.latency {
            Some(l) if l.count > 0 => (us(l.p50_ns), us(l.p99_ns), us(l.p999_ns)),
            _ => ("-".into(), "-".into(), "-".into()),
        };
        let fmt_pairs = |v: &[(String, u64)]| {
            let nz: Vec<String> = v
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(k, n)| format!("{k}={n}"))
                .collect();
            if nz.is_empty() {
                "0".into()
            } else {
                nz.join(", ")
            }
        };
        let lat_at = if r.latency.is_some() {
            format!("{:.2} Mpps", r.latency_pps / 1e6)
        } else {
            "-".into()
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.0}% | {} | {} | {} | {} | {} | {} |\n",
            r.scenario,
            r.sessions,
            r.size,
            r.workers,
            r.mpps_per_worker(),
            r.upf_bps / 1e9 / w,
            r.base_pps / 1e6,
            r.ratio() * 100.0,
            p50,
            p99,
            p999,
            lat_at,
            fmt_pairs(&r.drops),
            fmt_pairs(&r.wrong),
        ));
    }
    s
}
