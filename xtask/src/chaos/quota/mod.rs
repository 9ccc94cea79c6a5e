//! `chaos quota`: SPEC 11's shared-quota figures with real processes. `impact sync`
//! processes share one Redis against `impact mock --quota 300/60` with demand above the limit:
//! alone, beside a hidden tool spending 30% of the quota, and with Redis killed mid-run. Then
//! admission latency against `PING` on one connection (impact-quota's example).
//!
//! Each row has a mock and a Redis of its own, so that the rows run side by side in real time
//! (about four minutes; the load is a few calls a second per row).

mod row;
mod tally;

use std::path::Path;
use std::process::Command;

use crate::goals::{self, Checked, Goal};
use row::{Row, RowRun, Setting};

pub(crate) const USAGE: &str =
    "usage: cargo xtask chaos quota [--processes 1,4,16] [--latency-rounds N]";

/// What `chaos quota` is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuotaFlags {
    /// The numbers of processes, each a row alone and a row beside the hidden tool; the
    /// largest two also a row with Redis killed.
    pub(crate) processes: Vec<usize>,
    /// Rounds of the admission-latency example (PING and admission each).
    pub(crate) latency_rounds: u32,
}

/// Parses the flags after `chaos quota`.
pub(crate) fn parse_flags(args: &[String]) -> Result<QuotaFlags, String> {
    let mut flags = QuotaFlags {
        processes: vec![1, 4, 16],
        latency_rounds: 20_000,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("chaos quota: {arg} needs a value\n{USAGE}"))?;
        match arg.as_str() {
            "--processes" => {
                flags.processes = value
                    .split(',')
                    .map(|n| n.parse().ok().filter(|n| (1..=64).contains(n)))
                    .collect::<Option<_>>()
                    .ok_or_else(|| format!("--processes wants 1 to 64 each, not {value:?}"))?;
            }
            "--latency-rounds" => {
                flags.latency_rounds =
                    value.parse().ok().filter(|&n| n >= 1_000).ok_or_else(|| {
                        format!("--latency-rounds wants 1000 or more, not {value:?}")
                    })?;
            }
            other => return Err(format!("chaos quota: unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(flags)
}

/// Runs every row side by side, then the latency comparison; exits non-zero on a missed goal.
pub(crate) fn run(impact: &Path, flags: &QuotaFlags) -> Result<(), String> {
    let rows = rows(&flags.processes);
    let scratch = std::env::temp_dir().join(format!("xtask-chaos-quota-{}", std::process::id()));
    eprintln!(
        "chaos quota: {} rows side by side against impact mock --quota 300/60",
        rows.len()
    );
    let runs = run_rows(impact, &rows, &scratch)?;
    let mut checked = Vec::new();
    for run in &runs {
        print_row(run);
        checked.extend(check_row(run));
    }
    let ratio = admission_ratio(&scratch, flags.latency_rounds)?;
    checked.push(Checked::new(
        "admission median / PING median (median of 3 runs)",
        ratio,
        Goal::AtMost(1.5),
    ));
    let _ = std::fs::remove_dir_all(&scratch);
    println!();
    for check in &checked {
        println!(
            "{:<64} {:>8.4}  goal {:<8} {}",
            check.figure,
            check.value,
            check.goal.to_string(),
            check.verdict()
        );
    }
    goals::gate("cargo xtask chaos quota", &checked)
}

/// Every count alone and beside the hidden tool; the largest two also with Redis killed.
fn rows(counts: &[usize]) -> Vec<Row> {
    let mut rows = Vec::new();
    for &processes in counts {
        for setting in [Setting::Alone, Setting::HiddenTool] {
            rows.push(Row { processes, setting });
        }
    }
    let mut largest = counts.to_vec();
    largest.sort_unstable();
    largest.dedup();
    for &processes in largest.iter().rev().take(2) {
        rows.push(Row {
            processes,
            setting: Setting::RedisKilled,
        });
    }
    rows
}

/// Runs every row at once, each in a directory of its own.
fn run_rows(impact: &Path, rows: &[Row], scratch: &Path) -> Result<Vec<RowRun>, String> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = rows
            .iter()
            .enumerate()
            .map(|(index, &row)| {
                let dir = scratch.join(format!("row{index}"));
                scope.spawn(move || {
                    std::fs::create_dir_all(&dir)
                        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                    row::run(impact, row, &dir)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().map_err(|_| "a row panicked".to_owned())?)
            .collect()
    })
}

fn describe(row: Row) -> String {
    let what = match row.setting {
        Setting::Alone => "",
        Setting::HiddenTool => ", hidden tool 30%",
        Setting::RedisKilled => ", Redis killed at 90 s",
    };
    format!("{:>2} processes{what}", row.processes)
}

/// A row's windows: the processes' answers and the hidden tool's.
fn print_row(run: &RowRun) {
    println!(
        "\n{} ({:.0} s; windows counted: {:?})",
        describe(run.row),
        run.secs,
        run.counted
    );
    println!("  window  ours 200  ours 429  hidden 200  hidden 429  utilisation");
    for (index, t) in run.windows.iter().enumerate() {
        let used = (t.ours_ok + t.hidden_ok) as f64 / row::LIMIT as f64;
        let note = if run.counted.contains(&index) {
            ""
        } else {
            "  (not counted)"
        };
        println!(
            "  {index:>6}  {:>8}  {:>8}  {:>10}  {:>10}  {used:>11.4}{note}",
            t.ours_ok, t.ours_429, t.hidden_ok, t.hidden_429
        );
    }
    for failure in &run.failures {
        println!("  FAILED {failure}");
    }
}

/// SPEC 11's goals for one row: every process exits 0; no 429 after the first window alone,
/// at most one a window beside the hidden tool, at most one per process a window with Redis
/// killed; utilisation of the counted windows at least 0.95 (not judged with Redis killed).
fn check_row(run: &RowRun) -> Vec<Checked> {
    let name = describe(run.row);
    let most_429 = run.windows.iter().skip(1).map(|t| t.ours_429).max();
    let allowed_429 = match run.row.setting {
        Setting::Alone => 0.0,
        Setting::HiddenTool => 1.0,
        Setting::RedisKilled => run.row.processes as f64,
    };
    let mut checked = vec![
        Checked::new(
            format!("{name}: processes not exiting 0"),
            run.failures.len() as f64,
            Goal::AtMost(0.0),
        ),
        Checked::new(
            format!("{name}: most 429s in a window after the first"),
            most_429.unwrap_or(0) as f64,
            Goal::AtMost(allowed_429),
        ),
    ];
    let utilisation: Vec<f64> = run.windows[run.counted.clone()]
        .iter()
        .map(|t| (t.ours_ok + t.hidden_ok) as f64 / row::LIMIT as f64)
        .collect();
    if run.row.setting != Setting::RedisKilled {
        // No counted window is a run too short to judge: it counts as no utilisation.
        let mean = utilisation.iter().sum::<f64>() / utilisation.len().max(1) as f64;
        checked.push(Checked::new(
            format!("{name}: utilisation, mean of {} windows", utilisation.len()),
            mean,
            Goal::AtLeast(0.95),
        ));
    }
    checked
}

/// The median of three runs of impact-quota's admission-latency example against a Redis of
/// its own: median admission over median `PING`, on one connection, in one run.
fn admission_ratio(scratch: &Path, rounds: u32) -> Result<f64, String> {
    let dir = scratch.join("latency");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let redis = crate::chaos::redis::Redis::start(&dir)?;
    let mut ratios = Vec::new();
    for _ in 0..3 {
        let output = Command::new("cargo")
            .args(["run", "--release", "--locked", "-q", "-p", "impact-quota"])
            .args(["--example", "admission_latency", "--"])
            .args([redis.url(), rounds.to_string()])
            .current_dir(crate::project_root())
            .output()
            .map_err(|e| format!("cannot run the admission_latency example: {e}"))?;
        let text = String::from_utf8_lossy(&output.stdout);
        eprint!("{text}");
        let ratio = text
            .split("ratio ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|number| number.parse::<f64>().ok())
            .ok_or_else(|| format!("the admission_latency example printed no ratio: {text}"))?;
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    Ok(ratios[1])
}
