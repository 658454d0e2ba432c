//! The `upf` binary: `run`, `check-config`, `ctl`.
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
