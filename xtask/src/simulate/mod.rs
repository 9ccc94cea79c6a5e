//! `cargo xtask simulate [--json]`: a deterministic discrete-event simulator in virtual time
//! that drives the real `impact-retry` policy through the three scenarios of SPEC 7
//! (contention, outage, rate limit), reports the figures, and exits non-zero when one misses
//! its goal.
//!
//! Every run is seeded, so the figures are the same from one run to the next.

mod contention;
mod outage;
mod ratelimit;
pub(crate) mod rng;
mod shared_quota;
mod stats;

use std::fmt::Write as _;

use crate::goals::{self, Checked, Goal};
use stats::Estimate;

/// Seeded runs averaged per contention figure (the published model averages 100).
const CONTENTION_RUNS: u64 = 100;
const CLIENT_COUNTS: [usize; 3] = [50, 100, 150];
/// The published model's figures at N = 100 (calls per client, completion in seconds).
const REFERENCE_NONE: (f64, f64) = (18.6, 63.0);
const REFERENCE_FULL: (f64, f64) = (7.95, 4.98);
/// Seeds averaged for the outage and rate-limit figures.
const OUTAGE_RUNS: u64 = 100;
const RATE_LIMIT_RUNS: u64 = 100;
/// The rows of the contention table that SPEC 7's goal applies to, at N = 100: the real
/// default policy, and the same policy with unlimited attempts (the model's comparison).
const GATED_STRATEGIES: [&str; 2] = ["default", "default_unlimited"];

struct ContentionRow {
    clients: usize,
    strategy: &'static str,
    calls: Estimate,
    completion: Estimate,
    /// Clients, over all runs, whose write never succeeded because the policy gave up.
    gave_up: usize,
}

/// The rate-limit scenario over many seeds.
struct RateLimitFigures {
    /// The most 429s any client met in any counted window of any seed.
    max_429_per_client_per_window: u64,
    total_429: Estimate,
    utilization: Estimate,
    utilization_min: f64,
    failed_fast: Estimate,
}

/// Everything one run of the simulator measured.
struct Figures {
    contention: Vec<ContentionRow>,
    outage_with_budget: Estimate,
    outage_without_budget: Estimate,
    rate_limit: RateLimitFigures,
    shared_quota: Vec<shared_quota::Row>,
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut json = false;
    for arg in args {
        match arg.as_str() {
            "--json" => json = true,
            other => return Err(format!("simulate: unknown argument {other:?}")),
        }
    }
    let figures = Figures::measure();
    if json {
        println!("{}", figures.json()?);
    } else {
        print!("{}", figures.table()?);
    }
    goals::gate("simulate", &figures.checked()?)
}

impl Figures {
    fn measure() -> Figures {
        Figures {
            contention: contention_rows(),
            outage_with_budget: Estimate::of(
                &(0..OUTAGE_RUNS)
                    .map(|seed| outage::amplification(outage::Budget::Default, seed))
                    .collect::<Vec<_>>(),
            ),
            outage_without_budget: Estimate::of(
                &(0..OUTAGE_RUNS)
                    .map(|seed| outage::amplification(outage::Budget::None, seed))
                    .collect::<Vec<_>>(),
            ),
            rate_limit: rate_limit_figures(),
            shared_quota: shared_quota::rows(),
        }
    }

    fn at_100(&self, strategy: &str) -> Result<&ContentionRow, String> {
        self.contention
            .iter()
            .find(|row| row.clients == 100 && row.strategy == strategy)
            .ok_or_else(|| format!("simulate: no contention row for {strategy} at N = 100"))
    }

    /// Every figure beside its goal (SPEC 7).
    fn checked(&self) -> Result<Vec<Checked>, String> {
        let mut checked = Vec::new();
        for strategy in GATED_STRATEGIES {
            let row = self.at_100(strategy)?;
            checked.push(Checked::new(
                format!("contention.{strategy}.calls_per_client"),
                row.calls.mean,
                Goal::AtMost(8.0),
            ));
            checked.push(Checked::new(
                format!("contention.{strategy}.completion_s"),
                row.completion.mean,
                Goal::AtMost(5.0),
            ));
        }
        let rate = &self.rate_limit;
        checked.extend([
            Checked::new(
                "outage.amplification_default",
                self.outage_with_budget.mean,
                Goal::AtMost(1.05),
            ),
            Checked::new(
                "outage.amplification_no_budget",
                self.outage_without_budget.mean,
                Goal::Record,
            ),
            Checked::new(
                "ratelimit.max_429_per_client_per_window",
                rate.max_429_per_client_per_window as f64,
                Goal::AtMost(1.0),
            ),
            Checked::new(
                "ratelimit.utilization_min",
                rate.utilization_min,
                Goal::AtLeast(0.95),
            ),
        ]);
        checked.extend(shared_quota::checked(&self.shared_quota));
        Ok(checked)
    }

    /// One JSON object with every figure under its dotted key and the verdict.
    fn json(&self) -> Result<String, String> {
        let mut out = String::from("{");
        for strategy in [
            "none",
            "full",
            "equal",
            "decorrelated",
            "default",
            "default_unlimited",
            "default_base_as_initial",
        ] {
            let row = self.at_100(strategy)?;
            let _ = write!(
                out,
                "\"contention.{s}.calls_per_client\": {:.3}, \"contention.{s}.calls_per_client_ci95\": {:.3}, \
                 \"contention.{s}.completion_s\": {:.3}, \"contention.{s}.completion_s_ci95\": {:.3}, \
                 \"contention.{s}.gave_up\": {}, ",
                row.calls.mean,
                row.calls.ci95,
                row.completion.mean,
                row.completion.ci95,
                row.gave_up,
                s = strategy,
            );
        }
        let rate = &self.rate_limit;
        let missed = goals::missed(&self.checked()?);
        out.push_str(&shared_quota::json_members(&self.shared_quota));
        let _ = write!(
            out,
            "\"outage.amplification_default\": {:.4}, \"outage.amplification_default_ci95\": {:.4}, \
             \"outage.amplification_no_budget\": {:.4}, \"outage.amplification_no_budget_ci95\": {:.4}, \
             \"outage.runs\": {OUTAGE_RUNS}, \
             \"ratelimit.max_429_per_client_per_window\": {}, \"ratelimit.total_429\": {:.3}, \
             \"ratelimit.total_429_ci95\": {:.3}, \"ratelimit.utilization\": {:.4}, \
             \"ratelimit.utilization_ci95\": {:.4}, \"ratelimit.utilization_min\": {:.4}, \
             \"ratelimit.failed_fast\": {:.3}, \"ratelimit.runs\": {RATE_LIMIT_RUNS}, \
             \"runs\": {CONTENTION_RUNS}, \"goals_met\": {}, \"goals_missed\": {}}}",
            self.outage_with_budget.mean,
            self.outage_with_budget.ci95,
            self.outage_without_budget.mean,
            self.outage_without_budget.ci95,
            rate.max_429_per_client_per_window,
            rate.total_429.mean,
            rate.total_429.ci95,
            rate.utilization.mean,
            rate.utilization.ci95,
            rate.utilization_min,
            rate.failed_fast.mean,
            missed.is_empty(),
            serde_json::Value::from(missed),
        );
        Ok(out)
    }

    /// The readable report: the three scenarios, then every goal and whether it is met.
    fn table(&self) -> Result<String, String> {
        let mut out = String::new();
        self.write_contention(&mut out)?;
        let rate = &self.rate_limit;
        let _ = writeln!(
            out,
            "\noutage (100 req/s, 30 s of 503s after 60 s healthy; mean ± 95% CI over {OUTAGE_RUNS} seeds)"
        );
        let _ = writeln!(
            out,
            "  amplification with the retry budget: {:.4} ± {:.4}\n  amplification without a budget:      {:.4} ± {:.4}",
            self.outage_with_budget.mean,
            self.outage_with_budget.ci95,
            self.outage_without_budget.mean,
            self.outage_without_budget.ci95,
        );
        let _ = writeln!(
            out,
            "\nrate limit (L = 1000 per 3600 s, 4 clients wanting 2L each, windows 2 to 5; \
             mean ± 95% CI over {RATE_LIMIT_RUNS} seeds)"
        );
        let _ = writeln!(
            out,
            "  most 429s for one client in one window (any seed): {}\n  429s in all, per run:               {:.2} ± {:.2}\n  \
             utilisation of the allowance:       {:.4} ± {:.4} (lowest seed {:.4})\n  calls failed fast by pacing, per run: {:.1}",
            rate.max_429_per_client_per_window,
            rate.total_429.mean,
            rate.total_429.ci95,
            rate.utilization.mean,
            rate.utilization.ci95,
            rate.utilization_min,
            rate.failed_fast.mean,
        );
        out.push_str(&shared_quota::table(&self.shared_quota));
        let _ = writeln!(out, "\ngoals (SPEC 7 and 11)");
        for check in self.checked()? {
            let _ = writeln!(
                out,
                "  {:<44} {:>10.4} {:>10} {:>5}",
                check.figure,
                check.value,
                check.goal.to_string(),
                check.verdict()
            );
        }
        Ok(out)
    }

    fn write_contention(&self, out: &mut String) -> Result<(), String> {
        let _ = writeln!(
            out,
            "contention (AWS backoff-and-jitter model; base 5 ms, cap 2 s; mean ± 95% CI over {CONTENTION_RUNS} runs)\n\
             `default` is the real default policy (4 attempts, retry budget, 20 s cap) with only its\n\
             initial backoff translated to the model's schedule (2 x base); `default_unlimited` keeps\n\
             trying like the model's clients (unlimited attempts, the model's 2 s cap)."
        );
        let _ = writeln!(
            out,
            "{:>4}  {:<24} {:>18} {:>18} {:>8}",
            "N", "strategy", "calls/client", "completion (s)", "gave up"
        );
        for row in &self.contention {
            let _ = writeln!(
                out,
                "{:>4}  {:<24} {:>10.2} ± {:<5.2} {:>10.2} ± {:<5.2} {:>8}",
                row.clients,
                row.strategy,
                row.calls.mean,
                row.calls.ci95,
                row.completion.mean,
                row.completion.ci95,
                row.gave_up,
            );
        }
        let none = self.at_100("none")?;
        let full = self.at_100("full")?;
        let _ = writeln!(
            out,
            "model check at N = 100: none {:+.1}% calls, {:+.1}% time vs {:?}; full {:+.1}% calls, {:+.1}% time vs {:?}",
            percent(none.calls.mean, REFERENCE_NONE.0),
            percent(none.completion.mean, REFERENCE_NONE.1),
            REFERENCE_NONE,
            percent(full.calls.mean, REFERENCE_FULL.0),
            percent(full.completion.mean, REFERENCE_FULL.1),
            REFERENCE_FULL,
        );
        Ok(())
    }
}

fn contention_rows() -> Vec<ContentionRow> {
    let mut rows = Vec::new();
    for clients in CLIENT_COUNTS {
        for strategy in contention::Strategy::all() {
            let mut calls = Vec::new();
            let mut completion = Vec::new();
            let mut gave_up = 0;
            for run in 0..CONTENTION_RUNS {
                let seed = (clients as u64) << 32 | run;
                let result = contention::run_once(clients, &strategy, seed);
                calls.push(result.calls_per_client);
                completion.push(result.completion_s);
                gave_up += result.gave_up;
            }
            rows.push(ContentionRow {
                clients,
                strategy: strategy.name,
                calls: Estimate::of(&calls),
                completion: Estimate::of(&completion),
                gave_up,
            });
        }
    }
    rows
}

fn rate_limit_figures() -> RateLimitFigures {
    let runs: Vec<_> = (0..RATE_LIMIT_RUNS).map(ratelimit::run).collect();
    let of = |figure: fn(&ratelimit::RateLimitResult) -> f64| {
        Estimate::of(&runs.iter().map(figure).collect::<Vec<_>>())
    };
    RateLimitFigures {
        max_429_per_client_per_window: runs
            .iter()
            .map(|run| run.max_429_per_client_per_window)
            .max()
            .unwrap_or(0),
        total_429: of(|run| run.total_429 as f64),
        utilization: of(|run| run.utilization),
        utilization_min: runs
            .iter()
            .map(|run| run.utilization)
            .fold(f64::INFINITY, f64::min),
        failed_fast: of(|run| run.failed_fast as f64),
    }
}

fn percent(measured: f64, reference: f64) -> f64 {
    (measured / reference - 1.0) * 100.0
}
