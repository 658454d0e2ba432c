//! The metrics text is valid Prometheus exposition: checked by the
//! `prometheus-parse` crate and by a strict line grammar written here from
//! the format's specification (names, label syntax and escaping, HELP/TYPE
//! once per family before its samples, families contiguous, counters named
//! `_total`, no duplicate series, values are numbers).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use cnf::metrics::render;
use cnf::state::{
    AssociationInfo, AssociationState, Direction, InMemoryState, PortStats, SessionMeta,
    WorkerStats,
};
use upf_core::counters::{DropReason, Stat};

fn populated() -> InMemoryState {
    let st = InMemoryState::default();
    st.put_port(PortStats {
        name: "n3".into(),
        roles: vec!["n3".into()],
        link_up: true,
        rx_packets: 1_000_000,
        rx_bytes: 1_400_000_000,
        tx_packets: 999_000,
        ..PortStats::default()
    });
    st.put_port(PortStats {
        name: "trunk".into(),
        roles: vec!["n6".into(), "n9".into()],
        rx_errors: 3,
        ..PortStats::default()
    });
    for w in 0..3 {
        st.put_worker(WorkerStats {
            worker: w,
            core: w + 2,
            packets: 1000 * u64::from(w),
            busy_ratio: 0.25 * f64::from(w),
        });
    }
    st.add_drops(DropReason::NoPdr, 7);
    st.add_drops(DropReason::UnknownTeid, 2);
    st.add_stage(Stat::Rx, 1_000_000);
    st.count_pfcp(Direction::Rx, "session_establishment_request", None);
    st.count_pfcp(
        Direction::Tx,
        "session_establishment_response",
        Some("request_accepted"),
    );
    // A label value that needs escaping.
    st.count_pfcp(Direction::Rx, "odd \"type\" \\ with\nnewline", None);
    st.put_association(AssociationInfo {
        peer_node_id: "smf.example".into(),
        address: "10.0.4.10:8805".parse().unwrap(),
        state: AssociationState::Active,
        recovery_timestamp_s: 3_900_000_000,
        last_heartbeat_ms: 1,
        upf_initiated: false,
        sessions: 0,
    });
    st.put_session(
        cnf::state::sample_session(1, [10, 45, 0, 1].into(), 0x10),
        SessionMeta::default(),
    );
    st.set_pfcp_listening(true);
    st
}

/// A metric or label name.
fn is_name(s: &str, colon: bool) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_' || (colon && c == b':'))
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || (colon && c == b':'))
}

type Labels = Vec<(String, String)>;

/// Parses `{a="x",b="y"}` strictly; returns the labels and the rest.
fn parse_labels(s: &str) -> Result<(Labels, &str), String> {
    let mut labels = Vec::new();
    let mut rest = s.strip_prefix('{').ok_or("no '{'")?;
    loop {
        if let Some(r) = rest.strip_prefix('}') {
            return Ok((labels, r));
        }
        let eq = rest.find('=').ok_or("label without '='")?;
        let name = &rest[..eq];
        if !is_name(name, false) || name.starts_with("__") {
            return Err(format!("bad label name {name:?}"));
        }
        rest = rest[eq + 1..]
            .strip_prefix('"')
            .ok_or("label value not quoted")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            let (i, c) = chars.next().ok_or("unterminated label value")?;
            match c {
                '"' => break i,
                '\\' => match chars.next().ok_or("dangling escape")?.1 {
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    'n' => value.push('\n'),
                    e => return Err(format!("bad escape \\{e}")),
                },
                '\n' => return Err("raw newline in label value".into()),
                c => value.push(c),
            }
        };
        labels.push((name.to_owned(), value));
        rest = &rest[end + 1..];
        if let Some(r) = rest.strip_prefix(',') {
            rest = r;
        } else if !rest.starts_with('}') {
            return Err("expected ',' or '}'".into());
        }
    }
}

/// Checks the whole text; returns series → value.
fn strict_parse(text: &str) -> Result<BTreeMap<String, f64>, String> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut helped = BTreeSet::new();
    let mut finished = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut series = BTreeMap::new();
    if !text.ends_with('\n') {
        return Err("text does not end with a newline".into());
    }
    for (n, line) in text.lines().enumerate() {
        let err = |m: String| format!("line {}: {m}: {line:?}", n + 1);
        if let Some(rest) = line.strip_prefix("# ") {
            let mut it = rest.splitn(3, ' ');
            let (kw, name) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
            let arg = it.next().unwrap_or("");
            if !is_name(name, true) {
                return Err(err("bad metric name".into()));
            }
            if finished.contains(name) {
                return Err(err("family appears twice".into()));
            }
            if current.as_deref() != Some(name) {
                if let Some(c) = current.replace(name.to_owned()) {
                    finished.insert(c);
                }
            }
            match kw {
                "HELP" => {
                    if !helped.insert(name.to_owned()) || arg.is_empty() {
                        return Err(err("HELP twice or empty".into()));
                    }
                }
                "TYPE" => {
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&arg) {
                        return Err(err("bad type".into()));
                    }
                    if types.insert(name.to_owned(), arg.to_owned()).is_some() {
                        return Err(err("TYPE twice".into()));
                    }
                    if arg == "counter" && !name.ends_with("_total") {
                        return Err(err("counter not named _total".into()));
                    }
                }
                _ => return Err(err("unknown comment keyword".into())),
            }
            continue;
        }
        let name_end = line
            .find(['{', ' '])
            .ok_or_else(|| err("no value".into()))?;
        let name = &line[..name_end];
        if !is_name(name, true) {
            return Err(err("bad metric name".into()));
        }
        if current.as_deref() != Some(name) {
            return Err(err("sample outside its family's block".into()));
        }
        if !types.contains_key(name) {
            return Err(err("sample before TYPE".into()));
        }
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end..]).map_err(&err)?
        } else {
            (Vec::new(), &line[name_end..])
        };
        let mut seen = BTreeSet::new();
        if !labels.iter().all(|(k, _)| seen.insert(k.clone())) {
            return Err(err("duplicate label".into()));
        }
        let value = rest
            .strip_prefix(' ')
            .ok_or_else(|| err("no space before value".into()))?;
        let v: f64 = match value {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().map_err(|_| err("value is not a number".into()))?,
        };
        let key = format!("{name}{labels:?}");
        if series.insert(key, v).is_some() {
            return Err(err("duplicate series".into()));
        }
    }
    Ok(series)
}

#[test]
fn strict_grammar_accepts_the_rendering() {
    let text = render(&populated());
    let series = strict_parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(series.len() > DropReason::COUNT + Stat::COUNT);
}

#[test]
fn strict_grammar_rejects_bad_text() {
    for bad in [
        "x 1\n",                                           // no TYPE
        "# TYPE a_total counter\na_total{b=\"c} 1\n",      // unterminated
        "# TYPE a counter\na 1\n",                         // counter not _total
        "# TYPE a gauge\na{b=\"1\"} 1\na{b=\"1\"} 2\n",    // duplicate
        "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n", // not contiguous
        "# TYPE a gauge\na one\n",                         // value
        "# TYPE a gauge\na{b=\"x\\q\"} 1\n",               // escape
    ] {
        assert!(strict_parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn prometheus_parse_reads_the_values() {
    let text = render(&populated());
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("prometheus-parse accepts the text");
    let value = |name: &str, labels: &[(&str, &str)]| common::sample(&scrape, name, labels);
    // Every drop reason, named from upf-core's list.
    let drops: Vec<_> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "upf_drops_total")
        .collect();
    assert_eq!(drops.len(), DropReason::COUNT);
    for r in DropReason::ALL {
        assert!(value("upf_drops_total", &[("reason", r.name())]).is_some());
    }
    // The help of each reason, as a label: prometheus-parse splits label
    // values at commas, so read these through the strict parser.
    let strict = strict_parse(&text).unwrap();
    for r in DropReason::ALL {
        let key = format!(
            "upf_drop_reason_info{:?}",
            vec![
                ("reason".to_owned(), r.name().to_owned()),
                ("help".to_owned(), r.help().to_owned())
            ]
        );
        assert_eq!(strict.get(&key), Some(&1.0), "{key}");
    }
    assert_eq!(value("upf_drops_total", &[("reason", "no_pdr")]), Some(7.0));
    assert_eq!(
        value("upf_stage_packets_total", &[("stage", "rx")]),
        Some(1e6)
    );
    assert_eq!(
        value(
            "upf_port_rx_bytes_total",
            &[("port", "n3"), ("roles", "n3")]
        ),
        Some(1.4e9)
    );
    assert_eq!(
        value(
            "upf_port_rx_errors_total",
            &[("port", "trunk"), ("roles", "n6+n9")]
        ),
        Some(3.0)
    );
    assert_eq!(value("upf_port_up", &[("port", "trunk")]), Some(0.0));
    assert_eq!(
        value("upf_worker_busy_ratio", &[("worker", "2"), ("core", "4")]),
        Some(0.5)
    );
    assert_eq!(value("upf_sessions", &[]), Some(1.0));
    assert_eq!(value("upf_associations", &[("state", "active")]), Some(1.0));
    assert_eq!(
        value(
            "upf_pfcp_causes_total",
            &[
                ("direction", "tx"),
                ("type", "session_establishment_response"),
                ("cause", "request_accepted")
            ]
        ),
        Some(1.0)
    );
    // prometheus-parse does not unescape label values; the strict parser
    // does, and shows the escaped value round-trips.
    assert!(strict
        .keys()
        .any(|k| k.contains(r#"("type", "odd \"type\" \\ with\nnewline")"#)));
    // Ports are down in this state but readiness does not require them
    // (the in-memory default does not run a dataplane).
    assert_eq!(value("upf_ready", &[]), Some(1.0));
    assert_eq!(value("upf_offload_mode", &[("mode", "auto")]), Some(1.0));
}
