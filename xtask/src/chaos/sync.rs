//! `chaos sync`: `impact sync` SIGKILLed at random moments and restarted until it ends with
//! exit 0, round after round (a full sync, then incremental ones after the world's clock
//! moves), each round held to the ground truth; pages fetched twice are counted against an
//! uninterrupted twin.
//!
//! For each seed and store, two mocks of the same world run side by side: the chaos one, whose
//! sync is killed, and the reference one, whose sync of the same store kind is never killed.
//! A round runs the reference first (its duration is the span kill moments are drawn from, and
//! its request log says what one uninterrupted command fetches), then the chaos sync, killed
//! at moments drawn uniformly over that span (startup, discovery, reads and commits alike)
//! until an attempt ends with exit 0. A fetch the chaos sync makes beyond the reference's
//! count of the same target is a page fetched twice, charged to the kill before the attempt
//! that made it. Then the store is compared with `/_mock/world/{Stream}` for every stream it
//! holds, and both clocks move forward (30 days before the first incremental round, then 1 to
//! 10) for the next round (new, changed and backdated actions), until the kills are spent and
//! at least one incremental round ran. `--kills 0` is a plain full and incremental sync held
//! to the truth.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use impact_client::ApiKind;
use impact_sync::{JsonlStore, SqliteStore, Store, StreamSpec, Timestamp};

use super::control::{Mock, MockClock, MockSetup};
use super::{StoreKind, SyncFlags};
use crate::goals::{Checked, Goal};
use crate::simulate::rng::Rng;

/// The demo account `impact mock` always serves (public credentials, printed by the mock).
const DEMO_SID: &str = "IRmockDemoAccount00000000000000001";
const DEMO_TOKEN: &str = "mock-demo-token-0123456789abcdef";
/// The worlds' clock at the start: fixed, so that a seed gives the same world every time.
const NOW: &str = "2025-06-01T00:00:00Z";

/// What one seed and store came to.
#[derive(Debug, Default)]
struct Outcome {
    seed: u64,
    store: &'static str,
    kills: u32,
    runs: u32,
    rounds: u32,
    missing: usize,
    duplicate: usize,
    extra: usize,
    stale: usize,
    /// Fetches beyond the uninterrupted twin's, over all rounds.
    fetched_twice: usize,
    /// The most charged to one kill.
    max_per_kill: usize,
    /// Fetches beyond the twin's made before any kill of their round (the runs differ).
    unexplained: usize,
    /// Kills that landed after the command had committed the end of its pass (while it
    /// closed the store or exited): nothing of the pass was lost, and the restart is a new,
    /// incremental pass, as running the command again after it ended is. The twin then runs
    /// the command once more too, so that the new pass is held to an uninterrupted one.
    late_kills: u32,
    seconds: f64,
}

pub(crate) fn run(impact: &Path, flags: &SyncFlags) -> Result<(), String> {
    let mut outcomes = Vec::new();
    for &seed in &flags.seeds {
        for &store in &flags.stores {
            eprintln!("chaos sync: seed {seed}, {}", store.name());
            outcomes.push(run_one(impact, flags, seed, store)?);
        }
    }
    print!("{}", table(&outcomes));
    println!(
        "\nlate: kills after the command had committed the end of its pass (closing the store \
         or exiting); the restart after one is a new incremental pass, as running the command \
         again is, so the twin runs the command once more too and the new pass is held to it."
    );
    println!(
        "\n{} world, {} kills per seed and store; command: cargo xtask chaos sync --kills {} \
         --seeds {} --store {} --scale {}",
        flags.scale,
        flags.kills,
        flags.kills,
        flags
            .seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(","),
        match flags.stores.as_slice() {
            [one] => one.name(),
            _ => "both",
        },
        flags.scale
    );
    let checked: Vec<Checked> = outcomes
        .iter()
        .flat_map(|outcome| checks(outcome, flags.kills))
        .collect();
    crate::goals::gate("chaos sync", &checked)
}

fn checks(outcome: &Outcome, kills: u32) -> Vec<Checked> {
    let name = |figure: &str| format!("seed {} {} {figure}", outcome.seed, outcome.store);
    vec![
        Checked::new(
            name("kills"),
            f64::from(outcome.kills),
            Goal::AtLeast(f64::from(kills)),
        ),
        Checked::new(name("missing"), outcome.missing as f64, Goal::AtMost(0.0)),
        Checked::new(
            name("duplicate"),
            outcome.duplicate as f64,
            Goal::AtMost(0.0),
        ),
        Checked::new(name("extra"), outcome.extra as f64, Goal::AtMost(0.0)),
        Checked::new(name("stale"), outcome.stale as f64, Goal::AtMost(0.0)),
        Checked::new(
            name("pages fetched twice per kill (max)"),
            outcome.max_per_kill as f64,
            Goal::AtMost(1.0),
        ),
        Checked::new(
            name("fetches beyond the twin before any kill"),
            outcome.unexplained as f64,
            Goal::AtMost(0.0),
        ),
    ]
}

fn table(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>5} {:>6} {:>6} {:>5} {:>5} {:>6} {:>7} {:>9} {:>5} {:>5} {:>13} {:>12} {:>8}",
        "seed",
        "store",
        "kills",
        "late",
        "runs",
        "rounds",
        "missing",
        "duplicate",
        "extra",
        "stale",
        "fetched twice",
        "max per kill",
        "seconds"
    );
    for o in outcomes {
        let _ = writeln!(
            out,
            "{:>5} {:>6} {:>6} {:>5} {:>5} {:>6} {:>7} {:>9} {:>5} {:>5} {:>13} {:>12} {:>8.1}",
            o.seed,
            o.store,
            o.kills,
            o.late_kills,
            o.runs,
            o.rounds,
            o.missing,
            o.duplicate,
            o.extra,
            o.stale,
            o.fetched_twice,
            o.max_per_kill,
            o.seconds
        );
    }
    out
}

/// Where one side (chaos or reference) syncs to.
struct Side {
    mock: Mock,
    to: PathBuf,
    kind: StoreKind,
}

impl Side {
    fn flag(&self) -> String {
        format!("{}:{}", self.kind.name(), self.to.display())
    }

    fn spawn(&self, impact: &Path, log: &Path) -> Result<Child, String> {
        let log = std::fs::File::create(log)
            .map_err(|error| format!("cannot create {}: {error}", log.display()))?;
        Command::new(impact)
            .args([
                "sync",
                "--to",
                &self.flag(),
                "--base-url",
                &self.mock.base_url,
            ])
            .env("IMPACT_ACCOUNT_SID", DEMO_SID)
            .env("IMPACT_AUTH_TOKEN", DEMO_TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|error| format!("cannot start impact sync: {error}"))
    }

    /// The 2xx API fetches logged since the last call, by target in order; clears the log.
    fn take_fetches(&self) -> Result<Vec<String>, String> {
        let text = self.mock.call("GET", "/_mock/requests", "")?;
        self.mock.call("DELETE", "/_mock/requests", "")?;
        let requests: serde_json::Value = serde_json::from_str(&text)
            .map_err(|error| format!("the request log is not JSON: {error}"))?;
        Ok(requests
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|request| {
                request["status"]
                    .as_u64()
                    .is_some_and(|status| (200..300).contains(&status))
            })
            .filter_map(|request| request["target"].as_str().map(str::to_owned))
            .collect())
    }
}

/// How an attempt ended.
enum Ended {
    Exited,
    Killed,
}

/// Waits for the child until `kill_after` (then SIGKILLs it) or its exit, which must be 0.
fn wait_or_kill(
    mut child: Child,
    kill_after: Option<Duration>,
    log: &Path,
) -> Result<Ended, String> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|error| error.to_string())? {
            if status.success() {
                return Ok(Ended::Exited);
            }
            let stderr = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
            return Err(format!(
                "impact sync ended with {status}; its last lines:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ));
        }
        let elapsed = started.elapsed();
        match kill_after {
            Some(at) if elapsed >= at => {
                child.kill().map_err(|error| format!("SIGKILL: {error}"))?;
                let _ = child.wait();
                return Ok(Ended::Killed);
            }
            Some(at) => std::thread::sleep((at - elapsed).min(Duration::from_millis(1))),
            None => std::thread::sleep(Duration::from_millis(1)),
        }
    }
}

fn run_one(
    impact: &Path,
    flags: &SyncFlags,
    seed: u64,
    kind: StoreKind,
) -> Result<Outcome, String> {
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!(
        "xtask-chaos-sync-{}-{seed}-{}",
        std::process::id(),
        kind.name()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|error| format!("cannot create {dir:?}: {error}"))?;
    let extension = match kind {
        StoreKind::Sqlite => "sqlite3",
        StoreKind::Jsonl => "jsonl",
    };
    let setup = MockSetup {
        seed,
        scale: &flags.scale,
        now: Some(NOW),
        quota: "off",
        clock: MockClock::Frozen,
    };
    let chaos = Side {
        mock: Mock::start(impact, &setup)?,
        to: dir.join(format!("chaos.{extension}")),
        kind,
    };
    let reference = Side {
        mock: Mock::start(impact, &setup)?,
        to: dir.join(format!("reference.{extension}")),
        kind,
    };
    let mut rng = Rng::seeded(seed.wrapping_mul(31).wrapping_add(kind as u64));
    let mut outcome = Outcome {
        seed,
        store: kind.name(),
        ..Outcome::default()
    };
    let log = dir.join("sync.log");
    let max_rounds = flags.kills + 2;
    while outcome.rounds < max_rounds && (outcome.kills < flags.kills || outcome.rounds < 2) {
        if outcome.rounds > 0 {
            // The first incremental round follows 30 days of the world (the issue's test);
            // later ones 1 to 10.
            let days = match outcome.rounds {
                1 => 30,
                _ => 1 + rng.next_u64() % 10,
            };
            let body = format!(r#"{{"advance_secs": {}}}"#, days * 86_400);
            chaos.mock.call("POST", "/_mock/clock", &body)?;
            reference.mock.call("POST", "/_mock/clock", &body)?;
        }
        round(
            impact,
            &chaos,
            &reference,
            &log,
            flags.kills,
            &mut rng,
            &mut outcome,
        )?;
        outcome.rounds += 1;
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(outcome)
}

/// One round: the reference uninterrupted, then the chaos sync killed until it ends, then the
/// store against the truth.
fn round(
    impact: &Path,
    chaos: &Side,
    reference: &Side,
    log: &Path,
    kills: u32,
    rng: &mut Rng,
    outcome: &mut Outcome,
) -> Result<(), String> {
    let span_started = Instant::now();
    let mut allowed = counted(run_twin(impact, reference, log)?);
    let span = span_started.elapsed();
    chaos.take_fetches()?;
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut kills_this_round = 0usize;
    let mut previous: Vec<String> = Vec::new();
    let mut last_finished = if chaos.to.exists() {
        finished_pass(&chaos.to, chaos.kind)?
    } else {
        None
    };
    loop {
        let kill_after = (outcome.kills < kills).then(|| span.mul_f64(rng.unit()));
        let ended = wait_or_kill(chaos.spawn(impact, log)?, kill_after, log)?;
        outcome.runs += 1;
        let fetches = chaos.take_fetches()?;
        let charged_targets = beyond_the_twin(&fetches, &mut seen, &allowed);
        let charged = charged_targets.len();
        if charged > 1 && kills_this_round > 0 {
            let killed_tail = &previous[previous.len().saturating_sub(3)..];
            eprintln!(
                "chaos sync: seed {} {}: run {} (after {kills_this_round} kills this round) \
                 fetched {charged} pages beyond the twin: {charged_targets:#?}\n  the killed \
                 run's last fetches: {killed_tail:#?}\n  this run's first: {:#?}",
                outcome.seed,
                outcome.store,
                outcome.runs,
                &fetches[..fetches.len().min(6)]
            );
        }
        if kills_this_round == 0 {
            outcome.unexplained += charged;
        } else {
            outcome.fetched_twice += charged;
            outcome.max_per_kill = outcome.max_per_kill.max(charged);
        }
        previous = fetches;
        match ended {
            Ended::Exited => break,
            Ended::Killed => {
                outcome.kills += 1;
                kills_this_round += 1;
                // Late: a pass finished since the last look (the one this round or a late kill began).
                let finished = finished_pass(&chaos.to, chaos.kind)?;
                let late = finished.is_some() && finished != last_finished;
                last_finished = finished;
                if late {
                    // The restart is a new pass: it is held to the twin's next pass alone.
                    outcome.late_kills += 1;
                    allowed = counted(run_twin(impact, reference, log)?);
                    seen.clear();
                }
            }
        }
    }
    let truth = against_truth(&chaos.mock, &chaos.to, chaos.kind)?;
    outcome.missing += truth.missing;
    outcome.duplicate += truth.duplicate;
    outcome.extra += truth.extra;
    outcome.stale += truth.stale;
    Ok(())
}

/// How many times each target was fetched.
fn counted(targets: Vec<String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for target in targets {
        *counts.entry(target).or_default() += 1;
    }
    counts
}

/// Counts a run's fetches into `seen`: the targets fetched more often than the twin did.
fn beyond_the_twin<'a>(
    fetches: &'a [String],
    seen: &mut BTreeMap<String, usize>,
    allowed: &BTreeMap<String, usize>,
) -> Vec<&'a str> {
    let mut beyond = Vec::new();
    for target in fetches {
        let count = seen.entry(target.clone()).or_default();
        *count += 1;
        if *count > allowed.get(target).copied().unwrap_or(0) {
            beyond.push(target.as_str());
        }
    }
    beyond
}

/// Runs the twin's command uninterrupted: what it fetched.
fn run_twin(impact: &Path, reference: &Side, log: &Path) -> Result<Vec<String>, String> {
    reference.take_fetches()?;
    wait_or_kill(reference.spawn(impact, log)?, None, log)?;
    reference.take_fetches()
}

/// The newest pass of the store if every stream is done in it; `None` while one is pending
/// (or the store holds none).
fn finished_pass(to: &Path, kind: StoreKind) -> Result<Option<u64>, String> {
    let states = open(to, kind)?.states();
    let newest = states
        .values()
        .filter_map(|state| state.pass())
        .map(|pass| pass.id())
        .max();
    let all_done = states.values().all(|state| {
        state
            .pass()
            .is_some_and(|pass| Some(pass.id()) == newest && pass.is_done())
    });
    Ok(newest.filter(|_| all_done))
}

fn open(to: &Path, kind: StoreKind) -> Result<Box<dyn Store>, String> {
    Ok(match kind {
        StoreKind::Sqlite => Box::new(SqliteStore::open(to).map_err(|error| error.to_string())?),
        StoreKind::Jsonl => Box::new(JsonlStore::open(to).map_err(|error| error.to_string())?),
    })
}

/// A store against the ground truth, over every stream it holds.
#[derive(Debug, Default)]
struct Truth {
    missing: usize,
    duplicate: usize,
    extra: usize,
    stale: usize,
}

fn against_truth(mock: &Mock, to: &Path, kind: StoreKind) -> Result<Truth, String> {
    let clock: serde_json::Value = serde_json::from_str(&mock.call("GET", "/_mock/clock", "")?)
        .map_err(|error| format!("the clock is not JSON: {error}"))?;
    let now: Timestamp = clock["now"]
        .as_str()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| format!("the clock answered {clock}"))?;
    let from = impact_sync::plan::floor(now);
    let mut store = open(to, kind)?;
    let mut truth = Truth::default();
    let streams: Vec<String> = store.states().into_keys().collect();
    for name in &streams {
        let spec = StreamSpec::find(ApiKind::Partner, name)
            .ok_or_else(|| format!("the store holds {name:?}, not a stream of the Partner API"))?;
        let records = store
            .records(name, spec.key())
            .map_err(|error| error.to_string())?;
        let lines = mock.call(
            "GET",
            &format!("/_mock/world/{name}?account={DEMO_SID}&api=partner"),
            "",
        )?;
        let differences = impact_sync::truth::compare(spec, &records, lines.lines(), from)?;
        truth.missing += differences.missing;
        truth.extra += differences.extra;
        truth.stale += differences.stale;
        truth.duplicate += duplicates(to, kind, spec)?;
    }
    Ok(truth)
}

/// Rows stored twice: in SQLite, rows beyond one per `Id`; in JSONL, a line identical to the
/// line before it of the same key (an unchanged item appended again).
fn duplicates(to: &Path, kind: StoreKind, spec: &StreamSpec) -> Result<usize, String> {
    let name = spec.name();
    match kind {
        StoreKind::Sqlite => {
            let connection = rusqlite::Connection::open(to).map_err(|error| error.to_string())?;
            let count: i64 = connection
                .query_row(
                    &format!(r#"SELECT COUNT(*) - COUNT(DISTINCT Id) FROM "{name}""#),
                    [],
                    |row| row.get(0),
                )
                .map_err(|error| format!("{name}: {error}"))?;
            Ok(usize::try_from(count).unwrap_or(usize::MAX))
        }
        StoreKind::Jsonl => {
            let path = to.join(format!("{name}.jsonl"));
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
                Err(error) => return Err(format!("{}: {error}", path.display())),
            };
            let mut last: BTreeMap<String, &str> = BTreeMap::new();
            let mut doubled = 0;
            for line in text.lines() {
                let item: serde_json::Value = serde_json::from_str(line)
                    .map_err(|error| format!("{}: a line is not JSON: {error}", path.display()))?;
                let key = impact_sync::store::key_of(&item, spec.key())
                    .ok_or_else(|| format!("{}: a line has no key", path.display()))?;
                if last.insert(key, line) == Some(line) {
                    doubled += 1;
                }
            }
            Ok(doubled)
        }
    }
}
