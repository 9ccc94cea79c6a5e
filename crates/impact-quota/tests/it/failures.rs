//! SPEC 10's failure policy, as the store's side of it: Redis unreachable at start or killed
//! mid-run makes each operation fail within its bound (never a hang, never a panic), the caller
//! goes on without it, and the store is used again once Redis is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use impact_quota::{
    AccountQuota, AccountSid, Admit, Arrival, GroupName, Limit, Observation, Pace, QuotaStore,
    StoreConfig,
};
use impact_retry::BudgetConfig;

use crate::redis_server::RedisServer;

const BOUND: Duration = Duration::from_millis(200);
/// How much later than its bound an operation may return before the test calls it a hang: the
/// bound is a timer, and a loaded machine runs timers late.
const HANG: Duration = Duration::from_secs(2);

fn config(url: &str) -> StoreConfig {
    StoreConfig::new(url)
        .with_timeout(BOUND)
        .with_retry_after(Duration::from_millis(250))
}

fn pace() -> Pace {
    Pace::new(Limit::per(1000, Duration::from_secs(1)).expect("valid"))
}

fn sid() -> AccountSid {
    AccountSid::new("IRfailures0000000000000000000001").expect("valid")
}

/// Polls `admit` until the store answers, for at most `within`.
async fn wait_until_answered(account: &AccountQuota, within: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < within {
        let asked = account
            .admit(
                &GroupName::default_group(),
                &pace(),
                Duration::from_secs(5),
                Arrival::First,
            )
            .await;
        if asked.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_at_start_fails_fast_and_is_taken_up_when_redis_comes() {
    let (url, port) = RedisServer::unused_url();
    let started = Instant::now();
    let store = QuotaStore::connect_with(config(&url))
        .await
        .expect("a bad URL only fails");
    assert!(
        started.elapsed() < HANG,
        "connecting waited {:?}",
        started.elapsed()
    );
    assert!(!store.is_available());
    let account = store.account(&sid());
    for _ in 0..5 {
        let started = Instant::now();
        let error = account
            .admit(
                &GroupName::default_group(),
                &pace(),
                Duration::from_secs(5),
                Arrival::First,
            )
            .await
            .expect_err("nothing listens");
        assert!(error.is_unavailable(), "{error}");
        assert!(
            started.elapsed() < HANG,
            "an operation waited {:?}",
            started.elapsed()
        );
    }

    let mut server = RedisServer::stopped_on(port);
    server.restart().await;
    assert!(
        wait_until_answered(&account, Duration::from_secs(15)).await,
        "the store never took Redis up"
    );
    assert!(store.is_available());
}

#[tokio::test]
async fn a_malformed_url_is_a_configuration_error_that_does_not_echo_it() {
    for url in [
        "http://127.0.0.1:1",
        "redis://:hunter2@[::1",
        "not a url hunter2",
    ] {
        let error = QuotaStore::connect(url).await.expect_err("not a redis URL");
        assert!(error.is_config(), "{url}: {error}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}

/// What the tasks of the kill test counted.
#[derive(Default)]
struct Tally {
    calls: AtomicU64,
    fallbacks: AtomicU64,
    answered_after_restart: AtomicU64,
    slowest_us: AtomicU64,
}

impl Tally {
    fn timed<T>(&self, started: Instant, value: T) -> T {
        let took = started.elapsed().as_micros() as u64;
        self.slowest_us.fetch_max(took, Ordering::Relaxed);
        value
    }
}

/// One call as a client would make it: ask the pace (coming back when told), "send", feed the
/// headers back, refill the budget. Any store error means going on without it.
async fn one_call(account: &AccountQuota, tally: &Tally, restarted: &AtomicU64) {
    let group = GroupName::default_group();
    let pace = pace();
    let mut arrival = Arrival::First;
    loop {
        let started = Instant::now();
        let answer = account
            .admit(&group, &pace, Duration::from_secs(5), arrival)
            .await;
        match tally.timed(started, answer) {
            Ok(Admit::Later(wait)) => {
                tokio::time::sleep(wait).await;
                arrival = Arrival::Returning;
            }
            Ok(Admit::Reserved(wait)) => {
                tokio::time::sleep(wait).await;
                break;
            }
            Ok(_) => break,
            Err(error) => {
                assert!(error.is_unavailable(), "{error}");
                tally.fallbacks.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
    }
    let started = Instant::now();
    // Headers that agree with the pace (the calls left fill the time to the reset): the
    // script runs and moves nothing.
    let seen = Observation::hold_for(Duration::ZERO).with_window(Duration::from_secs(1), 1000);
    let observed = account.observe(&group, &pace, &seen).await;
    let started_refill = Instant::now();
    tally.timed(started, ());
    let refilled = account.refill_first_try_success(&BudgetConfig::new()).await;
    tally.timed(started_refill, ());
    if restarted.load(Ordering::Acquire) == 1 && observed.is_ok() && refilled.is_ok() {
        tally.answered_after_restart.fetch_add(1, Ordering::Relaxed);
    }
    tally.calls.fetch_add(1, Ordering::Relaxed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_mid_run_loses_no_call() {
    const TASKS: u64 = 64;
    const CALLS: u64 = 120;
    let mut server = RedisServer::start().await;
    let store = QuotaStore::connect_with(config(&server.url()))
        .await
        .expect("a store");
    assert!(store.is_available());
    let account = store.account(&sid());
    let tally = Arc::new(Tally::default());
    let restarted = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (account, tally, restarted) = (account.clone(), tally.clone(), restarted.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..CALLS {
                one_call(&account, &tally, &restarted).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill();
    tokio::time::sleep(Duration::from_millis(600)).await;
    server.restart().await;
    restarted.store(1, Ordering::Release);

    let all = futures_join(tasks);
    let finished = tokio::time::timeout(Duration::from_secs(120), all).await;
    assert!(
        finished.is_ok(),
        "a task hung: {} calls made",
        tally.calls.load(Ordering::Relaxed)
    );
    assert_eq!(
        tally.calls.load(Ordering::Relaxed),
        TASKS * CALLS,
        "every call was made"
    );
    assert!(
        tally.fallbacks.load(Ordering::Relaxed) > 0,
        "the outage was seen"
    );
    assert!(
        tally.answered_after_restart.load(Ordering::Relaxed) > 0,
        "the store was used again after the restart"
    );
    let slowest = Duration::from_micros(tally.slowest_us.load(Ordering::Relaxed));
    assert!(slowest < BOUND + HANG, "an operation took {slowest:?}");
    assert!(store.outages() >= 1);
    assert!(wait_until_answered(&account, Duration::from_secs(10)).await);
}

/// Waits for every task, panicking with the first task's panic.
async fn futures_join(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for task in tasks {
        task.await.expect("a task panicked");
    }
}
