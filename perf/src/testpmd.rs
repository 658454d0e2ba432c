//! The baseline: `dpdk-testpmd --forward-mode=io` on the same vdevs and
//! cores as the UPF, in the same run.
//!
//! testpmd runs as a child process with `--stats-period 1`; its per-second
//! `Rx-pps` lines are summed over ports and averaged over the measured
//! seconds (the first ones are warm-up).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A testpmd run.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The binary (`dpdk-testpmd`).
    pub binary: String,
    /// EAL arguments (lcores, memory, vdevs).
    pub eal: Vec<String>,
    /// Forwarding cores.
    pub cores: u32,
    /// RX/TX queues per port.
    pub queues: u32,
    /// Mbufs in testpmd's pool.
    pub mbufs: u32,
    /// Seconds discarded at the start.
    pub warmup_s: u32,
    /// Seconds measured.
    pub measure_s: u32,
}

/// What testpmd forwarded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BaselineResult {
    /// Mean packets per second received over the measured seconds (all
    /// ports).
    pub pps: f64,
    /// Mean bits per second received (testpmd counts frame bytes without
    /// FCS).
    pub bps: f64,
    /// Per-second samples of pps.
    pub samples: Vec<f64>,
    /// The command line.
    pub command: String,
}

/// Sums the `Rx-pps:`/`Rx-bps:` figures of one block of testpmd's
/// periodic statistics output; returns `(pps, bps)` per block, a block
/// ending at the line that closes the last port's statistics.
pub fn parse_rates(lines: &[String], ports: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let (mut pps, mut bps, mut seen) = (0.0, 0.0, 0);
    for l in lines {
        if let Some(rest) = l.trim().strip_prefix("Rx-pps:") {
            let mut it = rest.split_whitespace();
            pps += it.next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            // "Rx-bps: N"
            if let (Some("Rx-bps:"), Some(b)) = (it.next(), it.next()) {
                bps += b.parse::<f64>().unwrap_or(0.0);
            }
            seen += 1;
            if seen == ports {
                out.push((pps, bps));
                (pps, bps, seen) = (0.0, 0.0, 0);
            }
        }
    }
    out
}

impl Baseline {
    /// The command line.
    pub fn args(&self) -> Vec<String> {
        let mut a = self.eal.clone();
        a.push("--".into());
        a.extend([
            "--forward-mode=io".into(),
            "--no-flush-rx".into(),
            "--stats-period=1".into(),
            format!("--nb-cores={}", self.cores),
            format!("--rxq={}", self.queues),
            format!("--txq={}", self.queues),
            format!("--total-num-mbufs={}", self.mbufs),
            "--burst=32".into(),
        ]);
        a
    }

    /// Runs testpmd for warm-up + measured seconds and stops it.
    pub fn run(
        &self,
        ports: usize,
        mut progress: impl FnMut(f64),
    ) -> std::io::Result<BaselineResult> {
        let args = self.args();
        let command = format!("{} {}", self.binary, args.join(" "));
        let mut child = Command::new(&self.binary)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let total = Duration::from_secs(u64::from(self.warmup_s + self.measure_s) + 1);
        let deadline = Instant::now() + total + Duration::from_secs(20);
        let mut lines = Vec::new();
        let mut blocks = 0;
        while Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(l) => {
                    lines.push(l);
                    let r = parse_rates(&lines, ports);
                    if r.len() > blocks {
                        blocks = r.len();
                        progress(r.last().map_or(0.0, |x| x.0));
                        // The first block is the cumulative start-up period.
                        if blocks > (self.warmup_s + self.measure_s) as usize {
                            break;
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        // testpmd stops cleanly on SIGINT; as a child we own its pid.
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if child.try_wait()?.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if child.try_wait()?.is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = reader.join();
        let rates = parse_rates(&lines, ports);
        let skip = (self.warmup_s as usize + 1).min(rates.len().saturating_sub(1));
        let samples: Vec<(f64, f64)> = rates.into_iter().skip(skip).collect();
        let n = samples.len().max(1) as f64;
        Ok(BaselineResult {
            pps: samples.iter().map(|s| s.0).sum::<f64>() / n,
            bps: samples.iter().map(|s| s.1).sum::<f64>() / n,
            samples: samples.iter().map(|s| s.0).collect(),
            command,
        })
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn parses_periodic_stats() {
        let text = "
  ######################## NIC statistics for port 0  ########################
  RX-packets: 100        RX-missed: 0          RX-bytes:  6400
  Throughput (since last show)
  Rx-pps:         1000          Rx-bps:       512000
  Tx-pps:            0          Tx-bps:            0
  ######################## NIC statistics for port 1  ########################
  Throughput (since last show)
  Rx-pps:            0          Rx-bps:            0
  Tx-pps:         1000          Tx-bps:       512000
  Rx-pps:         2000          Rx-bps:      1024000
  Rx-pps:            5          Rx-bps:           40
";
        let lines: Vec<String> = text.lines().map(String::from).collect();
        assert_eq!(
            parse_rates(&lines, 2),
            vec![(1000.0, 512000.0), (2005.0, 1024040.0)]
        );
    }
}
