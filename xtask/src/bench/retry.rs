//! The retry figures: nanoseconds per policy decision in the main binary, and heap
//! allocations per decision from the allocation probe binary.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use impact_retry::Decision;

use super::retry_case::{Fixed, Input, Scenario};
use super::stats::median;

/// Decisions prepared and timed together: enough to make the clock reads negligible, few
/// enough to stay in the first-level cache.
const BATCH: usize = 1024;

/// Nanoseconds per decision in each repetition.
#[derive(Debug, Clone)]
pub(crate) struct RetryFigures {
    pub(crate) backoff_ns: Vec<f64>,
    pub(crate) hint_ns: Vec<f64>,
    /// Heap allocations per decision, counted by the probe.
    pub(crate) allocs_per_decision: f64,
    /// How many decisions the probe counted over.
    pub(crate) allocs_decisions: u64,
}

impl RetryFigures {
    pub(crate) fn backoff_median(&self) -> f64 {
        median(&self.backoff_ns)
    }

    pub(crate) fn hint_median(&self) -> f64 {
        median(&self.hint_ns)
    }
}

/// Checks that a scenario decides to retry: timing a give-up would time the wrong path.
fn check_retries(fixed: &Fixed) -> Result<(), String> {
    let mut inputs = Vec::new();
    let mut seed = 1;
    fixed.prepare(16, &mut seed, &mut inputs);
    for input in &mut inputs {
        if !matches!(fixed.decide(input), Decision::Retry(_)) {
            return Err("a measured retry scenario does not retry".to_owned());
        }
    }
    Ok(())
}

/// The median-ready samples of one scenario: `repetitions` repetitions of about `repetition`
/// each, only the decisions timed.
fn time_scenario(
    scenario: Scenario,
    repetitions: usize,
    repetition: Duration,
) -> Result<Vec<f64>, String> {
    let fixed = Fixed::new(scenario);
    check_retries(&fixed)?;
    let mut inputs: Vec<Input> = Vec::with_capacity(BATCH);
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut samples = Vec::with_capacity(repetitions);
    for _ in 0..repetitions {
        let mut timed = Duration::ZERO;
        let mut decisions = 0u64;
        let wall = Instant::now();
        while wall.elapsed() < repetition {
            fixed.prepare(BATCH, &mut seed, &mut inputs);
            let started = Instant::now();
            for input in &mut inputs {
                black_box(fixed.decide(black_box(input)));
            }
            timed += started.elapsed();
            decisions += BATCH as u64;
        }
        samples.push(timed.as_nanos() as f64 / decisions as f64);
    }
    Ok(samples)
}

/// Runs both scenarios (interleaved repetition by repetition) and the allocation probe.
pub(crate) fn run(
    repetitions: usize,
    repetition: Duration,
    probe: &Path,
) -> Result<RetryFigures, String> {
    let mut backoff_ns = Vec::with_capacity(repetitions);
    let mut hint_ns = Vec::with_capacity(repetitions);
    for _ in 0..repetitions {
        backoff_ns.extend(time_scenario(Scenario::Backoff, 1, repetition)?);
        hint_ns.extend(time_scenario(Scenario::ServerHint, 1, repetition)?);
    }
    let (allocs_per_decision, allocs_decisions) = count_allocations(probe)?;
    Ok(RetryFigures {
        backoff_ns,
        hint_ns,
        allocs_per_decision,
        allocs_decisions,
    })
}

/// Runs the probe binary, which prints `decisions=N allocations=M`.
fn count_allocations(probe: &Path) -> Result<(f64, u64), String> {
    let output = Command::new(probe).output().map_err(|error| {
        format!(
            "cannot run the allocation probe {}: {error}",
            probe.display()
        )
    })?;
    if !output.status.success() {
        return Err(format!(
            "the allocation probe failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    parse_probe(&text).ok_or_else(|| format!("unexpected output of the allocation probe: {text:?}"))
}

/// Reads `decisions=N allocations=M` into (allocations per decision, decisions).
fn parse_probe(text: &str) -> Option<(f64, u64)> {
    let mut decisions = None;
    let mut allocations = None;
    for word in text.split_whitespace() {
        if let Some(value) = word.strip_prefix("decisions=") {
            decisions = value.parse::<u64>().ok();
        } else if let Some(value) = word.strip_prefix("allocations=") {
            allocations = value.parse::<u64>().ok();
        }
    }
    let decisions = decisions.filter(|&count| count > 0)?;
    Some((allocations? as f64 / decisions as f64, decisions))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Option<(f64, u64)>) {
        assert_eq!(parse_probe(input), expect, "{input:?}");
    }

    #[test]
    fn probe_output_is_read_strictly() {
        check("decisions=2048 allocations=0\n", Some((0.0, 2048)));
        check("decisions=4 allocations=2", Some((0.5, 4)));
        check("decisions=0 allocations=0", None);
        check("allocations=3", None);
        check("decisions=x allocations=1", None);
        check("", None);
    }

    #[test]
    fn both_scenarios_retry_and_take_positive_time() {
        for scenario in [Scenario::Backoff, Scenario::ServerHint] {
            let samples = time_scenario(scenario, 1, Duration::from_millis(5)).unwrap();
            assert!(samples[0] > 0.0 && samples[0].is_finite(), "{samples:?}");
        }
    }
}
