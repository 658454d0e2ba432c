//! The `upf` binary: `run`, `check-config`, `ctl`, and `smf` (a small SMF
//! for labs and tests).
//!
//! Exit status: 0 on success, 64 for an unusable configuration or command
//! line (the message names the field), 1 for any other failure.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cnf::config::{self, ConfigError};
use cnf::ctl::{self, Query};

/// Status for a bad configuration or command line (EX_USAGE).
const EXIT_CONFIG: u8 = 64;

#[derive(Debug, Parser)]
#[command(name = "upf", version, about = "5G User Plane Function")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the UPF until SIGTERM or SIGINT.
    Run {
        /// Configuration file (TOML).
        #[arg(long, short, env = "UPF_CONFIG")]
        config: PathBuf,
    },
    /// Validate the configuration and print it as resolved (environment
    /// overrides and Kubernetes discovery applied).
    CheckConfig {
        /// Configuration file (TOML).
        #[arg(long, short, env = "UPF_CONFIG")]
        config: PathBuf,
        /// Print JSON instead of TOML.
        #[arg(long)]
        json: bool,
    },
    /// Query a running UPF over its gRPC management API.
    Ctl {
        /// Management API address.
        #[arg(long, default_value = "http://127.0.0.1:50051", env = "UPF_CTL_ADDR")]
        addr: String,
        #[command(subcommand)]
        query: CtlCommand,
    },
    /// Play the SMF for a lab: set up a PFCP association, establish UE
    /// sessions, hold them, delete them and print the usage reports.
    Smf(SmfArgs),
}

#[derive(Debug, clap::Args)]
struct SmfArgs {
    /// The UPF's PFCP address.
    #[arg(long, default_value = "127.0.0.1:8805")]
    upf: std::net::SocketAddr,
    /// Local address to bind.
    #[arg(long, default_value = "0.0.0.0:0")]
    bind: std::net::SocketAddr,
    /// This SMF's Node ID (IPv4).
    #[arg(long, default_value = "127.0.0.1")]
    node_id: std::net::Ipv4Addr,
    /// Sessions to establish.
    #[arg(long, default_value_t = 1)]
    sessions: u32,
    /// First UE address (the next sessions take the following ones).
    #[arg(long, default_value = "10.45.0.2")]
    ue: std::net::Ipv4Addr,
    /// The gNB's N3 address (downlink tunnel peer).
    #[arg(long)]
    gnb: std::net::Ipv4Addr,
    /// The UPF's N3 address (for explicit uplink F-TEIDs).
    #[arg(long)]
    upf_n3: std::net::Ipv4Addr,
    /// First downlink (gNB) TEID, decimal or 0x-hex.
    #[arg(long, default_value = "0x2000", value_parser = ctl::parse_seid)]
    dl_teid: u64,
    /// First uplink TEID, decimal or 0x-hex, or `choose` (the UPF allocates).
    #[arg(long, default_value = "choose")]
    ul_teid: String,
    /// QoS flow identifier.
    #[arg(long, default_value_t = 9)]
    qfi: u8,
    /// Write the sessions (then the usage reports) here as JSON.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Hold the sessions until this file exists, then delete them.
    #[arg(long)]
    delete_when: Option<PathBuf>,
    /// Longest hold, seconds.
    #[arg(long, default_value_t = 600)]
    hold_max_s: u64,
}

#[derive(Debug, Subcommand)]
enum CtlCommand {
    /// List sessions.
    Sessions,
    /// Show one session's rules and usage.
    Session {
        /// Local SEID, decimal or 0x-hex.
        #[arg(value_parser = ctl::parse_seid)]
        seid: u64,
    },
    /// List PFCP associations.
    Associations,
    /// Port, worker, drop and stage counters.
    Stats,
    /// Offload mode, capabilities and rule counts.
    Offload,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// See the dependency's note in Cargo.toml.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_CONFIG)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match real_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("upf: {e}");
            if e.is::<ConfigError>() {
                ExitCode::from(EXIT_CONFIG)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn real_main(cli: Cli) -> Result<(), BoxError> {
    match cli.command {
        Command::Run { config } => {
            let cfg = config::load(&config, &config::Sources::process())?;
            cnf::run::run(cfg)?;
        }
        Command::CheckConfig { config, json } => {
            let cfg = config::load(&config, &config::Sources::process())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&cfg)?);
            } else {
                print!("{}", toml::to_string_pretty(&cfg)?);
            }
        }
        Command::Smf(a) => {
            let teid = |v: u64, what: &str| {
                u32::try_from(v).map_err(|_| format!("{what} {v:#x} does not fit 32 bits"))
            };
            let ul_teid_base = match a.ul_teid.as_str() {
                "choose" => None,
                t => Some(teid(ctl::parse_seid(t)?, "--ul-teid")?),
            };
            let o = cnf::smf::CliOptions {
                upf: a.upf,
                bind: a.bind,
                node_id: a.node_id,
                sessions: a.sessions,
                ue_base: a.ue,
                gnb: a.gnb,
                upf_n3: a.upf_n3,
                dl_teid_base: teid(a.dl_teid, "--dl-teid")?,
                ul_teid_base,
                qfi: a.qfi,
                out: a.out,
                delete_when: a.delete_when,
                hold_max: std::time::Duration::from_secs(a.hold_max_s),
            };
            cnf::smf::run_cli(&o)?;
        }
        Command::Ctl { addr, query } => {
            let q = match query {
                CtlCommand::Sessions => Query::Sessions,
                CtlCommand::Session { seid } => Query::Session(seid),
                CtlCommand::Associations => Query::Associations,
                CtlCommand::Stats => Query::Stats,
                CtlCommand::Offload => Query::Offload,
            };
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            print!("{}", rt.block_on(ctl::run(&addr, &q))?);
        }
    }
    Ok(())
}
