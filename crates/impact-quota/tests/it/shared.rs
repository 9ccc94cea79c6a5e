//! Many tasks and many processes sharing one account through one Redis, against the mock's
//! per-account quota: every call goes through, 429s stay at most one per window, and nothing
//! in Redis (keys or values) carries the auth token.
//!
//! The processes are this test binary started again with `IMPACT_QUOTA_CHILD` set: the child
//! runs [`child_process_entry`] and prints one line with what it counted.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use impact_client::{Client, Request, RetryPolicy};
use impact_errors::StatusCode;
use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, MockServer, Quota};
use impact_quota::{
    AccountQuota, AccountSid, Admit, Arrival, GroupName, Limit, Observation, Pace, QuotaStore,
};

use crate::redis_server::RedisServer;

/// The mock's quota: 20 calls per 2 s window (a call every 100 ms).
const LIMIT: u32 = 20;
const WINDOW: Duration = Duration::from_secs(2);
const CHILD_ENV: &str = "IMPACT_QUOTA_CHILD";

fn pace() -> Pace {
    Pace::new(Limit::per(LIMIT, WINDOW).expect("valid"))
}

/// What a set of tasks counted.
#[derive(Default, Debug)]
struct Tally {
    ok: AtomicU64,
    too_many: AtomicU64,
    store_failures: AtomicU64,
}

/// Waits for a slot as the store says (coming back after `Later`, waiting out `TooLong`).
async fn wait_for_slot(account: &AccountQuota, group: &GroupName, tally: &Tally) {
    let mut arrival = Arrival::First;
    loop {
        match account
            .admit(group, &pace(), Duration::from_secs(60), arrival)
            .await
        {
            Ok(Admit::Now) => return,
            Ok(Admit::Reserved(wait)) => return tokio::time::sleep(wait).await,
            Ok(Admit::Later(wait)) => {
                tokio::time::sleep(wait).await;
                arrival = Arrival::Returning;
            }
            Ok(Admit::TooLong(wait)) => {
                tokio::time::sleep(wait).await;
                arrival = Arrival::First;
            }
            Err(_) => {
                tally.store_failures.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    }
}

/// One call through the shared pace, retried (through the pace again) until it succeeds; the
/// client itself makes one attempt per call, so that every 429 is seen here.
async fn paced_call(client: &Client, account: &AccountQuota, tally: &Tally) {
    let group = GroupName::default_group();
    loop {
        wait_for_slot(account, &group, tally).await;
        let (status, info) = match client.send(Request::get("/Campaigns")).await {
            Ok(response) => (response.status(), *response.rate_limit()),
            Err(error) => {
                let status = error.status().expect("the mock answers every call");
                (status, error.rate_limit().copied().unwrap_or_default())
            }
        };
        let unix_now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let seen = Observation::from_response(&info, status, unix_now, &pace());
        if account.observe(&group, &pace(), &seen).await.is_err() {
            tally.store_failures.fetch_add(1, Ordering::Relaxed);
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            tally.too_many.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        assert!(status.is_success(), "{status}");
        tally.ok.fetch_add(1, Ordering::Relaxed);
        return;
    }
}

fn client(base_url: &str) -> Client {
    Client::builder()
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(DEMO_AUTH_TOKEN)
        .base_url(base_url)
        .retry_policy(RetryPolicy::new().with_max_attempts(1))
        .build()
        .expect("a valid client")
}

/// `tasks` tasks making `calls` calls each through one store.
async fn run_tasks(redis_url: &str, base_url: &str, tasks: usize, calls: usize) -> Arc<Tally> {
    let store = QuotaStore::connect(redis_url).await.expect("a store");
    let account = store.account(&AccountSid::new(DEMO_ACCOUNT_SID).expect("valid"));
    let client = client(base_url);
    let tally = Arc::new(Tally::default());
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (client, account, tally) = (client.clone(), account.clone(), tally.clone());
        handles.push(tokio::spawn(async move {
            for _ in 0..calls {
                paced_call(&client, &account, &tally).await;
            }
        }));
    }
    for handle in handles {
        handle.await.expect("a task panicked");
    }
    tally
}

async fn mock() -> MockServer {
    MockServer::builder()
        .quota(Quota::per_window(u64::from(LIMIT), WINDOW))
        .start()
        .await
        .expect("a loopback port")
}

/// Every key and value in the Redis at `url`, as text.
async fn everything_in(url: &str) -> Vec<String> {
    let mut connection = redis::Client::open(url)
        .expect("a client")
        .get_multiplexed_async_connection()
        .await
        .expect("a connection");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut connection)
        .await
        .expect("KEYS");
    let mut found = Vec::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .expect("TYPE");
        assert_eq!(
            kind, "string",
            "{key} is a {kind}: the store writes only strings"
        );
        let value: String = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .expect("GET");
        found.push(key);
        found.push(value);
    }
    found
}

/// Nothing in Redis carries the token, in clear or in the Basic header's base64 form; and
/// the store did write keys naming the account (so that the scan is not vacuous).
pub(crate) async fn assert_no_token_in(url: &str) {
    let everything = everything_in(url).await;
    let basic = basic_credentials();
    assert!(
        everything
            .iter()
            .any(|text| text.contains(DEMO_ACCOUNT_SID) && text.ends_with(":pace:default")),
        "{everything:?}"
    );
    for text in &everything {
        assert!(
            !text.contains(DEMO_AUTH_TOKEN),
            "the token is in Redis: {text}"
        );
        assert!(
            !text.contains(&basic),
            "the Basic credentials are in Redis: {text}"
        );
    }
}

/// `base64(SID:token)` as the client's `Authorization` header carries it.
fn basic_credentials() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{DEMO_ACCOUNT_SID}:{DEMO_AUTH_TOKEN}");
    let mut out = String::new();
    for chunk in input.as_bytes().chunks(3) {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> shift & 63) as usize] as char);
            }
        }
    }
    // Compare without padding: a prefix of the encoding is enough to find it.
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_share_one_pace_against_the_mock() {
    let redis = RedisServer::start().await;
    let server = mock().await;
    let started = Instant::now();
    // 12 tasks want 60 calls: three windows' worth.
    let tally = run_tasks(&redis.url(), &server.base_url(), 12, 5).await;
    assert_eq!(tally.ok.load(Ordering::Relaxed), 60, "{tally:?}");
    assert!(
        tally.too_many.load(Ordering::Relaxed) <= 3,
        "at most one 429 per window: {tally:?}"
    );
    assert_eq!(tally.store_failures.load(Ordering::Relaxed), 0, "{tally:?}");
    // Paced, not sent at once: three windows' worth cannot finish before the third window.
    assert!(started.elapsed() >= WINDOW * 2, "{:?}", started.elapsed());
    assert_no_token_in(&redis.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_processes_share_one_pace_against_the_mock() {
    const PROCESSES: usize = 3;
    let redis = RedisServer::start().await;
    let server = mock().await;
    let exe = std::env::current_exe().expect("the test binary");
    let mut children = Vec::new();
    for _ in 0..PROCESSES {
        let child = tokio::process::Command::new(&exe)
            .args([
                "--exact",
                "shared::child_process_entry",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, format!("{} {}", redis.url(), server.base_url()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("a child process");
        children.push(child);
    }
    let (mut ok, mut too_many) = (0, 0);
    for child in children {
        let output = child.wait_with_output().await.expect("the child ran");
        assert!(output.status.success(), "a child failed: {}", output.status);
        let stdout = String::from_utf8_lossy(&output.stdout);
        // The harness prints the test's name on the same line, before the result.
        let line = stdout
            .split_once("impact-quota-child: ")
            .and_then(|(_, rest)| rest.lines().next())
            .unwrap_or_else(|| panic!("no result line in {stdout:?}"));
        let numbers: Vec<u64> = line
            .split(' ')
            .map(|n| n.parse().expect("a count"))
            .collect();
        assert_eq!(numbers.len(), 3, "{line}");
        assert_eq!(numbers[2], 0, "store failures in a child: {line}");
        ok += numbers[0];
        too_many += numbers[1];
    }
    // Three processes of 4 tasks want 60 calls: three windows' worth.
    assert_eq!(ok, 60);
    assert!(
        too_many <= 3,
        "at most one 429 per window, {too_many} in all"
    );
    assert_no_token_in(&redis.url()).await;
}

/// The child process of [`many_processes_share_one_pace_against_the_mock`]; does nothing
/// unless the parent started it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_process_entry() {
    let Ok(urls) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (redis_url, base_url) = urls.split_once(' ').expect("two URLs");
    let tally = run_tasks(redis_url, base_url, 4, 5).await;
    println!(
        "impact-quota-child: {} {} {}",
        tally.ok.load(Ordering::Relaxed),
        tally.too_many.load(Ordering::Relaxed),
        tally.store_failures.load(Ordering::Relaxed)
    );
}
