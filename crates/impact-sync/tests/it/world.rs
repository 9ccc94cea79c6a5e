//! The runner against the living mock, through its SPEC 8.4 control interface only: the
//! ground truth at `/_mock/world/{Resource}`, the clock at `/_mock/clock`, faults at
//! `/_mock/faults`, the request log at `/_mock/requests`.
//!
//! The source learns the world's time from the mock's `Date` header; the client's own clock
//! is a manual one (its waits take no real time), set to the mock's `now` and moved with it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use impact_client::{ApiKind, Client, ManualClock};
use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, MockServer, Quota, Resource};
use impact_sync::{ClientSource, Runner, Store, StreamSpec, Timestamp, plan};
use serde_json::{Value, json};

use crate::support::{Kind, TempDir, compare, ground_truth};

struct World {
    server: MockServer,
    http: reqwest::Client,
}

impl World {
    async fn start() -> World {
        World {
            // The small scale's 5 campaigns and 2,000 actions; quota off, so that four syncs
            // of 25 windows per campaign fit in one test.
            server: MockServer::builder()
                .quota(Quota::disabled())
                .items(Resource::Campaigns, 5)
                .items(Resource::Actions, 2_000)
                .start()
                .await
                .expect("a loopback port"),
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url().trim_end_matches('/'))
    }

    async fn get(&self, path: &str) -> String {
        let response = self
            .http
            .get(self.url(path))
            .send()
            .await
            .expect("a control call");
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.text().await.expect("a body")
    }

    async fn post(&self, path: &str, body: Value) {
        let response = self
            .http
            .post(self.url(path))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("a control call");
        assert!(
            response.status().is_success(),
            "POST {path}: {}",
            response.status()
        );
    }

    async fn delete(&self, path: &str) {
        let response = self
            .http
            .delete(self.url(path))
            .send()
            .await
            .expect("a control call");
        assert!(
            response.status().is_success(),
            "DELETE {path}: {}",
            response.status()
        );
    }

    async fn now(&self) -> Timestamp {
        let body: Value = serde_json::from_str(&self.get("/_mock/clock").await).expect("json");
        body["now"]
            .as_str()
            .expect("now")
            .parse()
            .expect("an instant")
    }

    /// The ground truth of a resource: every item's line, by the stream's key.
    async fn truth(&self, api: &str, spec: &StreamSpec) -> BTreeMap<String, String> {
        ground_truth(&self.server.base_url(), api, spec).await
    }

    /// Page fetches (2xx GETs of the API) that repeat an earlier target.
    async fn pages_fetched_twice(&self) -> usize {
        let log: Vec<Value> =
            serde_json::from_str(&self.get("/_mock/requests").await).expect("the log");
        let mut seen = BTreeMap::new();
        for request in &log {
            if request["status"]
                .as_u64()
                .is_some_and(|s| (200..300).contains(&s))
            {
                *seen.entry(request["target"].to_string()).or_insert(0usize) += 1;
            }
        }
        seen.values().map(|n| n - 1).sum()
    }
}

fn source(world: &World, api: ApiKind, clock: &ManualClock) -> ClientSource {
    let client = Client::builder()
        .api(api)
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(DEMO_AUTH_TOKEN)
        .base_url(world.server.base_url())
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("a client");
    ClientSource::with_clock(client, DEMO_AUTH_TOKEN, Arc::new(clock.clone()))
}

async fn sync_and_compare(
    world: &World,
    api: (ApiKind, &str),
    clock: &ManualClock,
    store: &mut dyn Store,
    label: &str,
) {
    let source = source(world, api.0, clock);
    let from = plan::floor(world.now().await);
    for name in ["Campaigns", "Actions", "ActionUpdates"] {
        let spec = StreamSpec::find(api.0, name).expect("a stream");
        let mut runner = Runner::new(&source, &mut *store);
        let report = runner.sync(spec).await.expect("a sync");
        assert!(report.complete, "{label} {name}");
        let truth = world.truth(api.1, spec).await;
        let records = store.records(spec.name(), spec.key()).expect("records");
        assert_eq!(
            compare(&records, &truth, spec, from),
            (0, 0, 0),
            "{label} {name}"
        );
    }
}

/// Both APIs, both stores: a full sync ends in the ground truth; after the world moves 30 days
/// (new, changed, backdated and approved actions), an incremental sync ends in it again.
#[tokio::test]
async fn syncs_end_in_the_ground_truth_before_and_after_the_clock_moves() {
    for api in [(ApiKind::Partner, "partner"), (ApiKind::Brand, "brand")] {
        for kind in Kind::ALL {
            let world = World::start().await;
            let start = world.now().await;
            let clock =
                ManualClock::with_unix_start(UNIX_EPOCH + Duration::from_secs(start.unix() as u64));
            let dir = TempDir::new("world");
            let mut store = kind.open(dir.path()).expect("a store");
            sync_and_compare(&world, api, &clock, &mut *store, "full").await;
            let month = 30 * 86_400;
            world
                .post("/_mock/clock", json!({"advance_secs": month}))
                .await;
            clock.advance(Duration::from_secs(month));
            world.delete("/_mock/quota").await;
            sync_and_compare(&world, api, &clock, &mut *store, "incremental").await;
            world.server.shutdown().await;
        }
    }
}

/// A 503 and a 429 with `Retry-After: 1` on the actions, scripted through `/_mock/faults`, are
/// waited out; a 429 asking for an hour stops the sync with a rate-limit error, and the next
/// run resumes without fetching any committed page again.
#[tokio::test]
async fn faults_through_the_control_interface_are_waited_out_or_stop_resumably() {
    let world = World::start().await;
    let start = world.now().await;
    let clock = ManualClock::with_unix_start(UNIX_EPOCH + Duration::from_secs(start.unix() as u64));
    let spec = StreamSpec::find(ApiKind::Partner, "Actions").expect("actions");
    let dir = TempDir::new("world-faults");
    let mut store = Kind::Sqlite.open(dir.path()).expect("a store");
    world
        .post(
            "/_mock/faults",
            json!({"method": "GET", "path": "/Actions", "times": 1, "status": 503}),
        )
        .await;
    world
        .post(
            "/_mock/faults",
            json!({"method": "GET", "path": "/Actions", "times": 1, "status": 429, "headers": {"Retry-After": "1"}}),
        )
        .await;
    let source = source(&world, ApiKind::Partner, &clock);
    let mut runner = Runner::new(&source, &mut *store);
    assert!(runner.sync(spec).await.expect("a sync").complete);

    let dir = TempDir::new("world-429");
    let mut store = Kind::Jsonl.open(dir.path()).expect("a store");
    world.delete("/_mock/requests").await;
    let source = self::source(&world, ApiKind::Partner, &clock);
    let mut runner = Runner::new(&source, &mut *store).max_calls(5);
    assert!(!runner.sync(spec).await.expect("five calls").complete);
    world
        .post(
            "/_mock/faults",
            json!({"method": "GET", "path": "/Actions", "times": 1, "status": 429, "headers": {"Retry-After": "3600"}}),
        )
        .await;
    let mut runner = Runner::new(&source, &mut *store);
    let error = runner.sync(spec).await.expect_err("rate limited");
    assert!(error.is_rate_limited(), "{error}");
    let source = self::source(&world, ApiKind::Partner, &clock);
    let mut runner = Runner::new(&source, &mut *store);
    assert!(runner.sync(spec).await.expect("resumed").complete);
    assert_eq!(world.pages_fetched_twice().await, 0);
    let truth = world.truth("partner", spec).await;
    let from = plan::floor(start);
    let records = store.records(spec.name(), spec.key()).expect("records");
    assert_eq!(compare(&records, &truth, spec, from), (0, 0, 0));
    world.server.shutdown().await;
}
