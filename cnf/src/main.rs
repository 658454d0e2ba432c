//! The `upf` binary.
#![forbid(unsafe_code)]

fn main() {
    eprintln!("upf: the service binary is not wired yet; see README.md");
    std::process::exit(64);
}
