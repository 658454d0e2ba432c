//! Latency distributions (hdrhistogram, nanoseconds) and their summaries.

use hdrhistogram::Histogram;

/// Latency samples in nanoseconds, 1 ns to 60 s, three significant digits.
#[derive(Debug, Clone)]
pub struct Latency {
    h: Histogram<u64>,
}

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

/// The figures a report shows.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    /// Samples.
    pub count: u64,
    /// Smallest, ns.
    pub min_ns: u64,
    /// Median, ns.
    pub p50_ns: u64,
    /// 99th percentile, ns.
    pub p99_ns: u64,
    /// 99.9th percentile, ns.
    pub p999_ns: u64,
    /// Largest, ns.
    pub max_ns: u64,
    /// Mean, ns.
    pub mean_ns: f64,
}

impl Latency {
    /// An empty distribution.
    pub fn new() -> Latency {
        Latency {
            h: Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid bounds"),
        }
    }

    /// Records one sample (clamped into range; never allocates).
    #[inline]
    pub fn record(&mut self, ns: u64) {
        self.h.saturating_record(ns.max(1));
    }

    /// Adds another distribution.
    pub fn merge(&mut self, o: &Latency) {
        // Same bounds on both sides: cannot fail.
        let _ = self.h.add(&o.h);
    }

    /// Samples recorded.
    pub fn len(&self) -> u64 {
        self.h.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.h.is_empty()
    }

    /// The value at quantile `q` (0..=1), ns.
    pub fn quantile(&self, q: f64) -> u64 {
        self.h.value_at_quantile(q)
    }

    /// Median, p99, p99.9 and the rest.
    pub fn summary(&self) -> Summary {
        if self.h.is_empty() {
            return Summary::default();
        }
        Summary {
            count: self.h.len(),
            min_ns: self.h.min(),
            p50_ns: self.quantile(0.5),
            p99_ns: self.quantile(0.99),
            p999_ns: self.quantile(0.999),
            max_ns: self.h.max(),
            mean_ns: self.h.mean(),
        }
    }

    /// Points of the cumulative distribution, `(ns, fraction <= ns)`, dense
    /// in the tail: quantiles 0, 0.01 .. 0.99 by 0.01, then 0.995, 0.999,
    /// 0.9995, 0.9999 and 1.
    pub fn cdf(&self) -> Vec<(u64, f64)> {
        if self.h.is_empty() {
            return Vec::new();
        }
        let mut qs: Vec<f64> = (0..100).map(|k| f64::from(k) / 100.0).collect();
        qs.extend([0.995, 0.999, 0.9995, 0.9999, 1.0]);
        qs.into_iter().map(|q| (self.quantile(q), q)).collect()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut l = Latency::new();
        for v in 1..=10_000u64 {
            l.record(v * 10);
        }
        let s = l.summary();
        assert_eq!(s.count, 10_000);
        // Three significant digits: within 0.1%.
        let close = |a: u64, b: u64| (a as f64 - b as f64).abs() <= b as f64 * 0.001;
        assert!(close(s.p50_ns, 50_000), "{s:?}");
        assert!(close(s.p99_ns, 99_000), "{s:?}");
        assert!(close(s.p999_ns, 99_900), "{s:?}");
        assert!(close(s.max_ns, 100_000), "{s:?}");
        assert_eq!(s.min_ns, 10);
        let cdf = l.cdf();
        assert!(cdf.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 < w[1].1));
        assert_eq!(cdf.last().unwrap().1, 1.0);
    }

    #[test]
    fn merge_and_empty() {
        let mut a = Latency::new();
        assert!(a.is_empty());
        assert_eq!(a.summary(), Summary::default());
        let mut b = Latency::new();
        b.record(0);
        b.record(5);
        a.merge(&b);
        assert_eq!(a.len(), 2);
        assert_eq!(a.summary().min_ns, 1);
    }
}
