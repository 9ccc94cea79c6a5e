//! The sync figures of SPEC 11: a full sync of a `medium` world's Actions (`impact sync
//! --streams Actions` into a fresh SQLite file) against `impact mock --scale medium --quota
//! off --frozen`, in calls against the minimum the API's rules allow, and in time against
//! fetching the same pages with `impact api --paginate` to `/dev/null`, interleaved.
//!
//! The minimum is worked out from the ground truth and the API's rules alone, not from the
//! planner: every call covers at most 45 days of `ActionDate` and returns at most 20,000
//! actions (the largest page size), so reading the three years the API serves takes at least
//! `max(ceil(1,096 / 45), ceil(actions / 20,000))` calls.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::stats::Paired;
use crate::chaos::control::{Mock, MockClock, MockSetup};

const DEMO_SID: &str = "IRmockDemoAccount00000000000000001";
const DEMO_TOKEN: &str = "mock-demo-token-0123456789abcdef";
/// The API's rules for Actions (Partner API): the longest date window, the largest page, and
/// how far back it serves (three years, as the mock counts them).
const WINDOW_DAYS: u64 = 45;
const MAX_PAGE_SIZE: u64 = 20_000;
const SERVED_DAYS: u64 = 1_096;

/// What the sync figures came to.
#[derive(Debug, Clone)]
pub(crate) struct SyncFigures {
    /// API calls one full sync made.
    pub(crate) calls: u64,
    /// The fewest calls the rules allow for the world's actions.
    pub(crate) minimum: u64,
    pub(crate) actions: u64,
    /// The first pages fetched (the baseline replays them with `--paginate`).
    pub(crate) first_pages: usize,
    /// Seconds of the sync (`ours`) and of the `impact api --paginate` replay (`baseline`).
    pub(crate) seconds: Paired,
}

impl SyncFigures {
    pub(crate) fn calls_ratio(&self) -> f64 {
        self.calls as f64 / self.minimum as f64
    }
}

/// The fewest calls that read `actions` actions under the API's rules.
pub(crate) fn minimum_calls(actions: u64) -> u64 {
    SERVED_DAYS
        .div_ceil(WINDOW_DAYS)
        .max(actions.div_ceil(MAX_PAGE_SIZE))
}

pub(crate) fn run(impact: &Path, pairs: usize) -> Result<SyncFigures, String> {
    let mock = Mock::start(
        impact,
        &MockSetup {
            seed: 1,
            scale: "medium",
            now: None,
            quota: "off",
            clock: MockClock::Frozen,
        },
    )?;
    let dir = std::env::temp_dir().join(format!("xtask-bench-sync-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|error| format!("cannot create {dir:?}: {error}"))?;
    let truth = mock.call(
        "GET",
        &format!("/_mock/world/Actions?account={DEMO_SID}&api=partner"),
        "",
    )?;
    let actions = truth.lines().filter(|line| !line.trim().is_empty()).count() as u64;
    mock.call("DELETE", "/_mock/requests", "")?;
    sync_once(impact, &mock, &dir.join("first.sqlite3"))?;
    let log: serde_json::Value = serde_json::from_str(&mock.call("GET", "/_mock/requests", "")?)
        .map_err(|error| format!("the request log is not JSON: {error}"))?;
    let requests = log.as_array().map(Vec::as_slice).unwrap_or_default();
    let first_pages: Vec<String> = requests
        .iter()
        .filter_map(|request| request["target"].as_str())
        .filter(|target| !target.contains("?Page=") && !target.contains("&Page="))
        .map(str::to_owned)
        .collect();
    let calls = requests.len() as u64;
    let mut round = 0;
    let seconds = Paired::interleave(
        pairs,
        || {
            round += 1;
            sync_once(impact, &mock, &dir.join(format!("round-{round}.sqlite3")))
        },
        || paginate(impact, &mock, &first_pages),
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(SyncFigures {
        calls,
        minimum: minimum_calls(actions),
        actions,
        first_pages: first_pages.len(),
        seconds,
    })
}

fn impact_command(impact: &Path) -> Command {
    let mut command = Command::new(impact);
    command
        .env("IMPACT_ACCOUNT_SID", DEMO_SID)
        .env("IMPACT_AUTH_TOKEN", DEMO_TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// One full sync of Actions into a fresh SQLite file: its seconds.
fn sync_once(impact: &Path, mock: &Mock, to: &PathBuf) -> Result<f64, String> {
    let started = Instant::now();
    let output = impact_command(impact)
        .args(["sync", "--streams", "Actions", "--base-url", &mock.base_url])
        .arg("--to")
        .arg(format!("sqlite:{}", to.display()))
        .output()
        .map_err(|error| format!("cannot run impact sync: {error}"))?;
    let seconds = started.elapsed().as_secs_f64();
    check("impact sync", &output)?;
    let _ = std::fs::remove_file(to);
    Ok(seconds)
}

/// `impact api TARGET --paginate > /dev/null` for every first page: their total seconds.
fn paginate(impact: &Path, mock: &Mock, targets: &[String]) -> Result<f64, String> {
    let started = Instant::now();
    for target in targets {
        let output = impact_command(impact)
            .args(["api", target, "--paginate", "--base-url", &mock.base_url])
            .output()
            .map_err(|error| format!("cannot run impact api: {error}"))?;
        check("impact api --paginate", &output)?;
    }
    Ok(started.elapsed().as_secs_f64())
}

fn check(what: &str, output: &std::process::Output) -> Result<(), String> {
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimum_is_the_windows_or_the_pages_whichever_is_more() {
        // 1,096 days take 25 windows of 45 days.
        assert_eq!(minimum_calls(0), 25);
        assert_eq!(minimum_calls(50_000), 25);
        assert_eq!(minimum_calls(500_000), 25);
        assert_eq!(minimum_calls(500_001), 26);
        assert_eq!(minimum_calls(1_000_000), 50);
    }
}
