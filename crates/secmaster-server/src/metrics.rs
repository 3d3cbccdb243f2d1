//! The server's counters, written at `/metrics` in Prometheus' text format: requests by
//! route and status, a latency histogram, the batch served, pick-ups, and the process's
//! resident memory.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The latency histogram's upper bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.1, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    /// Per bucket (and one past the last), requests that took at most its bound.
    latency: [AtomicU64; BUCKETS.len() + 1],
    latency_micros: AtomicU64,
    batch: AtomicU64,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
    reload_micros: AtomicU64,
}

impl Metrics {
    pub(crate) fn request(&self, route: &str, status: u16, took: Duration) {
        {
            let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            match requests.get_mut(&(route.to_string(), status)) {
                Some(n) => *n += 1,
                None => {
                    requests.insert((route.to_string(), status), 1);
                }
            }
        }
        let secs = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(BUCKETS.len());
        self.latency[bucket].fetch_add(1, Ordering::Relaxed);
        self.latency_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    pub(crate) fn set_batch(&self, batch: u64) {
        self.batch.store(batch, Ordering::Relaxed);
    }

    pub(crate) fn reloaded(&self, took: Duration) {
        self.reloads.fetch_add(1, Ordering::Relaxed);
        self.reload_micros
            .store(took.as_micros() as u64, Ordering::Relaxed);
    }

    pub(crate) fn reload_failed(&self) {
        self.reload_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The metrics in Prometheus' text exposition format.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let _ = self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) -> std::fmt::Result {
        writeln!(
            out,
            "# HELP secmaster_requests_total HTTP requests answered."
        )?;
        writeln!(out, "# TYPE secmaster_requests_total counter")?;
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for ((route, status), n) in requests {
            writeln!(
                out,
                "secmaster_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            )?;
        }
        writeln!(
            out,
            "# HELP secmaster_request_duration_seconds Time to answer a request (to its first body byte)."
        )?;
        writeln!(out, "# TYPE secmaster_request_duration_seconds histogram")?;
        let mut total = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            total += self.latency[i].load(Ordering::Relaxed);
            writeln!(
                out,
                "secmaster_request_duration_seconds_bucket{{le=\"{bound}\"}} {total}"
            )?;
        }
        total += self.latency[BUCKETS.len()].load(Ordering::Relaxed);
        writeln!(
            out,
            "secmaster_request_duration_seconds_bucket{{le=\"+Inf\"}} {total}"
        )?;
        let sum = self.latency_micros.load(Ordering::Relaxed) as f64 / 1e6;
        writeln!(out, "secmaster_request_duration_seconds_sum {sum}")?;
        writeln!(out, "secmaster_request_duration_seconds_count {total}")?;
        let gauges = [
            (
                "secmaster_batch",
                "gauge",
                "The committed batch served.",
                self.batch.load(Ordering::Relaxed) as f64,
            ),
            (
                "secmaster_reloads_total",
                "counter",
                "Commits picked up.",
                self.reloads.load(Ordering::Relaxed) as f64,
            ),
            (
                "secmaster_reload_failures_total",
                "counter",
                "Pick-ups that failed (the last snapshot is served meanwhile).",
                self.reload_failures.load(Ordering::Relaxed) as f64,
            ),
            (
                "secmaster_last_reload_seconds",
                "gauge",
                "How long the last pick-up took.",
                self.reload_micros.load(Ordering::Relaxed) as f64 / 1e6,
            ),
            (
                "secmaster_resident_memory_bytes",
                "gauge",
                "The process's resident memory.",
                resident_bytes().unwrap_or(0) as f64,
            ),
        ];
        for (name, kind, help, value) in gauges {
            writeln!(out, "# HELP {name} {help}")?;
            writeln!(out, "# TYPE {name} {kind}")?;
            writeln!(out, "{name} {value}")?;
        }
        Ok(())
    }
}

/// The process's resident set size, from `/proc/self/statm` (Linux; `None` elsewhere).
pub(crate) fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
