//! Shared limits (SPEC 10's seam): clients that use one store share one pace per rate-limit
//! group and one retry budget; a store that fails or hangs costs a call at most its timeout,
//! is reported once, and is taken up again when it answers; keys never carry the token.
//!
//! The store here keeps its state in memory and reckons time on the clients' manual clock,
//! standing in for a server's clock that the clients do not share.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use impact_client::{
    Admission, Asking, BudgetConfig, Charge, Client, ClientBuilder, ErrorKind, LimitKey,
    ManualClock, Observation, OnStoreFailure, RateGroup, SharedLimits, StoreError, StoreFuture,
    StorePolicy,
};
use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, Fault, MockServer, RequestMatch};
use impact_retry::Pacer;
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
/// Admissions are answered from `script` while it lasts, then from the held instants.
#[derive(Debug)]
struct State {
    behaviour: Behaviour,
    held_until: HashMap<(String, RateGroup), Duration>,
    tokens: HashMap<String, u32>,
    capacity: u32,
    asked: Vec<String>,
    script: VecDeque<Admission>,
    /// Each admission's `Asking` and allowance, in order.
    admissions: Vec<(Asking, Duration)>,
    /// The budget sizes each budget operation came with.
    sizes: Vec<BudgetConfig>,
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
                script: VecDeque::new(),
                admissions: Vec::new(),
                sizes: Vec::new(),
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
    fn admit<'a>(
        &'a self,
        key: LimitKey<'a>,
        max_wait: Duration,
        asking: Asking,
    ) -> StoreFuture<'a, Admission> {
        self.op("admit", key, |state, now| {
            state.admissions.push((asking, max_wait));
            if let Some(scripted) = state.script.pop_front() {
                return scripted;
            }
            let mut pace = Pacer::new();
            let held = state
                .held_until
                .get(&(key.account().to_owned(), key.group()));
            if let Some(until) = held {
                pace.block_until(*until);
            }
            pace.admit(now, max_wait)
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

    fn charge_retry<'a>(
        &'a self,
        key: LimitKey<'a>,
        tokens: u32,
        sizes: BudgetConfig,
    ) -> StoreFuture<'a, Charge> {
        self.op("charge_retry", key, |state, _| {
            state.sizes.push(sizes);
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

    fn refill<'a>(&'a self, key: LimitKey<'a>, sizes: BudgetConfig) -> StoreFuture<'a, ()> {
        self.op("refill", key, |state, _| {
            state.sizes.push(sizes);
            let capacity = state.capacity;
            let left = state
                .tokens
                .entry(key.account().to_owned())
                .or_insert(capacity);
            *left = (*left + sizes.success_refill).min(capacity);
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

/// A 200 with an empty list of campaigns.
fn json_page() -> Fault {
    Fault::raw(200, "application/json", r#"{"Campaigns":[]}"#)
}

/// A 200 that says the limit is used up for `reset` seconds.
fn exhausted(reset: &str) -> Fault {
    json_page()
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

/// What most tests start from: a quiet mock, a manual clock, a store that reckons time on it and
/// behaves as asked, and the client's events about the store captured on this thread.
struct Setup {
    server: MockServer,
    clock: ManualClock,
    store: Arc<MemoryStore>,
    events: StoreEvents,
    _capture: tracing::subscriber::DefaultGuard,
}

async fn setup(capacity: u32, behaviour: Behaviour) -> Setup {
    let server = quiet_mock().await;
    let clock = manual_clock();
    let store = MemoryStore::new(&clock, capacity);
    store.behave(behaviour);
    let events = StoreEvents::default();
    let _capture = events.capture();
    Setup {
        server,
        clock,
        store,
        events,
        _capture,
    }
}

impl Setup {
    /// A client that keeps its limits in the store.
    fn client(&self) -> ClientBuilder {
        builder(&self.server, &self.clock, &self.store)
    }
}

/// Waits until the store has been asked `count` operations named `name`: observations and
/// refills are sent from tasks of their own, after the call that made them has returned.
async fn until_asked(store: &MemoryStore, name: &str, count: usize) {
    let asked = |store: &MemoryStore| {
        let state = store.state();
        state.asked.iter().filter(|op| op.starts_with(name)).count()
    };
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while asked(store) < count {
            tokio::task::yield_now().await;
        }
    });
    waited.await.expect("the store is asked in time");
}

#[tokio::test]
async fn clients_of_one_store_share_one_pace_per_group() {
    let Setup {
        server,
        clock,
        store,
        ..
    } = setup(500, Behaviour::Answer).await;
    server.push_fault(
        RequestMatch::exact(&account_path("/Campaigns")),
        1,
        exhausted("30"),
    );
    // Two clients with nothing in common but the store, as two processes would be.
    let first = builder(&server, &clock, &store).build().expect("a client");
    let second = builder(&server, &clock, &store).build().expect("a client");
    first.get("/Campaigns").await.expect("the first call");
    until_asked(&store, "observe", 1).await;

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

/// How one call goes when the store answers its admissions with `script`: the waits slept,
/// each admission's `Asking` and allowance (seconds), and how the call ends (attempts, or the
/// error's kind).
async fn check(
    script: &[Admission],
    sleeps: &[u64],
    asks: &[(Asking, u64)],
    expect: Result<u32, ErrorKind>,
) {
    let setup = setup(500, Behaviour::Answer).await;
    setup.store.state().script = script.iter().copied().collect();
    let client = setup.client().build().expect("a client");
    let ended = match client.get("/Campaigns/1000").await {
        Ok(response) => Ok(response.attempts()),
        Err(error) => Err(error.kind()),
    };
    assert_eq!(ended, expect, "{script:?}");
    let slept: Vec<u64> = setup.clock.sleeps().iter().map(Duration::as_secs).collect();
    assert_eq!(slept, sleeps, "{script:?}");
    let admissions = setup.store.state().admissions.clone();
    let admissions: Vec<(Asking, u64)> = admissions
        .into_iter()
        .map(|(asking, allowed)| (asking, allowed.as_secs()))
        .collect();
    assert_eq!(admissions, asks, "{script:?}");
    let sent = setup.server.requests().len();
    assert_eq!(sent, usize::from(ended.is_ok()), "{script:?}");
    setup.server.shutdown().await;
}

#[tokio::test]
async fn a_call_told_to_ask_again_sleeps_then_asks_with_what_is_left_of_its_wait() {
    let secs = Duration::from_secs;
    let later = |s| Admission::Later(secs(s));
    let (first, again) = (Asking::First, Asking::Again);
    // Told to come back, then let through.
    check(
        &[later(5), Admission::Now],
        &[5],
        &[(first, 60), (again, 55)],
        Ok(1),
    )
    .await;
    // Back twice, then a slot set aside two seconds ahead: slept, and not asked about again.
    let asks = [(first, 60), (again, 55), (again, 50)];
    let script = [later(5), later(5), Admission::Wait(secs(2))];
    check(&script, &[5, 5, 2], &asks, Ok(1)).await;
    check(&[Admission::Wait(secs(3))], &[3], &[(first, 60)], Ok(1)).await;
    // While it waited, the pace moved beyond its allowance (another tool spent the window):
    // it fails fast, having sent nothing.
    let refused = Admission::TooLong {
        retry_after: secs(600),
    };
    let asks = [(first, 60), (again, 55)];
    check(
        &[later(5), refused],
        &[5],
        &asks,
        Err(ErrorKind::RateLimited),
    )
    .await;
    // A store that answers past what is left of the allowance is held to it.
    let asks = [(first, 60), (again, 10)];
    check(
        &[later(50), later(20)],
        &[50],
        &asks,
        Err(ErrorKind::RateLimited),
    )
    .await;
}

#[tokio::test]
async fn clients_of_one_store_share_one_retry_budget() {
    // Ten tokens: two retries at five each, for every client of the store together.
    let setup = setup(10, Behaviour::Answer).await;
    setup
        .server
        .push_fault(RequestMatch::any(), 100, Fault::status(503));
    let first = setup.client().build().expect("a client");
    let second = setup.client().build().expect("a client");
    let error = first.get("/Campaigns").await.expect_err("always 503");
    assert_eq!((error.kind(), error.attempts()), (ErrorKind::Api, 3));
    // The second client's own budget is full, but the store's is spent.
    assert_eq!(second.budget_left(), Some(500));
    let error = second.get("/Campaigns").await.expect_err("always 503");
    assert_eq!((error.kind(), error.attempts()), (ErrorKind::Api, 1));
    let asked = setup.store.state().asked.clone();
    let charges = asked.iter().filter(|op| op.starts_with("charge_retry"));
    assert_eq!(charges.count(), 4, "{asked:?}");
    // The budget's sizes are the client's, given with every charge.
    let sizes = setup.store.state().sizes.clone();
    assert_eq!(sizes, vec![BudgetConfig::new(); 4]);
    setup.server.shutdown().await;
}

#[tokio::test]
async fn keys_name_the_account_and_group_and_never_the_token() {
    let setup = setup(500, Behaviour::Answer).await;
    let with_headers = json_page().header("X-RateLimit-Remaining", "999");
    setup
        .server
        .push_fault(RequestMatch::any(), 1, with_headers);
    let client = setup.client().build().expect("a client");
    client.get("/Campaigns").await.expect("campaigns");
    // Without rate-limit headers (the quiet mock sends none) there is nothing to observe.
    let _ = client.get("/Actions").await;
    until_asked(&setup.store, "refill", 1).await;
    until_asked(&setup.store, "observe", 1).await;
    let asked = setup.store.state().asked.clone();
    let sid = DEMO_ACCOUNT_SID;
    for expected in [
        format!("admit {sid}/default"),
        format!("observe {sid}/default"),
        format!("refill {sid}/default"),
        format!("admit {sid}/event_data"),
    ] {
        assert!(asked.contains(&expected), "{expected} in {asked:?}");
    }
    let observed = asked.iter().filter(|op| op.starts_with("observe"));
    assert_eq!(observed.count(), 1, "{asked:?}");
    assert!(
        asked.iter().all(|op| !op.contains(DEMO_AUTH_TOKEN)),
        "{asked:?}"
    );
    setup.server.shutdown().await;
}

#[tokio::test]
async fn a_failing_store_fails_no_call_and_is_reported_once() {
    let setup = setup(500, Behaviour::Fail).await;
    let campaigns = RequestMatch::exact(&account_path("/Campaigns"));
    setup.server.push_fault(campaigns, 1, exhausted("10"));
    let client = setup.client().build().expect("a client");
    client.get("/Campaigns").await.expect("goes on locally");
    // The in-process pace, kept from the server's headers, still holds the next call.
    client.get("/Campaigns").await.expect("held, then sent");
    let slept = setup.clock.total_slept();
    assert!(slept >= Duration::from_secs(10), "slept {slept:?}");
    for _ in 0..3 {
        client
            .get("/Campaigns/1000")
            .await
            .expect("goes on locally");
    }
    let warnings = setup.events.at(tracing::Level::WARN);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("connection refused"), "{warnings:?}");
    assert!(!warnings[0].contains(DEMO_AUTH_TOKEN));
    setup.server.shutdown().await;
}

#[tokio::test]
async fn a_hanging_store_costs_a_call_at_most_its_timeout() {
    let setup = setup(500, Behaviour::Hang).await;
    let client = setup
        .client()
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
    let warnings = setup.events.at(tracing::Level::WARN);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("no answer within 50ms"),
        "{warnings:?}"
    );
    // Asked once; then left alone for the probe interval, which the manual clock never reaches.
    let asked = setup.store.state().asked.clone();
    assert_eq!(asked.len(), 1, "{asked:?}");
    setup.server.shutdown().await;
}

#[tokio::test]
async fn the_store_is_taken_up_again_when_it_answers() {
    let setup = setup(500, Behaviour::Fail).await;
    let client = setup.client().build().expect("a client");
    client
        .get("/Campaigns/1000")
        .await
        .expect("goes on locally");

    // Another process spends the hour: the store knows, and answers again.
    setup.store.behave(Behaviour::Answer);
    let hour_from_now = setup.clock.elapsed() + Duration::from_secs(3600);
    let key = (DEMO_ACCOUNT_SID.to_owned(), RateGroup::Default);
    setup.store.state().held_until.insert(key, hour_from_now);
    // Within the probe interval the store is left alone.
    client.get("/Campaigns/1000").await.expect("still local");
    setup.clock.advance(Duration::from_secs(2));
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
    let sent = setup.server.requests().len();
    assert_eq!(sent, 2, "nothing sent while the store holds it");
    assert_eq!(setup.events.at(tracing::Level::WARN).len(), 1);
    let recovered = setup.events.at(tracing::Level::INFO);
    assert_eq!(recovered.len(), 1, "the recovery is said: {recovered:?}");
    setup.server.shutdown().await;
}

#[tokio::test]
async fn a_policy_to_fail_fails_calls_the_store_cannot_admit() {
    let setup = setup(500, Behaviour::Fail).await;
    let client = setup
        .client()
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
    let sent = setup.server.requests().len();
    assert_eq!(sent, 0, "nothing sent without the store's word");
    let refused = setup
        .client()
        .store_policy(StorePolicy::new().with_timeout(Duration::ZERO))
        .build()
        .expect_err("a zero timeout");
    assert_eq!(refused.kind(), ErrorKind::InvalidConfig);
    setup.server.shutdown().await;
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
