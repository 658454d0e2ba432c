//! The Helm chart and the binary's Kubernetes discovery agree.
//!
//! For the default values and each example values file: render the chart
//! with helm, then present the pod to `upf check-config` the way Kubernetes
//! would — the container's environment (with `PCIDEVICE_*` variables the
//! SR-IOV device plugin would set for the resources the Deployment requests,
//! and `POD_IP`), the downward-API annotations file in the kubelet's
//! `key="quoted"` format with a Multus network-status built from the
//! rendered NetworkAttachmentDefinitions' static IPAM, and a cpuset of as
//! many CPUs as the Deployment requests — and check the resolved ports,
//! addresses, MACs, cores and node ID.
//!
//! helm comes from the venv `helm/test.sh --install-only` builds under
//! `target/helm-venv`. Without it the test is skipped with a message, unless
//! `CI` is set: then it installs it, and fails if that fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

const UPF: &str = env!("CARGO_BIN_EXE_upf");
const POD_IP: &str = "10.244.1.17";
/// NetworkAttachmentDefinitions values-sriov.yaml names as existing: the
/// addresses and resource their owners configured.
const EXISTING: &[(&str, &str, &str)] = &[("upf-n9-shared", "intel.com/sriov_n9", "10.109.0.2")];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn helm() -> Option<PathBuf> {
    let h = repo().join("target/helm-venv/bin/helm");
    if h.exists() {
        return Some(h);
    }
    if std::env::var_os("CI").is_none() {
        eprintln!(
            "helm_discovery: SKIPPED: no helm at {} (run helm/test.sh --install-only; with CI set this test installs it and fails without it)",
            h.display()
        );
        return None;
    }
    let out = Command::new("bash")
        .arg(repo().join("helm/test.sh"))
        .arg("--install-only")
        .output()
        .expect("run helm/test.sh --install-only");
    assert!(
        out.status.success() && h.exists(),
        "CI is set and helm cannot be installed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(h)
}

fn render(helm: &Path, values: Option<&str>) -> Vec<Value> {
    let mut cmd = Command::new(helm);
    cmd.args(["template", "upf"])
        .arg(repo().join("helm/upf"))
        .args(["--namespace", "5g"]);
    if let Some(v) = values {
        cmd.arg("-f").arg(repo().join("helm/upf").join(v));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "helm template: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .filter_map(|d| {
            let v: serde_yaml_ng::Value = serde::Deserialize::deserialize(d).unwrap();
            (!v.is_null()).then(|| serde_json::to_value(v).unwrap())
        })
        .collect()
}

/// Go's strconv.Quote for the text the kubelet writes.
fn go_quote(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\x{:02x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// What the test expects the UPF to resolve for one attached network.
#[derive(Debug)]
struct Attachment {
    interface: String,
    ips: Vec<String>,
    mac: String,
    pci: Option<String>,
}

/// Presents the rendered pod to `upf check-config`; returns the resolved
/// configuration and the attachments by interface name.
fn discover(docs: &[Value]) -> (Value, BTreeMap<String, Attachment>, Vec<u32>) {
    let find = |kind: &str| {
        docs.iter()
            .find(|d| d["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
    };
    let deploy = find("Deployment");
    let pod = &deploy["spec"]["template"];
    let container = &pod["spec"]["containers"][0];
    let limits = container["resources"]["limits"].as_object().unwrap();
    assert_eq!(
        container["resources"]["requests"], container["resources"]["limits"],
        "Guaranteed QoS"
    );

    // The device plugin: one VF per requested unit, per resource.
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let mut vfs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, (res, count)) in limits.iter().filter(|(k, _)| k.contains('/')).enumerate() {
        let n: usize = count.as_str().unwrap().parse().unwrap();
        let list: Vec<String> = (0..n)
            .map(|k| format!("0000:{:02x}:02.{k}", 0x3b + i))
            .collect();
        env.insert(cnf::k8s::pcidevice_var(res), list.join(","));
        vfs.insert(res.clone(), list);
    }
    // The container's own environment.
    for e in container["env"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap().to_owned();
        let value = if let Some(v) = e["value"].as_str() {
            v.to_owned()
        } else if e["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP" {
            POD_IP.to_owned()
        } else {
            panic!("unsupported env {e}");
        };
        env.insert(name, value);
    }
    assert_eq!(env["UPF_ANNOTATIONS_FILE"], "/etc/podinfo/annotations");

    // Multus: attach each requested network, IPs from the NAD's static
    // IPAM (reported without prefix), the VF from the resource's allocation.
    let ann = pod["metadata"]["annotations"].as_object().unwrap();
    let requested: Vec<Value> =
        serde_json::from_str(ann["k8s.v1.cni.cncf.io/networks"].as_str().unwrap()).unwrap();
    let mut used: BTreeMap<String, usize> = BTreeMap::new();
    let mut status = vec![json!({
        "name": "k8s-pod-network", "interface": "eth0", "ips": [POD_IP],
        "mac": "0a:58:0a:f4:01:11", "default": true, "dns": {}
    })];
    let mut attachments = BTreeMap::new();
    for (i, net) in requested.iter().enumerate() {
        let name = net["name"].as_str().unwrap();
        let interface = net["interface"].as_str().unwrap().to_owned();
        let nad = docs
            .iter()
            .find(|d| d["kind"] == "NetworkAttachmentDefinition" && d["metadata"]["name"] == name);
        let (cni_type, resource, ips) = match nad {
            Some(nad) => {
                let cfg: Value =
                    serde_json::from_str(nad["spec"]["config"].as_str().unwrap()).unwrap();
                let ips = cfg["ipam"]["addresses"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| {
                        let a = a["address"].as_str().unwrap();
                        a.split('/').next().unwrap().to_owned()
                    })
                    .collect::<Vec<_>>();
                let res = nad["metadata"]["annotations"]["k8s.v1.cni.cncf.io/resourceName"]
                    .as_str()
                    .map(str::to_owned);
                (cfg["type"].as_str().unwrap().to_owned(), res, ips)
            }
            None => {
                let (_, res, ip) = EXISTING
                    .iter()
                    .find(|(n, _, _)| *n == name)
                    .unwrap_or_else(|| panic!("network {name} neither rendered nor known"));
                (
                    "sriov".to_owned(),
                    Some((*res).to_owned()),
                    vec![(*ip).to_owned()],
                )
            }
        };
        let mac = format!("02:00:00:00:{:02x}:02", i + 1);
        let mut entry = json!({
            "name": format!("5g/{name}"), "interface": interface, "ips": ips,
            "mac": mac, "dns": {}
        });
        let mut pci = None;
        if cni_type == "sriov" {
            let res = resource.expect("SR-IOV NAD names its resource");
            let k = used.entry(res.clone()).or_default();
            let vf = vfs[&res][*k].clone();
            *k += 1;
            entry["device-info"] =
                json!({"type": "pci", "version": "1.1.0", "pci": {"pci-address": vf}});
            pci = Some(vf);
        }
        status.push(entry);
        attachments.insert(
            interface.clone(),
            Attachment {
                interface,
                ips,
                mac,
                pci,
            },
        );
    }

    // Files as the pod sees them.
    let dir = tempfile::tempdir().unwrap();
    let mut annotations: BTreeMap<String, String> = ann
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    annotations.insert(
        "k8s.v1.cni.cncf.io/network-status".into(),
        serde_json::to_string_pretty(&status).unwrap(),
    );
    let ann_file = dir.path().join("annotations");
    std::fs::write(
        &ann_file,
        annotations
            .iter()
            .map(|(k, v)| format!("{k}={}\n", go_quote(v)))
            .collect::<String>(),
    )
    .unwrap();
    let ncpu: u32 = limits["cpu"].as_str().unwrap().parse().unwrap();
    let cpus: Vec<u32> = (4..4 + ncpu).collect();
    let cpuset = dir.path().join("cpuset.cpus.effective");
    std::fs::write(&cpuset, format!("4-{}\n", 3 + ncpu)).unwrap();
    let cm = find("ConfigMap");
    let cfg = dir.path().join("upf.toml");
    std::fs::write(&cfg, cm["data"]["upf.toml"].as_str().unwrap()).unwrap();
    // The mounts: config at /etc/upf, annotations at /etc/podinfo.
    assert_eq!(
        container["args"],
        json!(["run", "--config", "/etc/upf/upf.toml"])
    );

    env.insert(
        "UPF_ANNOTATIONS_FILE".into(),
        ann_file.to_str().unwrap().into(),
    );
    env.insert("UPF_CPUSET_FILE".into(), cpuset.to_str().unwrap().into());
    let out = Command::new(UPF)
        .args(["check-config", "--json", "--config"])
        .arg(&cfg)
        .env_clear()
        .envs(&env)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check-config: {}\nenv: {env:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        attachments,
        cpus,
    )
}

fn check(resolved: &Value, att: &BTreeMap<String, Attachment>, cpus: &[u32], roles: &[&str]) {
    let cores = |c: &[u32]| cnf::types::CpuList::new(c.to_vec()).to_string();
    assert_eq!(resolved["cores"]["control"], cores(&cpus[..1]));
    assert_eq!(resolved["cores"]["workers"], cores(&cpus[1..]));
    assert_eq!(resolved["pfcp"]["node_id"], POD_IP);
    for role in roles {
        let a = &att[*role];
        let port = &resolved["ports"][role];
        assert_eq!(port["roles"], json!([role]));
        assert_eq!(port["mac"], a.mac, "{role}");
        match &a.pci {
            Some(pci) => assert_eq!(port["pci"], *pci, "{role}: the VF Multus attached"),
            None => assert_eq!(
                port["vdev"].as_str().unwrap().split_once(',').unwrap().1,
                format!("iface={}", a.interface),
                "{role}"
            ),
        }
        let got: Vec<String> = resolved["interfaces"][role]["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().split('/').next().unwrap().to_owned())
            .collect();
        assert_eq!(got, a.ips, "{role} addresses");
    }
    assert_eq!(
        resolved["ports"].as_object().unwrap().len(),
        roles.len(),
        "one port per attached role"
    );
}

#[test]
fn chart_defaults_discover_sriov_ports_addresses_cores() {
    let Some(helm) = helm() else { return };
    let docs = render(&helm, None);
    let (r, att, cpus) = discover(&docs);
    check(&r, &att, &cpus, &["n3", "n6"]);
    assert_eq!(r["interfaces"]["n3"]["addresses"], json!(["10.100.3.2/24"]));
    assert_eq!(r["interfaces"]["n6"]["gateway_v4"], "10.100.6.1");
    assert_eq!(r["ports"]["n3"]["resource"], "intel.com/sriov_n3");
    assert_eq!(r["eal"]["no_huge"], false);
    assert_eq!(cpus.len(), 4);
}

#[test]
fn chart_sriov_values_discover_three_vfs_and_ipv6() {
    let Some(helm) = helm() else { return };
    let docs = render(&helm, Some("values-sriov.yaml"));
    let (r, att, cpus) = discover(&docs);
    check(&r, &att, &cpus, &["n3", "n6", "n9"]);
    assert_eq!(
        r["interfaces"]["n6"]["addresses"],
        json!(["10.106.0.2/24", "2001:db8:106::2/64"]),
        "prefixes from the values' addresses"
    );
    assert_eq!(r["ports"]["n9"]["network"], "upf-n9-shared");
    assert_eq!(r["qos"]["priority"]["9"], 90);
    assert_eq!(cpus.len(), 8);
    assert!(docs.iter().any(|d| d["kind"] == "ServiceMonitor"));
}

#[test]
fn chart_lab_values_discover_kernel_interfaces() {
    let Some(helm) = helm() else { return };
    let docs = render(&helm, Some("values-lab.yaml"));
    let (r, att, cpus) = discover(&docs);
    check(&r, &att, &cpus, &["n3", "n6"]);
    assert_eq!(r["ports"]["n3"]["vdev"], "net_af_packet0,iface=n3");
    assert_eq!(r["ports"]["n6"]["vdev"], "net_af_packet1,iface=n6");
    assert_eq!(r["eal"]["no_huge"], true);
    let caps = &docs.iter().find(|d| d["kind"] == "Deployment").unwrap()["spec"]["template"]
        ["spec"]["containers"][0]["securityContext"]["capabilities"]["add"];
    assert_eq!(
        *caps,
        json!(["NET_RAW"]),
        "af_packet without hugepages needs NET_RAW only"
    );
}
