//! The runner through the real client against impact-mock on loopback: paginated campaigns,
//! ads and actions, and faults scripted in the middle of a window; items stored byte for byte
//! as the mock sent them. Waits
//! the client decides on (backoff, `Retry-After`) go through a manual clock and take no real
//! time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use impact_client::{ApiKind, Client, ManualClock};
use impact_mock::{
    DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, Fault, MockServer, Quota, RequestMatch, Resource,
};
use impact_sync::{
    ClientSource, Event, Key, Runner, Store, StreamPlan, StreamSpec, StreamState, SyncOptions,
    Timestamp,
};

use crate::support::{Kind, TempDir, ground_truth};

/// 2025-06-01T00:00:00Z, a whole second, so that windows are reproducible.
const NOW: u64 = 1_748_736_000;

async fn mock() -> MockServer {
    MockServer::builder()
        .quota(Quota::disabled())
        .items(Resource::Campaigns, 3)
        .items(Resource::Ads, 2_500)
        .items(Resource::Actions, 450)
        .start()
        .await
        .expect("a loopback port")
}

fn source(server: &MockServer) -> ClientSource {
    let clock = Arc::new(ManualClock::with_unix_start(
        UNIX_EPOCH + Duration::from_secs(NOW),
    ));
    let client = Client::builder()
        .api(ApiKind::Brand)
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(DEMO_AUTH_TOKEN)
        .base_url(server.base_url())
        .clock(clock.clone())
        .random_seed(7)
        .build()
        .expect("a client");
    ClientSource::with_clock(client, DEMO_AUTH_TOKEN, clock)
}

fn spec(name: &str) -> &'static StreamSpec {
    StreamSpec::find(ApiKind::Brand, name).expect("a brand stream")
}

/// What the mock holds (`/_mock/world/{Resource}`) over the period a sync of `stream` reads.
async fn truth(server: &MockServer, stream: &str) -> BTreeMap<String, String> {
    let spec = spec(stream);
    let from = impact_sync::plan::floor(Timestamp::from_unix(server.now().unix_seconds()));
    ground_truth(&server.base_url(), "brand", spec)
        .await
        .into_iter()
        .filter(|(_, line)| {
            let item = serde_json::from_str(line).expect("a json line");
            spec.in_period(&item, from)
        })
        .collect()
}

fn ads_prefix() -> String {
    format!("/Advertisers/{DEMO_ACCOUNT_SID}/Ads")
}

/// The requests of the ads list: (first pages asked for, every request, answered 2xx).
fn ads_requests(server: &MockServer) -> (usize, usize, usize) {
    let ads: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|request| request.target.starts_with(&ads_prefix()))
        .collect();
    let first = ads
        .iter()
        .filter(|request| !request.target.contains("Page=") || request.target.contains("Page=1&"))
        .count();
    let ok = ads.iter().filter(|request| request.status == 200).count();
    (first, ads.len(), ok)
}

/// A runner whose first committed page of ads scripts `faults` on the next requests: the
/// second page, whatever the mock's page links look like.
fn fault_after_first_page<'a>(
    source: &'a ClientSource,
    store: &'a mut dyn Store,
    server: &Arc<MockServer>,
    faults: Vec<Fault>,
) -> Runner<&'a ClientSource, &'a mut dyn Store> {
    let server = Arc::clone(server);
    let mut faults = Some(faults);
    Runner::new(source, store).on_event(move |event| {
        if let Event::Page { stream: "Ads", .. } = event
            && let Some(faults) = faults.take()
        {
            for fault in faults {
                server.push_fault(RequestMatch::prefix(&ads_prefix()), 1, fault);
            }
        }
    })
}

/// Campaigns, ads (three pages) and actions (per campaign, 25 windows) land whole in both
/// stores, in exactly the calls the planner counts when every window fits a page.
#[tokio::test]
async fn brand_lists_land_whole_in_the_calls_planned() {
    let server = mock().await;
    let source = source(&server);
    for kind in Kind::ALL {
        let dir = TempDir::new("mock-lists");
        let mut store = kind.open(dir.path()).expect("a store");
        for (stream, partitions, discovery) in
            [("Campaigns", 1, 0), ("Ads", 1, 0), ("Actions", 3, 1)]
        {
            let plan = StreamPlan::of(
                spec(stream),
                &StreamState::default(),
                &SyncOptions::new(),
                Timestamp::from_unix(NOW as i64),
                partitions,
                discovery,
            )
            .expect("a plan");
            let mut runner = Runner::new(&source, &mut store);
            let report = runner.sync(spec(stream)).await.expect("a sync");
            assert!(report.complete, "{kind:?} {stream}");
            let expected = truth(&server, stream).await;
            let records = store.records(stream, Key::Field("Id")).expect("records");
            assert_eq!(records.len(), expected.len(), "{kind:?} {stream}");
            assert!(
                records == expected,
                "{kind:?} {stream}: the records differ from the mock's"
            );
            let pages = if stream == "Ads" { 3 } else { plan.min_calls };
            assert_eq!(report.calls, pages, "{kind:?} {stream}");
        }
    }
    server.shutdown().await;
}

/// A 503, then a 429 asking for a second, on the second page of a list: the client waits them
/// out, the page is read, nothing is skipped.
#[tokio::test]
async fn a_503_and_a_429_mid_window_are_waited_out() {
    let server = Arc::new(mock().await);
    let source = source(&server);
    let mut store = impact_sync::SqliteStore::open_in_memory().expect("a store");
    let faults = vec![
        Fault::status(503),
        Fault::status(429).header("Retry-After", "1"),
    ];
    let mut runner = fault_after_first_page(&source, &mut store, &server, faults);
    let report = runner.sync(spec("Ads")).await.expect("a sync");
    assert!(report.complete);
    assert_eq!(report.calls, 3, "a call is a page, whatever its attempts");
    assert_eq!(ads_requests(&server), (1, 5, 3));
    let expected = truth(&server, "Ads").await;
    assert!(store.records("Ads", Key::Field("Id")).expect("records") == expected);
}

/// A 429 asking for an hour, beyond the client's longest wait, ends the run with the client's
/// rate-limit error (the command line's exit 4) after the pages before it were committed; the
/// next run reads on from the page that was refused, never again the pages before it.
#[tokio::test]
async fn a_rate_limit_beyond_the_wait_stops_and_the_next_run_resumes() {
    let server = Arc::new(mock().await);
    for kind in Kind::ALL {
        let source = source(&server);
        server.clear_requests();
        let dir = TempDir::new("mock-429");
        let mut store = kind.open(dir.path()).expect("a store");
        let faults = vec![Fault::status(429).header("Retry-After", "3600")];
        let mut runner = fault_after_first_page(&source, &mut *store, &server, faults);
        let error = runner.sync(spec("Ads")).await.expect_err("rate limited");
        assert!(error.is_rate_limited(), "{kind:?}: {error}");
        assert_eq!(
            error.retry_after(),
            Some(Duration::from_secs(3600)),
            "{kind:?}"
        );
        assert_eq!(error.stream(), Some("Ads"));
        drop(runner);
        drop(store);

        // The next run is a new process: a new client, which has not seen the 429.
        let source = self::source(&server);
        let mut store = kind.open(dir.path()).expect("the store again");
        assert_eq!(
            store
                .records("Ads", Key::Field("Id"))
                .expect("records")
                .len(),
            1_000
        );
        let mut runner = Runner::new(&source, &mut *store);
        let report = runner.sync(spec("Ads")).await.expect("the resumed sync");
        assert!(report.resumed && report.complete, "{kind:?}");
        assert_eq!(report.calls, 2, "{kind:?}");
        assert_eq!(ads_requests(&server), (1, 4, 3), "{kind:?}");
        let expected = truth(&server, "Ads").await;
        assert!(store.records("Ads", Key::Field("Id")).expect("records") == expected);
    }
}

/// A token with characters every encoding changes, for the account of the echo test.
const TOKEN: &str = "tok/Sq9+Zr7=Wv2:Lm5";
const SID: &str = "IRechoEchoEchoEchoEchoEchoEcho0001";

/// Every form the token can leak in: as is, percent-encoded, form-encoded, and base64 alone
/// and inside Basic credentials (unpadded, so that a prefix of the encoding counts).
fn token_forms() -> Vec<String> {
    let percent: String = TOKEN
        .bytes()
        .map(
            |b| match b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                true => char::from(b).to_string(),
                false => format!("%{b:02X}"),
            },
        )
        .collect();
    vec![
        TOKEN.to_owned(),
        percent.clone(),
        percent.replace("%20", "+"),
        base64(TOKEN.as_bytes()),
        base64(format!("{SID}:{TOKEN}").as_bytes()),
    ]
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for index in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * index) & 63) as usize]));
        }
    }
    out
}

/// A server that echoes the token in every form, in an item and in a page link: neither store,
/// neither in its rows nor in its checkpoint, holds the token in any form afterwards.
#[tokio::test]
async fn an_echoed_token_never_reaches_a_store() {
    let server = MockServer::builder()
        .quota(Quota::disabled())
        .account(SID, TOKEN)
        .start()
        .await
        .expect("a loopback port");
    let forms = token_forms();
    let body = serde_json::json!({
        "@page": "1",
        "@nextpageuri": format!("/Advertisers/{SID}/Ads?PageSize=1000&Page=2&echo={}", forms[1]),
        "Ads": [{"Id": "1", "Echoes": forms, "Auth": format!("Basic {}==", forms[4])}],
    });
    let clock = Arc::new(ManualClock::with_unix_start(
        UNIX_EPOCH + Duration::from_secs(NOW),
    ));
    for kind in Kind::ALL {
        server.push_fault(
            RequestMatch::prefix(&format!("/Advertisers/{SID}/Ads")),
            1,
            Fault::raw(200, "application/json", body.to_string()),
        );
        let client = Client::builder()
            .api(ApiKind::Brand)
            .account_sid(SID)
            .auth_token(TOKEN)
            .base_url(server.base_url())
            .clock(clock.clone())
            .build()
            .expect("a client");
        let source = ClientSource::with_clock(client, TOKEN, clock.clone());
        assert!(!format!("{source:?}").contains("Sq9"));
        let dir = TempDir::new("echo");
        let mut store = kind.open(dir.path()).expect("a store");
        let mut runner = Runner::new(&source, &mut *store).max_calls(1);
        let report = runner.sync(spec("Ads")).await.expect("a page");
        assert!(!report.complete);
        let records = store.records("Ads", Key::Field("Id")).expect("records");
        assert_eq!(
            records["1"].matches("<redacted>").count(),
            6,
            "{kind:?}: {}",
            records["1"]
        );
        let state = serde_json::to_string(&store.state("Ads")).expect("json");
        assert!(state.contains("echo=<redacted>"), "{kind:?}: {state}");
        drop(store);
        for entry in walk(dir.path()) {
            let bytes = std::fs::read(&entry).expect("a file");
            for form in &forms {
                assert!(
                    memchr_find(&bytes, form.as_bytes()).is_none(),
                    "{kind:?}: {} holds the token as {form}",
                    entry.display()
                );
            }
        }
    }
    server.shutdown().await;
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Items land as the API sent them: the attributes in the server's order, numbers and escapes
/// as written; only the whitespace between tokens goes, so that a record is one line.
#[tokio::test]
async fn items_land_exactly_as_the_api_sent_them() {
    let server = mock().await;
    let body = "{\"@page\": \"1\", \"@nextpageuri\": \"\",\n \"Ads\": [\n  {\"Name\": \"caf\\u00e9 \\\"deal\\\"\", \"Id\": \"7\", \"Amount\": 1.50, \"Tags\": [ \"a\" , \"b\" ]},\n  {\"Id\":17,\"Z\":null}\n ]}";
    for kind in Kind::ALL {
        server.push_fault(
            RequestMatch::prefix(&ads_prefix()),
            1,
            Fault::raw(200, "application/json", body),
        );
        let source = source(&server);
        let dir = TempDir::new("raw");
        let mut store = kind.open(dir.path()).expect("a store");
        let report = Runner::new(&source, &mut *store)
            .sync(spec("Ads"))
            .await
            .expect("a sync");
        assert!(report.complete);
        let records = store.records("Ads", Key::Field("Id")).expect("records");
        let expect: BTreeMap<String, String> = [
            (
                "7".to_owned(),
                r#"{"Name":"caf\u00e9 \"deal\"","Id":"7","Amount":1.50,"Tags":["a","b"]}"#
                    .to_owned(),
            ),
            ("17".to_owned(), r#"{"Id":17,"Z":null}"#.to_owned()),
        ]
        .into();
        assert_eq!(records, expect, "{kind:?}");
    }
    server.shutdown().await;
}
