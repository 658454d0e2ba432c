//! Finds DPDK with pkg-config, refuses versions the bindings were not written
//! for, generates the bindings into OUT_DIR and compiles the C shim.
//!
//! Environment:
//! - `UPF_DPDK_ALLOW_VERSION=1`: build against a DPDK other than 22.11.x
//!   anyway (at your own risk: struct layouts and inline functions change
//!   between LTS releases; the layout assertions in the bindings still apply).
//! - `PKG_CONFIG_PATH`: as usual, to point at a DPDK installed elsewhere.

use std::env;
use std::path::PathBuf;

/// The DPDK release line these bindings are written and tested for.
const SUPPORTED: (u32, u32) = (22, 11);

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed=shim.h");
    println!("cargo:rerun-if-changed=shim.c");
    println!("cargo:rerun-if-env-changed=UPF_DPDK_ALLOW_VERSION");

    let dpdk = pkg_config::Config::new()
        .cargo_metadata(true)
        .probe("libdpdk")
        .unwrap_or_else(|e| {
            panic!(
                "dpdk-sys: pkg-config could not find libdpdk ({e}).\n\
                 Install DPDK 22.11 development files (Debian: `apt-get install libdpdk-dev`) \
                 or set PKG_CONFIG_PATH to the directory holding libdpdk.pc."
            )
        });
    check_version(&dpdk.version);

    // pkg-config's cflags, verbatim: `-include rte_config.h` and `-march=...`
    // are required for DPDK's headers to mean what the libraries were built with.
    let cflags = pkg_config_output(&["--cflags", "libdpdk"]);
    let cflags: Vec<String> = cflags.split_whitespace().map(str::to_owned).collect();

    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));

    // The driver directory, for EAL's `-d` where a build does not load PMDs
    // on its own. Debian's libdpdk.pc does not name it, so fall back to the
    // libdir layout `<libdir>/dpdk/pmds-<ABI>`.
    let pmd_dir = pmd_dir();
    println!(
        "cargo:rustc-env=UPF_DPDK_PMD_DIR={}",
        pmd_dir.unwrap_or_default()
    );
    println!("cargo:rustc-env=UPF_DPDK_VERSION={}", dpdk.version);

    let bindings = bindgen::Builder::default()
        .header(manifest.join("wrapper.h").to_string_lossy())
        .clang_args(&cflags)
        .clang_arg(format!("-I{}", manifest.display()))
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .allowlist_function("rte_.*")
        .allowlist_type("rte_.*")
        .allowlist_var("RTE_.*")
        .allowlist_var("rte_.*")
        .allowlist_type("upf_dpdk_consts")
        .allowlist_var("LCORE_ID_ANY")
        .allowlist_var("SOCKET_ID_ANY")
        // Functions taking va_list would drag in platform-specific types.
        .blocklist_function("rte_vlog")
        .blocklist_function(".*_vprintf")
        // Packed structs whose members are over-aligned or arrays cannot
        // derive Debug (a reference to a packed field is not allowed).
        .no_debug("rte_flow_item_gtp_psc")
        .no_debug("rte_gtp_psc_generic_hdr")
        // A packed struct holding an over-aligned one: not expressible in
        // Rust, so its bytes only (the UPF does not use L2TPv2).
        .opaque_type("rte_l2tpv2_combined_msg_hdr")
        .derive_default(true)
        .derive_debug(true)
        .default_enum_style(bindgen::EnumVariation::ModuleConsts)
        .prepend_enum_name(false)
        .layout_tests(true)
        .generate_comments(false)
        .generate()
        .unwrap_or_else(|e| panic!("dpdk-sys: bindgen failed on wrapper.h: {e}"));
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("dpdk-sys: cannot write bindings.rs");

    let mut build = cc::Build::new();
    build
        .file(manifest.join("shim.c"))
        .include(&manifest)
        .opt_level(3)
        .warnings(true);
    for flag in &cflags {
        build.flag(flag);
    }
    build.compile("upf_dpdk_shim");
}

fn pkg_config_output(args: &[&str]) -> String {
    let pc = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
    let out = std::process::Command::new(&pc)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("dpdk-sys: cannot run {pc}: {e}"));
    assert!(
        out.status.success(),
        "dpdk-sys: `{pc} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("pkg-config output is not UTF-8")
        .trim()
        .to_owned()
}

fn check_version(version: &str) {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next().flatten();
    let minor = parts.next().flatten();
    if (major, minor) == (Some(SUPPORTED.0), Some(SUPPORTED.1)) {
        return;
    }
    if env::var("UPF_DPDK_ALLOW_VERSION").is_ok_and(|v| v == "1") {
        println!(
            "cargo:warning=dpdk-sys: building against DPDK {version}, not {}.{}.x, because \
             UPF_DPDK_ALLOW_VERSION=1",
            SUPPORTED.0, SUPPORTED.1
        );
        return;
    }
    panic!(
        "dpdk-sys: found DPDK {version}, but these bindings support DPDK {}.{}.x only \
         (struct layouts and inline functions differ between releases). Install DPDK {}.{} \
         or set UPF_DPDK_ALLOW_VERSION=1 to build anyway at your own risk.",
        SUPPORTED.0, SUPPORTED.1, SUPPORTED.0, SUPPORTED.1
    );
}

fn pmd_dir() -> Option<String> {
    for var in ["pmdsdir", "pmds_dir", "DPDK_PLUGIN_PATH"] {
        let v = pkg_config_output(&["--variable", var, "libdpdk"]);
        if !v.is_empty() {
            return Some(v);
        }
    }
    let libdir = pkg_config_output(&["--variable", "libdir", "libdpdk"]);
    let dir = PathBuf::from(libdir).join("dpdk");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("pmds-"))
        })
        .collect();
    found.sort();
    found.pop().map(|p| p.to_string_lossy().into_owned())
}
