//! Generates the management API's gRPC code from `proto/upf.proto`.
//!
//! `tonic-build` runs `protoc`, which Debian's `protobuf-compiler` package
//! provides (`scripts/setup.sh` installs it; the Containerfile's builder
//! stage too). Set `PROTOC` to use another one.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/upf.proto");
    tonic_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_protos(&["proto/upf.proto"], &["proto"])?;
    Ok(())
}
