//! One row of the shared-quota scenario: a mock and a Redis of its own, `impact sync`
//! processes with demand above the limit, perhaps a hidden tool, perhaps Redis killed.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::tally::{self, Tally, WORLD_START};
use crate::chaos::control::{Mock, MockClock, MockSetup};
use crate::chaos::redis::Redis;

/// The mock's quota: calls per window, and the window.
pub(crate) const LIMIT: u64 = 300;
pub(crate) const WINDOW_SECS: u64 = 60;
/// The share of the quota the hidden tool spends.
const HIDDEN_SHARE: f64 = 0.3;
/// Calls given to the processes, in windows at the rate left to them: two whole windows after
/// the first, then a partial one in which they finish.
const WINDOWS_OF_DEMAND: f64 = 3.6;
/// When Redis is killed in the rows that kill it: halfway through the second window.
pub(crate) const REDIS_KILLED_AFTER: Duration = Duration::from_secs(90);
/// How long a row may take before its processes count as hung.
const ROW_DEADLINE: Duration = Duration::from_secs(15 * 60);

/// The mock's demo credentials (public, for the mock only).
const SID: &str = "IRmockDemoAccount00000000000000001";
const TOKEN: &str = "mock-demo-token-0123456789abcdef";

/// Who spends the account's quota besides the processes, and what happens to Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setting {
    /// The processes alone.
    Alone,
    /// Another tool, which knows nothing of Redis, spends 30% of the quota.
    HiddenTool,
    /// Redis is killed mid-run and not restarted.
    RedisKilled,
}

/// One configuration of the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) processes: usize,
    pub(crate) setting: Setting,
}

/// A row as it ran.
#[derive(Debug)]
pub(crate) struct RowRun {
    pub(crate) row: Row,
    /// Per window from the mock's start.
    pub(crate) windows: Vec<Tally>,
    /// The whole windows after the first during which the processes were still running.
    pub(crate) counted: std::ops::Range<usize>,
    /// Processes that did not exit 0, as `process N: status`.
    pub(crate) failures: Vec<String>,
    pub(crate) secs: f64,
}

/// Runs one row with the `impact` binary at `impact`, its files under `dir`.
pub(crate) fn run(impact: &Path, row: Row, dir: &Path) -> Result<RowRun, String> {
    let mut redis = Redis::start(dir)?;
    let setup = MockSetup {
        seed: 1,
        scale: "small",
        now: Some(WORLD_START),
        quota: "300/60",
        clock: MockClock::Live,
    };
    let mock = Mock::start(impact, &setup)?;
    let started = Instant::now();
    let stop_hidden = AtomicBool::new(false);
    let (exits, hidden) = thread::scope(|scope| {
        let hidden = (row.setting == Setting::HiddenTool)
            .then(|| scope.spawn(|| hidden_tool(impact, &mock.base_url, &stop_hidden)));
        let exits = run_processes(impact, row, dir, &mock.base_url, &mut redis, started);
        stop_hidden.store(true, Ordering::Relaxed);
        (exits, hidden.map(thread::ScopedJoinHandle::join))
    });
    match hidden {
        Some(Err(_)) => return Err("the hidden tool panicked".to_owned()),
        Some(Ok(Err(error))) => return Err(error),
        _ => {}
    }
    let failures = exits?
        .into_iter()
        .enumerate()
        .filter(|(_, status)| !status.success())
        .map(|(index, status)| format!("process {index}: {status} (see p{index}.log)"))
        .collect();
    let log = mock.call("GET", "/_mock/requests", "")?;
    let log = serde_json::from_str(&log).map_err(|e| format!("the request log: {e}"))?;
    let (windows, counted) = tally::tally(&log, WINDOW_SECS)?;
    Ok(RowRun {
        row,
        windows,
        counted,
        failures,
        secs: started.elapsed().as_secs_f64(),
    })
}

/// Starts the row's processes, kills Redis when the row says so, and waits for them all.
fn run_processes(
    impact: &Path,
    row: Row,
    dir: &Path,
    url: &str,
    redis: &mut Redis,
    started: Instant,
) -> Result<Vec<ExitStatus>, String> {
    let share = match row.setting {
        Setting::HiddenTool => 1.0 - HIDDEN_SHARE,
        Setting::Alone | Setting::RedisKilled => 1.0,
    };
    let demand = (LIMIT as f64 * share * WINDOWS_OF_DEMAND).ceil() as usize;
    let calls_each = demand.div_ceil(row.processes);
    let mut children = Vec::new();
    for index in 0..row.processes {
        children.push(start_sync(
            impact,
            dir,
            index,
            url,
            &redis.url(),
            calls_each,
        )?);
    }
    let mut exits: Vec<Option<ExitStatus>> = vec![None; children.len()];
    while exits.iter().any(Option::is_none) {
        if row.setting == Setting::RedisKilled && started.elapsed() >= REDIS_KILLED_AFTER {
            redis.stop();
        }
        if started.elapsed() > ROW_DEADLINE {
            children.iter_mut().for_each(|child| drop(child.kill()));
            return Err(format!(
                "{row:?}: processes still running after {ROW_DEADLINE:?}"
            ));
        }
        for (child, exit) in children.iter_mut().zip(exits.iter_mut()) {
            if exit.is_none() {
                *exit = child.try_wait().map_err(|e| format!("cannot wait: {e}"))?;
            }
        }
        thread::sleep(Duration::from_millis(100));
    }
    Ok(exits.into_iter().flatten().collect())
}

/// One `impact sync` of the partner's Actions, a window a day, stopped after `calls` calls.
fn start_sync(
    impact: &Path,
    dir: &Path,
    index: usize,
    url: &str,
    store: &str,
    calls: usize,
) -> Result<Child, String> {
    let to = format!("sqlite:{}", dir.join(format!("p{index}.sqlite3")).display());
    let log = std::fs::File::create(dir.join(format!("p{index}.log")))
        .map_err(|e| format!("cannot create a log: {e}"))?;
    impact_command(impact)
        .args(["sync", "--api", "partner", "--streams", "Actions"])
        .args(["--window-days", "1", "--max-calls", &calls.to_string()])
        .args(["--to", &to, "--quota-store", store, "--base-url", url])
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start impact sync: {e}"))
}

/// Another tool on the same account that knows nothing of Redis: one `impact api` call of
/// ActionUpdates (the rate-limit group of Actions) at a steady 30% of the quota.
fn hidden_tool(impact: &Path, url: &str, stop: &AtomicBool) -> Result<(), String> {
    let every = Duration::from_secs_f64(WINDOW_SECS as f64 / (LIMIT as f64 * HIDDEN_SHARE));
    let path = format!("/Mediapartners/{SID}/ActionUpdates");
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        impact_command(impact)
            .args(["api", &path, "--base-url", url, "--max-attempts", "1"])
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run impact api: {e}"))?;
        next += every;
        thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    Ok(())
}

/// `impact` with the demo account's credentials, no log and no shared store from the
/// environment, and nothing on stdin or stdout.
fn impact_command(impact: &Path) -> Command {
    let mut command = Command::new(impact);
    command
        .env("IMPACT_ACCOUNT_SID", SID)
        .env("IMPACT_AUTH_TOKEN", TOKEN)
        .env_remove("RUST_LOG")
        .env_remove("IMPACT_QUOTA_STORE")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    command
}
