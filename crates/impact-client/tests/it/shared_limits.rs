//! Shared limits (SPEC 10's seam): clients that use one store share one pace per rate-limit
//! group and one retry budget; a store that fails or hangs costs a call at most its timeout,
//! is reported once, and is taken up again when it answers; keys never carry the token.
//!
//! The store here keeps its state in memory and reckons time on the clients' manual clock,
//! standing in for a server's clock that the clients do not share.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use impact_client::{
    Admission, Charge, Client, ClientBuilder, ErrorKind, LimitKey, ManualClock, Observation,
    OnStoreFailure, RateGroup, SharedLimits, StoreError, StoreFuture, StorePolicy,
};
use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, Fault, MockServer, RequestMatch};
use tracing_subscriber::layer::{Context, SubscriberExt};

use crate::{account_path, manual_clock, quiet_mock};

/// What the store does when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Answer,
    Fail,
    /// Never answers.
    Hang,
}

/// The shared state: per account and group the instant (on the store's clock) before which
/// nothing may be sent, per account the tokens left, and every key and operation asked.
#[derive(Debug)]
struct State {
    behaviour: Behaviour,
    held_until: HashMap<(String, RateGroup), Duration>,
    tokens: HashMap<String, u32>,
    capacity: u32,
    asked: Vec<String>,
}

#[derive(Debug)]
struct MemoryStore {
    clock: ManualClock,
    state: Mutex<State>,
}

impl MemoryStore {
    fn new(clock: &ManualClock, capacity: u32) -> Arc<MemoryStore> {
        Arc::new(MemoryStore {
            clock: clock.clone(),
            state: Mutex::new(State {
                behaviour: Behaviour::Answer,
                held_until: HashMap::new(),
                tokens: HashMap::new(),
                capacity,
                asked: Vec::new(),
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("not poisoned")
    }

    fn behave(&self, behaviour: Behaviour) {
        self.state().behaviour = behaviour;
    }

    /// Records the operation and answers it as the behaviour says, computing the answer with
    /// `answer` only when the store answers.
    fn op<'a, T: Send + 'a>(
        &'a self,
        name: &str,
        key: LimitKey<'_>,
        answer: impl FnOnce(&mut State, Duration) -> T,
    ) -> StoreFuture<'a, T> {
        let now = self.clock.elapsed();
        let mut state = self.state();
        state.asked.push(format!("{name} {key}"));
        match state.behaviour {
            Behaviour::Answer => {
                let answer = answer(&mut state, now);
                Box::pin(async move { Ok(answer) })
            }
            Behaviour::Fail => Box::pin(async { Err(StoreError::new("connection refused")) }),
            Behaviour::Hang => Box::pin(std::future::pending()),
        }
    }
}

impl SharedLimits for MemoryStore {
    fn admit<'a>(&'a self, key: LimitKey<'a>, max_wait: Duration) -> StoreFuture<'a, Admission> {
        self.op("admit", key, |state, now| {
            let held = state
                .held_until
                .get(&(key.account().to_owned(), key.group()));
            let wait = held.map_or(Duration::ZERO, |until| until.saturating_sub(now));
            if wait.is_zero() {
                Admission::Now
            } else if wait > max_wait {
                Admission::TooLong { retry_after: wait }
            } else {
                Admission::Wait(wait)
            }
        })
    }

    fn observe<'a>(&'a self, key: LimitKey<'a>, seen: &'a Observation) -> StoreFuture<'a, ()> {
        self.op("observe", key, |state, now| {
            if let Some(hold) = seen.hold() {
                let held = state
                    .held_until
                    .entry((key.account().to_owned(), key.group()))
                    .or_default();
                *held = (*held).max(now + hold);
            }
        })
    }

    fn charge_retry<'a>(&'a self, key: LimitKey<'a>, tokens: u32) -> StoreFuture<'a, Charge> {
        self.op("charge_retry", key, |state, _| {
            let capacity = state.capacity;
            let left = state
                .tokens
                .entry(key.account().to_owned())
                .or_insert(capacity);
            match left.checked_sub(tokens) {
                Some(rest) => {
                    *left = rest;
                    Charge::Paid { tokens_left: rest }
                }
                None => Charge::Refused,
            }
        })
    }

    fn refill<'a>(&'a self, key: LimitKey<'a>, tokens: u32) -> StoreFuture<'a, ()> {
        self.op("refill", key, |state, _| {
            let capacity = state.capacity;
            let left = state
                .tokens
                .entry(key.account().to_owned())
                .or_insert(capacity);
            *left = (*left + tokens).min(capacity);
        })
    }
}

/// A client of the demo account on `server` that keeps its limits in `store`, on `clock`.
fn builder(server: &MockServer, clock: &ManualClock, store: &Arc<MemoryStore>) -> ClientBuilder {
    Client::builder()
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(DEMO_AUTH_TOKEN)
        .base_url(server.base_url())
        .random_seed(7)
        .clock(Arc::new(clock.clone()))
        .shared_limits(Arc::clone(store) as Arc<dyn SharedLimits>)
}

/// A 200 that says the limit is used up for `reset` seconds.
fn exhausted(reset: &str) -> Fault {
    Fault::raw(200, "application/json", r#"{"Campaigns":[]}"#)
        .header("X-RateLimit-Limit", "1000")
        .header("X-RateLimit-Remaining", "0")
        .header("X-RateLimit-Reset", reset)
}

/// Counts the client's `warn` and `info` events about its store, on this thread.
#[derive(Clone, Default)]
struct StoreEvents(Arc<Mutex<Vec<(tracing::Level, String)>>>);

impl StoreEvents {
    /// Captures the events of everything run on this thread until the guard is dropped (the
    /// tests run on one thread).
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::registry().with(self.clone());
        tracing::subscriber::set_default(subscriber)
    }

    fn at(&self, level: tracing::Level) -> Vec<String> {
        let events = self.0.lock().expect("not poisoned");
        events
            .iter()
            .filter(|(at, _)| *at == level)
            .map(|(_, text)| text.clone())
            .collect()
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for StoreEvents {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Text(String);
        impl tracing::field::Visit for Text {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0 += &format!(" {}={value:?}", field.name());
            }
        }
        let level = *event.metadata().level();
        if level <= tracing::Level::INFO && event.metadata().target().starts_with("impact_client") {
            let mut text = Text(String::new());
            event.record(&mut text);
            if text.0.contains("store") {
                self.0.lock().expect("not poisoned").push((level, text.0));
            }
        }
    }
}

#[tokio::test]
async fn clients_of_one_store_share_one_pace_per_group() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::exact(&account_path("/Campaigns")),
        1,
        exhausted("30"),
    );
    let clock = manual_clock();
    let store = MemoryStore::new(&clock, 500);
    // Two clients with nothing in common but the store, as two processes would be.
    let first = builder(&server, &clock, &store).build().expect("a client");
    let second = builder(&server, &clock, &store).build().expect("a client");
    first.get("/Campaigns").await.expect("the first call");

    // The other client's reports are another group: not held.
    second
        .get("/Reports/x")
        .await
        .expect_err("the mock has no such report");
    assert_eq!(clock.sleeps(), [], "another group is not held back");
    // Its campaigns are held until the reset the first client was told about.
    second.get("/Campaigns").await.expect("held, then sent");
    let held = clock.total_slept();
    assert!(
        held >= Duration::from_secs(30) && held <= Duration::from_secs(32),
        "held {held:?}"
    );
    assert_eq!(server.requests().len(), 3);
    server.shutdown().await;
}

#[tokio::test]
async fn clients_of_one_store_share_one_retry_budget() {
    let server = quiet_mock().await;
    server.push_fault(RequestMatch::any(), 100, Fault::status(503));
    let clock = manual_clock();
    // Ten tokens: two retries at five each, for every client of the store together.
    let store = MemoryStore::new(&clock, 10);
    let first = builder(&server, &clock, &store).build().expect("a client");
    let second = builder(&server, &clock, &store).build().expect("a client");
    let error = first.get("/Campaigns").await.expect_err("always 503");
    assert_eq!((error.kind(), error.attempts()), (ErrorKind::Api, 3));
    // The second client's own budget is full, but the store's is spent.
    assert_eq!(second.budget_left(), Some(500));
    let error = second.get("/Campaigns").await.expect_err("always 503");
    assert_eq!((error.kind(), error.attempts()), (ErrorKind::Api, 1));
    let asked = store.state().asked.clone();
    assert_eq!(
        asked
            .iter()
            .filter(|op| op.starts_with("charge_retry"))
            .count(),
        4,
        "{asked:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn keys_name_the_account_and_group_and_never_the_token() {
    let server = quiet_mock().await;
    let clock = manual_clock();
    let store = MemoryStore::new(&clock, 500);
    let client = builder(&server, &clock, &store).build().expect("a client");
    client.get("/Campaigns").await.expect("campaigns");
    let _ = client.get("/Actions").await;
    let asked = store.state().asked.clone();
    let sid = DEMO_ACCOUNT_SID;
    assert!(asked.contains(&format!("admit {sid}/default")), "{asked:?}");
    assert!(
        asked.contains(&format!("observe {sid}/default")),
        "{asked:?}"
    );
    assert!(
        asked.contains(&format!("admit {sid}/event_data")),
        "{asked:?}"
    );
    assert!(
        asked.iter().all(|op| !op.contains(DEMO_AUTH_TOKEN)),
        "{asked:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_failing_store_fails_no_call_and_is_reported_once() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::exact(&account_path("/Campaigns")),
        1,
        exhausted("10"),
    );
    let clock = manual_clock();
    let store = MemoryStore::new(&clock, 500);
    store.behave(Behaviour::Fail);
    let events = StoreEvents::default();
    let _capture = events.capture();
    let client = builder(&server, &clock, &store).build().expect("a client");
    client.get("/Campaigns").await.expect("goes on locally");
    // The in-process pace, kept from the server's headers, still holds the next call.
    client.get("/Campaigns").await.expect("held, then sent");
    assert!(
        clock.total_slept() >= Duration::from_secs(10),
        "{:?}",
        clock.sleeps()
    );
    for _ in 0..3 {
        client
            .get("/Campaigns/1000")
            .await
            .expect("goes on locally");
    }
    let warnings = events.at(tracing::Level::WARN);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("connection refused"), "{warnings:?}");
    assert!(!warnings[0].contains(DEMO_AUTH_TOKEN));
    server.shutdown().await;
}

#[tokio::test]
async fn a_hanging_store_costs_a_call_at_most_its_timeout() {
    let server = quiet_mock().await;
    let clock = manual_clock();
    let store = MemoryStore::new(&clock, 500);
    store.behave(Behaviour::Hang);
    let events = StoreEvents::default();
    let _capture = events.capture();
    let client = builder(&server, &clock, &store)
        .store_policy(StorePolicy::new().with_timeout(Duration::from_millis(50)))
        .build()
        .expect("a client");
    for _ in 0..3 {
        let call = client.get("/Campaigns/1000");
        let answered = tokio::time::timeout(Duration::from_secs(20), call).await;
        answered
            .expect("never a hung call")
            .expect("goes on locally");
    }
    let warnings = events.at(tracing::Level::WARN);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("no answer within 50ms"),
        "{warnings:?}"
    );
    // Asked once; then left alone for the probe interval, which the manual clock never reaches.
    assert_eq!(store.state().asked.len(), 1, "{:?}", store.state().asked);
    server.shutdown().await;
}

#[tokio::test]
async fn the_store_is_taken_up_again_when_it_answers() {
    let server = quiet_mock().await;
    let clock = manual_clock();
    let store = MemoryStore::new(&clock, 500);
    store.behave(Behaviour::Fail);
    let events = StoreEvents::default();
    let _capture = events.capture();
    let client = builder(&server, &clock, &store).build().expect("a client");
    client
        .get("/Campaigns/1000")
        .await
        .expect("goes on locally");

    // Another process spends the hour: the store knows, and answers again.
    store.behave(Behaviour::Answer);
    let hour_from_now = clock.elapsed() + Duration::from_secs(3600);
    store.state().held_until.insert(
        (DEMO_ACCOUNT_SID.to_owned(), RateGroup::Default),
        hour_from_now,
    );
    // Within the probe interval the store is left alone.
    client.get("/Campaigns/1000").await.expect("still local");
    clock.advance(Duration::from_secs(2));
    let error = client
        .get("/Campaigns/1000")
        .await
        .expect_err("the shared pace");
    assert_eq!(
        (error.kind(), error.attempts()),
        (ErrorKind::RateLimited, 0)
    );
    let after = error.retry_after().expect("says when");
    assert!(after > Duration::from_secs(3590), "{after:?}");
    assert_eq!(
        server.requests().len(),
        2,
        "nothing sent while the store holds it"
    );
    assert_eq!(events.at(tracing::Level::WARN).len(), 1);
    assert_eq!(
        events.at(tracing::Level::INFO).len(),
        1,
        "the recovery is said"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_policy_to_fail_fails_calls_the_store_cannot_admit() {
    let server = quiet_mock().await;
    let clock = manual_clock();
    let store = MemoryStore::new(&clock, 500);
    store.behave(Behaviour::Fail);
    let client = builder(&server, &clock, &store)
        .store_policy(StorePolicy::new().with_on_failure(OnStoreFailure::FailCall))
        .build()
        .expect("a client");
    for _ in 0..2 {
        let error = client
            .get("/Campaigns")
            .await
            .expect_err("the store failed");
        assert_eq!((error.kind(), error.attempts()), (ErrorKind::Store, 0));
        assert!(error.is_transport() && error.is_retryable());
        let source = std::error::Error::source(&error).expect("the store's error");
        assert_eq!(source.to_string(), "connection refused");
    }
    assert_eq!(
        server.requests().len(),
        0,
        "nothing sent without the store's word"
    );
    let refused = Client::builder()
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(DEMO_AUTH_TOKEN)
        .shared_limits(store)
        .store_policy(StorePolicy::new().with_timeout(Duration::ZERO))
        .build()
        .expect_err("a zero timeout");
    assert_eq!(refused.kind(), ErrorKind::InvalidConfig);
    server.shutdown().await;
}

#[test]
fn observations_speak_in_durations_from_the_response() {
    let headers = impact_client::RateLimitInfo::from_headers([
        ("X-RateLimit-Limit", &b"250"[..]),
        ("X-RateLimit-Remaining", b"3"),
        ("X-RateLimit-Reset", b"1800000040"),
        ("Retry-After", b"12"),
    ]);
    let unix_now = crate::START_UNIX;
    let ok = Observation::new(impact_client::StatusCode::OK, headers, unix_now);
    assert_eq!(
        (ok.limit(), ok.remaining(), ok.reset_in(), ok.hold()),
        (Some(250), Some(3), Some(Duration::from_secs(40)), None)
    );
    let limited = Observation::new(
        impact_client::StatusCode::TOO_MANY_REQUESTS,
        headers,
        unix_now,
    );
    // A 429 holds until its reset (and a margin) and at least its Retry-After.
    assert_eq!(limited.hold(), Some(Duration::from_secs(41)));
}
