//! The shared-quota scenario (SPEC 11, in virtual time): 1 to 64 processes pace one account
//! through one shared store (`impact-quota`'s pure model, which its Redis scripts are held
//! to), against an account allowing L calls per fixed window, with demand far above the limit,
//! with and without another tool spending 30% of the quota behind their back.
//!
//! Each process runs a few workers in a closed loop: ask the store, wait as told, send, feed
//! the answer's headers back to the store, and ask again for the next call (a 429 is retried
//! through the same admission). The account answers like `impact mock --quota 300/60`:
//! `X-RateLimit-Limit`, `-Remaining`, `-Reset` (a delay, rounded up) and a 429 with
//! `Retry-After` once a window is spent. The seed draws the start phase, every round-trip time
//! to the API and to the store, and the hidden tool's phase.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use impact_errors::{RateLimitInfo, Reset, RetryAfter, StatusCode};
use impact_quota::{Admit, Arrival, Limit, Observation, Pace, PaceState};

use super::rng::Rng;
use super::stats::Estimate;
use crate::goals::{Checked, Goal};

const LIMIT: u64 = 300;
const WINDOW_SECS: u64 = 60;
const WINDOWS: u64 = 6;
const WORKERS_PER_PROCESS: usize = 2;
/// Round-trip time of an API call, |N(50 ms, 10 ms)|, and of a store operation,
/// |N(0.3 ms, 0.1 ms)|, in microseconds.
const API_RTT_US: (f64, f64) = (50_000.0, 10_000.0);
const STORE_RTT_US: (f64, f64) = (300.0, 100.0);
/// The Unix time at the simulation's origin, at a window boundary.
const UNIX_ORIGIN: u64 = 1_700_002_800;
/// How long a worker may wait for its slot before the call fails fast (SPEC 3's default).
const MAX_WAIT: Duration = Duration::from_secs(60);
/// The share of each window the hidden tool spends.
const HIDDEN_SHARE: f64 = 0.3;
pub(crate) const PROCESS_COUNTS: [usize; 4] = [1, 4, 16, 64];
const RUNS: u64 = 20;

/// What one run measured over the counted windows (all but the first).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunResult {
    /// The most 429s our processes met, together, in one counted window.
    pub(crate) max_429_per_window: u64,
    /// Successful calls (ours and the hidden tool's) over the calls allowed.
    pub(crate) utilization: f64,
    /// Store operations per successful call of ours.
    pub(crate) store_ops_per_call: f64,
    /// Calls that failed fast because their slot was beyond the maximum wait.
    pub(crate) too_long: u64,
}

/// How far ahead the store reserves slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reserve {
    /// The default pace: one interval ahead, later calls told to come back (`Admit::Later`).
    Horizon,
    /// Every slot up to the maximum wait: what `RedisLimits` must do behind the client's seam
    /// as it stands, since the seam sends once a wait has passed without asking again.
    /// Recorded, not gated.
    UpToMaxWait,
}

impl Reserve {
    fn pace(self) -> Pace {
        match self {
            Reserve::Horizon => default_pace(),
            Reserve::UpToMaxWait => default_pace().with_horizon(MAX_WAIT),
        }
    }
}

/// Whether another tool spends part of the account's quota behind the processes' back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HiddenTool {
    Absent,
    /// It spends [`HIDDEN_SHARE`] of every window at a steady spacing.
    Spending30,
}

/// One row of the report: a process count, with or without the hidden tool.
pub(crate) struct Row {
    pub(crate) processes: usize,
    pub(crate) hidden: HiddenTool,
    pub(crate) reserve: Reserve,
    pub(crate) max_429_per_window: u64,
    pub(crate) utilization: Estimate,
    pub(crate) utilization_min: f64,
    pub(crate) store_ops_per_call: Estimate,
    pub(crate) too_long: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// A worker's request reaches the store.
    Ask { worker: usize, arrival: Returning },
    /// A worker sends its call.
    Send { worker: usize },
    /// A call reaches the account.
    Arrive { worker: usize, sent: u64 },
    /// A response's headers reach the store.
    Observe {
        status: u16,
        remaining: u64,
        reset: u64,
        unix: u64,
    },
    /// The hidden tool sends a call.
    Hidden,
}

/// [`Arrival`] in a form the event queue can order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Returning {
    No,
    Yes,
}

/// The account's fixed windows, aligned on the origin like the mock's.
struct Account {
    used: Vec<u64>,
}

impl Account {
    /// Counts a call arriving at `at_us`: its status, `Remaining` and reset delay.
    fn serve(&mut self, at_us: u64) -> (StatusCode, u64, u64, usize) {
        let window_us = WINDOW_SECS * 1_000_000;
        let window = (at_us / window_us) as usize;
        let left_us = (window as u64 + 1) * window_us - at_us;
        let reset = left_us.div_ceil(1_000_000).max(1);
        if self.used.len() <= window {
            self.used.resize(window + 1, 0);
        }
        if self.used[window] >= LIMIT {
            return (StatusCode::TOO_MANY_REQUESTS, 0, reset, window);
        }
        self.used[window] += 1;
        (StatusCode::OK, LIMIT - self.used[window], reset, window)
    }
}

fn headers(status: StatusCode, remaining: u64, reset: u64) -> RateLimitInfo {
    RateLimitInfo {
        x_limit: Some(LIMIT),
        x_remaining: Some(remaining),
        x_reset: Some(Reset::After(reset)),
        retry_after: (status == StatusCode::TOO_MANY_REQUESTS).then_some(RetryAfter::Delay(reset)),
        ..RateLimitInfo::default()
    }
}

/// The pace every process uses: the default for the account's limit.
fn default_pace() -> Pace {
    Pace::new(Limit::per(LIMIT as u32, Duration::from_secs(WINDOW_SECS)).expect("a valid limit"))
}

/// Runs the scenario once with the default pace.
#[cfg(test)]
fn run(processes: usize, hidden: HiddenTool, seed: u64) -> RunResult {
    run_with(processes, hidden, seed, default_pace())
}

/// Runs the scenario once.
pub(crate) fn run_with(processes: usize, hidden: HiddenTool, seed: u64, pace: Pace) -> RunResult {
    let mut simulation = Simulation::new(seed, pace);
    simulation.start(processes, hidden);
    while let Some(Reverse((now, _, event))) = simulation.queue.pop() {
        if now < simulation.end_us {
            simulation.step(now, event);
        }
    }
    simulation.result()
}

/// One run in progress: the shared pace, the account, the events to come and the tallies.
struct Simulation {
    rng: Rng,
    state: PaceState,
    pace: Pace,
    account: Account,
    end_us: u64,
    /// Events by time, then by the order they were pushed in.
    queue: BinaryHeap<Reverse<(u64, u64, Event)>>,
    pushed: u64,
    ours_429: Vec<u64>,
    ours_ok: u64,
    store_ops: u64,
    too_long: u64,
}

impl Simulation {
    fn new(seed: u64, pace: Pace) -> Simulation {
        Simulation {
            rng: Rng::seeded(seed),
            state: PaceState::default(),
            pace,
            account: Account { used: Vec::new() },
            end_us: WINDOWS * WINDOW_SECS * 1_000_000,
            queue: BinaryHeap::new(),
            pushed: 0,
            ours_429: vec![0; WINDOWS as usize + 1],
            ours_ok: 0,
            store_ops: 0,
            too_long: 0,
        }
    }

    fn push(&mut self, at: u64, event: Event) {
        self.pushed += 1;
        self.queue.push(Reverse((at, self.pushed, event)));
    }

    /// Half of a round trip drawn from `(mean, sd)` microseconds.
    fn half_trip(&mut self, (mean, sd): (f64, f64)) -> u64 {
        self.rng.normal(mean, sd).abs() as u64 / 2
    }

    /// Every worker asks at once, at a random moment of the first window; the hidden tool
    /// spends its share at a steady spacing from a random phase.
    fn start(&mut self, processes: usize, hidden: HiddenTool) {
        let start_us = self.rng.next_u64() % (WINDOW_SECS * 1_000_000);
        for worker in 0..processes * WORKERS_PER_PROCESS {
            let at = start_us + self.rng.next_u64() % 10_000;
            let arrival = Returning::No;
            self.push(at, Event::Ask { worker, arrival });
        }
        if hidden == HiddenTool::Spending30 {
            let spacing = WINDOW_SECS * 1_000_000 / (HIDDEN_SHARE * LIMIT as f64) as u64;
            let mut at = self.rng.next_u64() % spacing;
            while at < self.end_us {
                self.push(at, Event::Hidden);
                at += spacing;
            }
        }
    }

    fn step(&mut self, now: u64, event: Event) {
        match event {
            Event::Ask { worker, arrival } => self.ask(now, worker, arrival),
            Event::Send { worker } => {
                let half = self.half_trip(API_RTT_US);
                self.push(now + half, Event::Arrive { worker, sent: now });
            }
            Event::Arrive { worker, sent } => self.arrive(now, worker, sent),
            Event::Observe {
                status,
                remaining,
                reset,
                unix,
            } => {
                self.store_ops += 1;
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                let info = headers(status, remaining, reset);
                let seen = Observation::from_response(&info, status, unix, &self.pace);
                self.state.observe(now, &self.pace, &seen);
            }
            Event::Hidden => {
                self.account.serve(now);
            }
        }
    }

    /// A worker's admission at the store: it sends, waits for its slot, or asks again later.
    fn ask(&mut self, now: u64, worker: usize, arrival: Returning) {
        self.store_ops += 1;
        let arrival = match arrival {
            Returning::No => Arrival::First,
            Returning::Yes => Arrival::Returning,
        };
        let back = now + self.half_trip(STORE_RTT_US);
        let (at, next) = match self.state.admit(now, &self.pace, MAX_WAIT, arrival) {
            Admit::Now => (back, Event::Send { worker }),
            Admit::Reserved(wait) => (back + wait.as_micros() as u64, Event::Send { worker }),
            Admit::Later(wait) => {
                let at = back + wait.as_micros() as u64 + self.half_trip(STORE_RTT_US);
                let arrival = Returning::Yes;
                (at, Event::Ask { worker, arrival })
            }
            Admit::TooLong(wait) => {
                self.too_long += 1;
                let arrival = Returning::No;
                (
                    back + wait.as_micros() as u64,
                    Event::Ask { worker, arrival },
                )
            }
        };
        self.push(at, next);
    }

    /// A call reaches the account: counted, answered, observed at the store, and the worker
    /// asks for its next call at once.
    fn arrive(&mut self, now: u64, worker: usize, sent: u64) {
        let (status, remaining, reset, window) = self.account.serve(now);
        let answered = now + (now - sent);
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.ours_429[window.min(WINDOWS as usize)] += 1;
        } else if window > 0 && (window as u64) < WINDOWS {
            self.ours_ok += 1;
        }
        let unix = UNIX_ORIGIN + answered / 1_000_000;
        let to_store = answered + self.half_trip(STORE_RTT_US);
        let status = status.as_u16();
        self.push(
            to_store,
            Event::Observe {
                status,
                remaining,
                reset,
                unix,
            },
        );
        let arrival = Returning::No;
        self.push(to_store, Event::Ask { worker, arrival });
    }

    /// The figures over the counted windows (all but the first).
    fn result(&self) -> RunResult {
        let counted = 1..WINDOWS as usize;
        let used: u64 = self
            .account
            .used
            .get(counted.clone())
            .map_or(0, |windows| windows.iter().sum());
        RunResult {
            max_429_per_window: self.ours_429[counted.clone()]
                .iter()
                .copied()
                .max()
                .unwrap_or(0),
            utilization: used as f64 / (LIMIT * counted.len() as u64) as f64,
            store_ops_per_call: self.store_ops as f64 / self.ours_ok.max(1) as f64,
            too_long: self.too_long,
        }
    }
}

/// Every row: each process count, without and with the hidden tool, over [`RUNS`] seeds; and
/// with the hidden tool when every slot is reserved up to the maximum wait (recorded).
pub(crate) fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    let variants = [
        (HiddenTool::Absent, Reserve::Horizon),
        (HiddenTool::Spending30, Reserve::Horizon),
        (HiddenTool::Spending30, Reserve::UpToMaxWait),
    ];
    for (hidden, reserve) in variants {
        for processes in PROCESS_COUNTS {
            let runs: Vec<RunResult> = (0..RUNS)
                .map(|run| run_seed(processes, hidden, run, reserve))
                .collect();
            let of = |figure: fn(&RunResult) -> f64| {
                Estimate::of(&runs.iter().map(figure).collect::<Vec<_>>())
            };
            rows.push(Row {
                processes,
                hidden,
                reserve,
                max_429_per_window: runs
                    .iter()
                    .map(|run| run.max_429_per_window)
                    .max()
                    .unwrap_or(0),
                utilization: of(|run| run.utilization),
                utilization_min: runs
                    .iter()
                    .map(|run| run.utilization)
                    .fold(f64::INFINITY, f64::min),
                store_ops_per_call: of(|run| run.store_ops_per_call),
                too_long: runs.iter().map(|run| run.too_long).sum(),
            });
        }
    }
    rows
}

fn run_seed(processes: usize, hidden: HiddenTool, index: u64, reserve: Reserve) -> RunResult {
    let hidden_bit = u64::from(hidden == HiddenTool::Spending30);
    let seed = (processes as u64) << 40 | hidden_bit << 32 | index;
    run_with(processes, hidden, seed, reserve.pace())
}

impl Row {
    fn name(&self) -> String {
        let hidden = match self.hidden {
            HiddenTool::Absent => "",
            HiddenTool::Spending30 => "_hidden30",
        };
        let reserve = match self.reserve {
            Reserve::Horizon => "",
            Reserve::UpToMaxWait => "_reserve_all",
        };
        format!("shared_quota.p{}{hidden}{reserve}", self.processes)
    }
}

/// SPEC 11's goals: no 429 after the first window (at most one per window with the hidden
/// tool), and at least 95% of the allowance used.
pub(crate) fn checked(rows: &[Row]) -> Vec<Checked> {
    let mut checked = Vec::new();
    for row in rows {
        let (most_429, least_use) = match (row.reserve, row.hidden) {
            (Reserve::UpToMaxWait, _) => (Goal::Record, Goal::Record),
            (Reserve::Horizon, HiddenTool::Spending30) => (Goal::AtMost(1.0), Goal::AtLeast(0.95)),
            (Reserve::Horizon, HiddenTool::Absent) => (Goal::AtMost(0.0), Goal::AtLeast(0.95)),
        };
        checked.push(Checked::new(
            format!("{}.max_429_per_window", row.name()),
            row.max_429_per_window as f64,
            most_429,
        ));
        checked.push(Checked::new(
            format!("{}.utilization_min", row.name()),
            row.utilization_min,
            least_use,
        ));
    }
    checked
}

/// The readable table.
pub(crate) fn table(rows: &[Row]) -> String {
    let mut out = format!(
        "\nshared quota (L = {LIMIT} per {WINDOW_SECS} s, fixed windows; {WORKERS_PER_PROCESS} workers per process \
         in a closed loop; one shared GCRA; windows 2 to {WINDOWS}; mean ± 95% CI over {RUNS} seeds)\n"
    );
    out.push_str(&format!(
        "{:>5}  {:<9} {:<12} {:>13} {:>22} {:>10} {:>15} {:>9}\n",
        "procs",
        "hidden",
        "reserve",
        "429s/window",
        "utilisation",
        "lowest",
        "store ops/call",
        "too long"
    ));
    for row in rows {
        out.push_str(&format!(
            "{:>5}  {:<9} {:<12} {:>13} {:>13.4} ± {:<6.4} {:>10.4} {:>8.2} ± {:<4.2} {:>9}\n",
            row.processes,
            match row.hidden {
                HiddenTool::Absent => "none",
                HiddenTool::Spending30 => "30%",
            },
            match row.reserve {
                Reserve::Horizon => "1 interval",
                Reserve::UpToMaxWait => "max wait",
            },
            row.max_429_per_window,
            row.utilization.mean,
            row.utilization.ci95,
            row.utilization_min,
            row.store_ops_per_call.mean,
            row.store_ops_per_call.ci95,
            row.too_long,
        ));
    }
    out
}

/// The rows as JSON members (`"key": value, `), for `simulate --json`.
pub(crate) fn json_members(rows: &[Row]) -> String {
    let mut out = String::new();
    for row in rows {
        out.push_str(&format!(
            "\"{name}.max_429_per_window\": {}, \"{name}.utilization\": {:.4}, \
             \"{name}.utilization_min\": {:.4}, \"{name}.store_ops_per_call\": {:.3}, \
             \"{name}.too_long\": {}, ",
            row.max_429_per_window,
            row.utilization.mean,
            row.utilization_min,
            row.store_ops_per_call.mean,
            row.too_long,
            name = row.name(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_reproducible_and_bounded_by_the_allowance() {
        for (processes, hidden) in [(1, HiddenTool::Absent), (16, HiddenTool::Spending30)] {
            let first = run(processes, hidden, 7);
            let again = run(processes, hidden, 7);
            assert_eq!(first.utilization, again.utilization);
            assert_eq!(first.max_429_per_window, again.max_429_per_window);
            assert!(first.utilization <= 1.0, "{first:?}");
        }
    }

    /// The control that shows what the reservation horizon buys: reserving every slot up to
    /// the maximum wait commits calls that a correction can no longer stop, and with another
    /// tool spending the quota they meet 429s by the dozen.
    #[test]
    fn the_horizon_keeps_the_hidden_tool_from_causing_429s() {
        let reserve_everything = Reserve::UpToMaxWait.pace();
        for seed in [1, 2] {
            let paced = run(16, HiddenTool::Spending30, seed);
            let control = run_with(16, HiddenTool::Spending30, seed, reserve_everything);
            assert!(paced.max_429_per_window <= 1, "{paced:?}");
            assert!(control.max_429_per_window > 5, "{control:?}");
        }
    }
}
