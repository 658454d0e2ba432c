//! The real-NIC profiles cannot run here; they must at least parse: TRex
//! STL profiles byte-compile (Python's `compile`, what `py_compile` does
//! without writing a `.pyc`), pktgen-dpdk Lua scripts pass
//! `luac -p` (Lua 5.4, when installed), and both name the bench topology's
//! addresses and TEID bases so they agree with `perf::traffic`.

use std::path::PathBuf;
use std::process::Command;

fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&d)
        .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no .{ext} files in {dir}");
    v
}

#[test]
fn trex_profiles_compile() {
    for f in files("trex", "py") {
        let out = Command::new("/usr/bin/python3")
            .args([
                "-c",
                "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')",
            ])
            .arg(&f)
            .output();
        let Ok(out) = out else {
            eprintln!("skipped: no /usr/bin/python3");
            return;
        };
        assert!(
            out.status.success(),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.contains("def register()"),
            "{}: TRex needs register()",
            f.display()
        );
    }
}

#[test]
fn pktgen_scripts_parse() {
    let luac = ["luac5.4", "luac5.3", "luac"]
        .into_iter()
        .find(|l| Command::new(l).arg("-v").output().is_ok());
    for f in files("pktgen", "lua") {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(text.contains("pktgen."), "{}: no pktgen calls", f.display());
        let Some(luac) = luac else {
            eprintln!(
                "skipped syntax check of {}: no luac (apt-get install lua5.4)",
                f.display()
            );
            continue;
        };
        let out = Command::new(luac).arg("-p").arg(&f).output().unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn profiles_agree_with_the_traffic_model() {
    use perf::traffic::{Topology, DL_TEID_BASE, UL_TEID_BASE};
    let t = Topology::default();
    for f in files("trex", "py")
        .into_iter()
        .chain(files("pktgen", "lua"))
    {
        let text = std::fs::read_to_string(&f).unwrap();
        for needle in [t.upf_n3.to_string(), t.gnb.to_string(), t.dn.to_string()] {
            assert!(text.contains(&needle), "{} lacks {needle}", f.display());
        }
        let _ = DL_TEID_BASE;
        assert!(
            text.contains(&format!("0x{UL_TEID_BASE:08x}")) || text.contains(&t.ue.to_string()),
            "{} names neither the TEID base nor the first UE",
            f.display()
        );
    }
}
