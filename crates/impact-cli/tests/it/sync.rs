//! `impact sync` as a user runs it, against the generated world of the mock: full syncs to
//! SQLite and JSONL equal to the ground truth before and after the clock moves, `--plan`, a
//! 429 beyond `--max-wait` (exit 4) and the run after it resuming, a 503 mid-window retried,
//! discovery skipping a stream the token cannot read, usage errors.

use std::collections::BTreeMap;
use std::path::Path;

use impact_client::ApiKind;
use impact_mock::{
    DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, Fault, MockConfig, MockServer, Quota, RequestMatch,
};
use impact_sync::{JsonlStore, SqliteStore, Store, StreamSpec, Timestamp};
use serde_json::Value;

use crate::{Run, impact_with_env};

/// The world's `now`: fixed, so that every run of the tests reads the same world.
const NOW: &str = "2025-06-01T00:00:00Z";

/// The mock's generated world on its own runtime, frozen, quota off.
pub(crate) struct World {
    pub(crate) server: MockServer,
    runtime: tokio::runtime::Runtime,
}

impl World {
    pub(crate) fn start(config: MockConfig) -> World {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let server = runtime
            .block_on(MockServer::builder().config(config).start())
            .expect("the mock binds a loopback port");
        World { server, runtime }
    }

    fn small() -> World {
        World::start(
            MockConfig::default()
                .frozen()
                .now(impact_mock::parse_now(NOW).expect("a date"))
                .quota(Quota::disabled()),
        )
    }

    pub(crate) fn url(&self) -> String {
        self.server.base_url()
    }

    /// `GET` of a control path, as text.
    pub(crate) fn control(&self, path: &str) -> String {
        let url = format!("{}{path}", self.url());
        self.runtime.block_on(async {
            let response = reqwest::get(&url).await.expect("a control call");
            assert!(response.status().is_success(), "GET {path}");
            response.text().await.expect("a body")
        })
    }

    /// `POST` of a JSON body to a control path.
    pub(crate) fn post(&self, path: &str, body: &str) {
        let url = format!("{}{path}", self.url());
        let body = body.to_owned();
        self.runtime.block_on(async {
            let response = reqwest::Client::new()
                .post(&url)
                .body(body)
                .send()
                .await
                .expect("a control call");
            assert!(response.status().is_success(), "POST {path}");
        });
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_unix(self.server.now().unix_seconds())
    }

    /// The store of `to` against the truth, stream by stream: every stream the store holds
    /// (at least `expect`), with no difference over the period synced.
    fn assert_truth(&self, to: &Target<'_>, api: (ApiKind, &str), expect: &[&str]) {
        let mut store = to.open();
        let from = impact_sync::plan::floor(self.now());
        let streams: Vec<String> = store.states().into_keys().collect();
        for name in expect {
            assert!(
                streams.iter().any(|s| s == name),
                "{name} not synced: {streams:?}"
            );
        }
        for name in &streams {
            let spec = StreamSpec::find(api.0, name).expect("a stream of the table");
            let records = store.records(name, spec.key()).expect("records");
            let truth = self.control(&format!(
                "/_mock/world/{name}?account={DEMO_ACCOUNT_SID}&api={}",
                api.1
            ));
            let differences = impact_sync::truth::compare(spec, &records, truth.lines(), from)
                .expect("a ground truth");
            assert!(differences.is_none(), "{to:?} {name}: {differences:?}");
        }
    }

    /// 2xx fetches of the API that repeat an earlier target.
    fn pages_fetched_twice(&self) -> usize {
        let mut seen = BTreeMap::new();
        for request in self.server.requests() {
            if (200..300).contains(&request.status) {
                *seen.entry(request.target).or_insert(0usize) += 1;
            }
        }
        seen.values().map(|n| n - 1).sum()
    }
}

/// Where a test syncs to.
#[derive(Debug)]
enum Target<'a> {
    Sqlite(&'a Path),
    Jsonl(&'a Path),
}

impl Target<'_> {
    fn flag(&self) -> String {
        match self {
            Target::Sqlite(path) => format!("sqlite:{}", path.display()),
            Target::Jsonl(dir) => format!("jsonl:{}", dir.display()),
        }
    }

    fn open(&self) -> Box<dyn Store> {
        match self {
            Target::Sqlite(path) => Box::new(SqliteStore::open(path).expect("the sqlite store")),
            Target::Jsonl(dir) => Box::new(JsonlStore::open(dir).expect("the jsonl store")),
        }
    }
}

/// A temporary directory, removed when dropped.
pub(crate) struct TempDir(std::path::PathBuf);

impl TempDir {
    pub(crate) fn new(label: &str) -> TempDir {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "impact-cli-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temp dir");
        TempDir(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `impact sync ARGS --base-url URL` with the demo credentials and checks its exit code.
pub(crate) fn sync(world: &World, args: &[&str], expect_code: i32) -> Run {
    sync_env(world, args, &[], expect_code)
}

pub(crate) fn sync_env(
    world: &World,
    args: &[&str],
    env: &[(&str, &str)],
    expect_code: i32,
) -> Run {
    let url = world.url();
    let mut argv = vec!["sync"];
    argv.extend_from_slice(args);
    argv.extend(["--base-url", &url]);
    let mut vars = vec![
        ("IMPACT_ACCOUNT_SID", DEMO_ACCOUNT_SID),
        ("IMPACT_AUTH_TOKEN", DEMO_AUTH_TOKEN),
    ];
    vars.extend_from_slice(env);
    let run = impact_with_env(&argv, b"", &vars);
    assert_eq!(
        run.code,
        expect_code,
        "impact {argv:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&run.stdout),
        run.stderr
    );
    run
}

/// Both stores and both APIs, every stream of the default list: a full sync ends in the ground
/// truth, with nothing on stdout; after the world moves 30 days (new, changed, backdated and
/// approved actions), the same command ends in it again.
#[test]
fn full_syncs_end_in_the_ground_truth_before_and_after_the_clock_moves() {
    for (api, store) in [
        (("partner", ApiKind::Partner), "sqlite"),
        (("brand", ApiKind::Brand), "jsonl"),
    ] {
        let world = World::small();
        let dir = TempDir::new("sync-full");
        let place = dir.path().join("store");
        let to = match store {
            "sqlite" => Target::Sqlite(&place),
            _ => Target::Jsonl(&place),
        };
        let args = ["--api", api.0, "--to", &to.flag()];
        let run = sync(&world, &args, 0);
        assert!(
            run.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&run.stdout)
        );
        assert!(run.stderr.contains("Actions done"), "{}", run.stderr);
        let expect = ["Campaigns", "Actions", "ActionUpdates", "Invoices"];
        world.assert_truth(&to, (api.1, api.0), &expect);
        world.post("/_mock/clock", r#"{"advance_secs": 2592000}"#);
        sync(&world, &args, 0);
        world.assert_truth(&to, (api.1, api.0), &expect);
    }
}

/// `--plan` prints, per stream, the calls and the time the quota needs, and calls nothing but
/// the parent list a fan-out needs.
#[test]
fn plan_prints_the_calls_and_reads_only_what_fans_out() {
    let world = World::small();
    let dir = TempDir::new("sync-plan");
    let to = format!("sqlite:{}", dir.path().join("s.db").display());
    let run = sync(
        &world,
        &[
            "--plan",
            "--api",
            "brand",
            "--streams",
            "Actions,Campaigns",
            "--to",
            &to,
        ],
        0,
    );
    let stdout = String::from_utf8(run.stdout).expect("UTF-8");
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    // Campaigns: one call; Actions: 5 campaigns × 25 windows of 45 days, plus the campaign list.
    assert_eq!(rows[1][..2], ["Campaigns", "full"], "{stdout}");
    assert_eq!((rows[1][5], rows[1][6]), ("1", "1"), "{stdout}");
    assert_eq!(rows[2][..2], ["Actions", "full"], "{stdout}");
    assert_eq!(
        (rows[2][4], rows[2][5], rows[2][6]),
        ("5", "125", "126"),
        "{stdout}"
    );
    assert!(stdout.contains("other: 127 calls at least"), "{stdout}");
    let requests = world.server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(
        requests[0].target.contains("/Campaigns"),
        "{}",
        requests[0].target
    );
}

/// A 429 asking for an hour, beyond `--max-wait`, in the middle of the actions: exit 4 with the
/// wait in the JSON line, nothing on stdout; the same command then resumes and ends in the
/// ground truth, without fetching any committed page again.
#[test]
fn a_rate_limit_beyond_max_wait_exits_4_and_the_next_run_resumes() {
    let world = World::small();
    let dir = TempDir::new("sync-429");
    let place = dir.path().join("s.db");
    let to = Target::Sqlite(&place);
    let flag = to.flag();
    let args = ["--streams", "Actions", "--to", &flag, "--json-errors"];
    let mut paused = args.to_vec();
    paused.extend(["--max-calls", "5"]);
    let run = sync(&world, &paused, 0);
    assert!(run.stderr.contains("--max-calls 5"), "{}", run.stderr);
    world.post(
        "/_mock/faults",
        r#"{"method":"GET","path":"/Actions","times":1,"status":429,"headers":{"Retry-After":"3600"},"shape":"envelope"}"#,
    );
    let run = sync(&world, &args, 4);
    assert!(run.stdout.is_empty());
    let last = run.stderr.lines().last().expect("a last line");
    let json: Value = serde_json::from_str(last).expect("the JSON line");
    assert_eq!(json["http_status"], 429, "{last}");
    let secs = json["retry_after_secs"].as_u64().expect("a wait");
    assert!((3595..=3600).contains(&secs), "{secs}");
    let run = sync(&world, &args, 0);
    assert!(run.stderr.contains("resumed"), "{}", run.stderr);
    assert_eq!(world.pages_fetched_twice(), 0);
    world.assert_truth(&to, (ApiKind::Partner, "partner"), &["Actions"]);
}

/// Every 2xx target of the request log, with how often it was fetched.
fn fetches(world: &World) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for request in world.server.requests() {
        if (200..300).contains(&request.status) {
            *seen.entry(request.target).or_insert(0usize) += 1;
        }
    }
    seen
}

/// The default list stopped part way (`--max-calls`) and run again: the second command reads
/// only the streams the first had not finished, so the two together fetch exactly what one
/// uninterrupted command fetches; the command after them is a new, incremental pass.
#[test]
fn a_stopped_run_resumes_without_reading_finished_streams_again() {
    let uninterrupted = World::small();
    let dir = TempDir::new("sync-pass");
    let whole = Target::Sqlite(&dir.path().join("whole.db")).flag();
    sync(&uninterrupted, &["--to", &whole], 0);
    let stopped = World::small();
    let flag = Target::Sqlite(&dir.path().join("stopped.db")).flag();
    // 40 calls end inside Actions, after eight finished streams.
    sync(&stopped, &["--to", &flag, "--max-calls", "40"], 0);
    let run = sync(&stopped, &["--to", &flag], 0);
    assert!(
        run.stderr
            .contains("resuming the stopped run: 5 of 13 streams left"),
        "{}",
        run.stderr
    );
    assert_eq!(fetches(&stopped), fetches(&uninterrupted));
    let run = sync(&stopped, &["--to", &flag], 0);
    assert!(!run.stderr.contains("resuming"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Actions: changes since the last run"),
        "{}",
        run.stderr
    );
}

/// A process whose first call is a run's first page, planned on this machine's clock while
/// the server's is elsewhere (the world at 2025-06-01): the run is planned again on the
/// server's clock, and when the new plan starts with the page just read, that page is not
/// read again. (It was, once per process: after a crash, a second page fetched twice.)
#[test]
fn a_run_planned_again_on_the_server_clock_reads_no_page_twice() {
    let world = World::small();
    let dir = TempDir::new("sync-replan");
    let flag = Target::Sqlite(&dir.path().join("s.db")).flag();
    let args = ["--streams", "Actions", "--to", &flag];
    sync(&world, &args, 0);
    world.server.clear_requests();
    world.post("/_mock/clock", r#"{"advance_secs": 172800}"#);
    sync(&world, &args, 0);
    let twice: Vec<(String, usize)> = fetches(&world)
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(twice.is_empty(), "{twice:#?}");
    world.assert_truth(
        &Target::Sqlite(&dir.path().join("s.db")),
        (ApiKind::Partner, "partner"),
        &["Actions"],
    );
}

/// Two 503s in the middle of a window are retried: the window is read, none is skipped.
#[test]
fn a_503_mid_window_is_retried_and_nothing_is_skipped() {
    let world = World::small();
    let dir = TempDir::new("sync-503");
    let place = dir.path().join("jsonl");
    let to = Target::Jsonl(&place);
    let flag = to.flag();
    world.server.push_fault(
        RequestMatch::api_path("/Actions").method("GET"),
        2,
        Fault::status(503),
    );
    sync(
        &world,
        &["--streams", "Actions", "--to", &flag, "--backoff-ms", "5"],
        0,
    );
    let requests = world.server.requests();
    let statuses: Vec<u16> = requests.iter().map(|request| request.status).collect();
    assert_eq!(statuses[..3], [503, 503, 200]);
    assert_eq!(requests[0].target, requests[2].target);
    // 25 windows, and the first page read before the server's clock was known (the world is
    // not at this machine's time): the run was planned again from the server's `now`.
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 26);
    world.assert_truth(&to, (ApiKind::Partner, "partner"), &["Actions"]);
}

/// A token scoped without `Actions`: the default list skips the stream with a note and syncs
/// the rest (exit 0); naming the stream makes the 403 an error (exit 1).
#[test]
fn discovery_skips_a_stream_the_token_cannot_read() {
    let world = World::small();
    let scoped = "scoped-token-no-actions";
    world.post(
        "/_mock/tokens",
        &format!(
            r#"{{"account":"{DEMO_ACCOUNT_SID}","token":"{scoped}","endpoints":["CompanyInformation","Campaigns","Ads","PromoCodes","Catalogs","Contracts","ActionUpdates","ActionInquiries","Invoices","Reports"]}}"#
        ),
    );
    let dir = TempDir::new("sync-403");
    let place = dir.path().join("s.db");
    let to = Target::Sqlite(&place);
    let flag = to.flag();
    let env = [("IMPACT_AUTH_TOKEN", scoped)];
    let run = sync_env(&world, &["--to", &flag], &env, 0);
    assert!(
        run.stderr
            .contains("skipping Actions: the token cannot read it (403)"),
        "{}",
        run.stderr
    );
    let mut store = to.open();
    let records = store
        .records("ActionUpdates", impact_sync::Key::Field("Id"))
        .expect("records");
    assert!(!records.is_empty());
    drop(store);
    let run = sync_env(&world, &["--to", &flag, "--streams", "Actions"], &env, 1);
    assert!(run.stderr.contains("403"), "{}", run.stderr);
}

/// Bad flags exit 2 before any call.
#[test]
fn usage_errors_exit_2_and_call_nothing() {
    let world = World::small();
    let dir = TempDir::new("sync-usage");
    let db = format!("sqlite:{}", dir.path().join("s.db").display());
    for bad in [
        vec!["--to", "postgres:x"],
        vec!["--streams", "Nope"],
        vec!["--api", "agency"],
        vec!["--page-size", "0"],
        vec!["--window-days", "0"],
        vec!["--start-date", "soon"],
        vec!["--to", &db, "--quota-store", "http://127.0.0.1:1"],
    ] {
        sync(&world, &bad, 2);
    }
    assert_eq!(world.server.requests_seen(), 0);
    // One writer per store: a second sync of a store in use is refused.
    let store = SqliteStore::open(dir.path().join("s.db")).expect("the store");
    let run = sync(&world, &["--to", &db, "--streams", "Campaigns"], 2);
    assert!(
        run.stderr.contains("another sync is writing"),
        "{}",
        run.stderr
    );
    drop(store);
}
