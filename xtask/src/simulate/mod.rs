//! `cargo xtask simulate [--json]`: a deterministic discrete-event simulator in virtual time
//! that drives the real `impact-retry` policy through the three scenarios of SPEC 7
//! (contention, outage, rate limit) and reports the figures the project must reach.
//!
//! Every run is seeded, so the figures are the same from one run to the next.

mod contention;
mod outage;
mod ratelimit;
mod rng;
mod stats;

use std::fmt::Write as _;

use stats::Estimate;

/// Runs averaged per contention figure (the published model averages 100).
const CONTENTION_RUNS: u64 = 100;
const CLIENT_COUNTS: [usize; 3] = [50, 100, 150];
/// The published model's figures at N = 100 (calls per client, completion in seconds).
const REFERENCE_NONE: (f64, f64) = (18.6, 63.0);
const REFERENCE_FULL: (f64, f64) = (7.95, 4.98);
/// Seeds averaged for the outage figures.
const OUTAGE_RUNS: u64 = 10;

struct ContentionRow {
    clients: usize,
    strategy: &'static str,
    calls: Estimate,
    completion: Estimate,
    gave_up: usize,
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut json = false;
    for arg in args {
        match arg.as_str() {
            "--json" => json = true,
            other => return Err(format!("simulate: unknown argument {other:?}")),
        }
    }

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
    let outage_with = Estimate::of(
        &(0..OUTAGE_RUNS)
            .map(|seed| outage::amplification(true, seed))
            .collect::<Vec<_>>(),
    );
    let outage_without = Estimate::of(
        &(0..OUTAGE_RUNS)
            .map(|seed| outage::amplification(false, seed))
            .collect::<Vec<_>>(),
    );
    let rate = ratelimit::run(1);

    let at_100 = |strategy: &str| {
        rows.iter()
            .find(|row| row.clients == 100 && row.strategy == strategy)
            .ok_or_else(|| format!("simulate: no contention row for {strategy} at N = 100"))
    };
    if json {
        let mut out = String::from("{");
        for strategy in [
            "none",
            "full",
            "equal",
            "decorrelated",
            "default",
            "default_base_as_initial",
        ] {
            let row = at_100(strategy)?;
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
        let _ = write!(
            out,
            "\"outage.amplification_default\": {:.4}, \"outage.amplification_no_budget\": {:.4}, \
             \"ratelimit.max_429_per_client_per_window\": {}, \"ratelimit.total_429\": {}, \
             \"ratelimit.utilization\": {:.4}, \"ratelimit.failed_fast\": {}, \"runs\": {}}}",
            outage_with.mean,
            outage_without.mean,
            rate.max_429_per_client_per_window,
            rate.total_429,
            rate.utilization,
            rate.failed_fast,
            CONTENTION_RUNS,
        );
        println!("{out}");
        return Ok(());
    }

    println!(
        "contention (AWS backoff-and-jitter model; base 5 ms, cap 2 s; mean ± 95% CI over {CONTENTION_RUNS} runs)"
    );
    println!(
        "{:>4}  {:<24} {:>18} {:>18} {:>8}",
        "N", "strategy", "calls/client", "completion (s)", "gave up"
    );
    for row in &rows {
        println!(
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
    let none = at_100("none")?;
    let full = at_100("full")?;
    println!(
        "model check at N = 100: none {:+.1}% calls, {:+.1}% time vs {:?}; full {:+.1}% calls, {:+.1}% time vs {:?}",
        percent(none.calls.mean, REFERENCE_NONE.0),
        percent(none.completion.mean, REFERENCE_NONE.1),
        REFERENCE_NONE,
        percent(full.calls.mean, REFERENCE_FULL.0),
        percent(full.completion.mean, REFERENCE_FULL.1),
        REFERENCE_FULL,
    );
    println!();
    println!("outage (100 req/s, 30 s of 503s after 60 s healthy; mean over {OUTAGE_RUNS} seeds)");
    println!(
        "  amplification with the retry budget: {:.4} ± {:.4}",
        outage_with.mean, outage_with.ci95
    );
    println!(
        "  amplification without a budget:      {:.4} ± {:.4}",
        outage_without.mean, outage_without.ci95
    );
    println!();
    println!("rate limit (L = 1000 per 3600 s, 4 clients wanting 2L each, windows 2 to 5)");
    println!(
        "  most 429s for one client in one window: {}",
        rate.max_429_per_client_per_window
    );
    println!(
        "  429s in all:                            {}",
        rate.total_429
    );
    println!(
        "  utilisation of the allowance:           {:.4}",
        rate.utilization
    );
    println!(
        "  calls failed fast by pacing:            {}",
        rate.failed_fast
    );
    Ok(())
}

fn percent(measured: f64, reference: f64) -> f64 {
    (measured / reference - 1.0) * 100.0
}
