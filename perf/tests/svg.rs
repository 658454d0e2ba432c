//! SVG output is well-formed XML: checked by Python's XML parser where
//! available, and always by a small tag-balance check here.

use perf::latency::Latency;
use perf::svg::{Chart, Series};

/// Every `<tag ...>` closed by `</tag>` or self-closed, attributes quoted,
/// nothing outside the root element but the declaration.
fn balanced(doc: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = doc.trim();
    rest = rest
        .strip_prefix("<?xml")
        .and_then(|r| r.split_once("?>").map(|x| x.1))
        .ok_or("no declaration")?
        .trim_start();
    let mut roots = 0;
    while let Some(lt) = rest.find('<') {
        let text = &rest[..lt];
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root: {text:?}"));
        }
        if text.contains('<')
            || text.contains('>')
            || text.replace("&amp;", "").contains('&') && !text.contains(';')
        {
            return Err(format!("unescaped text {text:?}"));
        }
        let gt = rest[lt..].find('>').ok_or("unterminated tag")? + lt;
        let tag = &rest[lt + 1..gt];
        if tag.matches('"').count() & 1 == 1 {
            return Err(format!("unbalanced quotes in <{tag}>"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("stray </{name}>"))?;
            if open != name.trim() {
                return Err(format!("<{open}> closed by </{name}>"));
            }
        } else {
            let name = tag
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches('/')
                .to_string();
            if stack.is_empty() {
                roots += 1;
            }
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
        rest = &rest[gt + 1..];
    }
    if !stack.is_empty() || roots != 1 || !rest.trim().is_empty() {
        return Err(format!("open: {stack:?}, roots {roots}"));
    }
    Ok(())
}

fn python_parses(doc: &str) -> Option<bool> {
    let path = std::env::temp_dir().join(format!("perf-svg-{}.svg", std::process::id()));
    std::fs::write(&path, doc).unwrap();
    let st = std::process::Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); \
             sys.exit(0 if r.tag.endswith('svg') else 1)",
        ])
        .arg(&path)
        .status()
        .ok();
    let _ = std::fs::remove_file(&path);
    st.map(|s| s.success())
}

#[test]
fn charts_are_well_formed() {
    let mut lat = Latency::new();
    for v in 1..5000u64 {
        lat.record(3000 + v * v % 7919);
    }
    let charts = [
        Chart {
            title: "Throughput <per worker> & \"sessions\"".into(),
            x_label: "sessions".into(),
            y_label: "Mpps".into(),
            x_log: true,
            series: vec![
                Series {
                    name: "UPF uplink 64B".into(),
                    points: vec![(1e3, 9.5), (1e5, 7.2), (1e6, 5.1)],
                },
                Series {
                    name: "testpmd".into(),
                    points: vec![(1e3, 20.0), (1e5, 20.0), (1e6, 19.0)],
                },
            ],
        },
        Chart {
            title: "Latency CDF".into(),
            x_label: "µs".into(),
            y_label: "fraction".into(),
            x_log: true,
            series: vec![Series {
                name: "uplink".into(),
                points: lat
                    .cdf()
                    .iter()
                    .map(|&(ns, q)| (ns as f64 / 1e3, q))
                    .collect(),
            }],
        },
        // Degenerate inputs: no points, one point, NaN, zero on a log axis.
        Chart {
            title: "empty".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            x_log: true,
            series: vec![
                Series {
                    name: "none".into(),
                    points: vec![],
                },
                Series {
                    name: "odd".into(),
                    points: vec![(0.0, 1.0), (f64::NAN, 2.0), (5.0, 3.0)],
                },
            ],
        },
    ];
    for c in &charts {
        let doc = c.render();
        balanced(&doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
        assert!(!doc.contains("NaN") && !doc.contains("inf"), "{doc}");
        if let Some(ok) = python_parses(&doc) {
            assert!(ok, "python's XML parser refused:\n{doc}");
        }
    }
    assert!(balanced("<?xml version=\"1.0\"?><svg><g></svg>").is_err());
}
