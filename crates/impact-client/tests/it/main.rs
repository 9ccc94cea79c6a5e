//! Integration tests of the client against impact-mock on loopback.
//!
//! They run in real time, never in tokio's paused time: over real sockets a paused runtime
//! that looks idle while the kernel is still delivering a loopback packet jumps to the next
//! timer (the attempt timeout), so a loaded machine would see attempts time out. The waits the
//! policy decides on (backoff, `Retry-After`, pacing) go through a [`ManualClock`] instead and
//! take no real time; tests read what was waited from it. Tests of attempt timeouts use short
//! real timeouts.

mod body_cap;
mod budget;
mod clock;
mod deadlines;
mod echo;
mod exchanges;
mod faults;
mod load;
mod pacing;
mod pagination;
mod rate_limits;
mod redaction;
mod requests;
mod retry_matrix;
mod secrets;
mod shared_limits;
mod transport;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use impact_client::{BudgetConfig, Client, ClientBuilder, ManualClock, RetryPolicy};
use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, MockServer, Quota};

/// The mock with its quota off, so that only scripted faults send rate-limit headers.
pub(crate) async fn quiet_mock() -> MockServer {
    secrets::trace_to_file_if_asked();
    MockServer::builder()
        .quota(Quota::disabled())
        .start()
        .await
        .expect("a loopback port")
}

/// Where the wall clock of every test's [`ManualClock`] starts: a whole second, so that
/// rate-limit epochs and dates read the same way on every run.
pub(crate) const START_UNIX: u64 = 1_800_000_000;

/// A manual clock starting at [`START_UNIX`].
pub(crate) fn manual_clock() -> ManualClock {
    ManualClock::with_unix_start(UNIX_EPOCH + Duration::from_secs(START_UNIX))
}

/// A client of the demo account on the mock, with a fixed seed and a manual clock of its own.
pub(crate) fn builder(server: &MockServer) -> ClientBuilder {
    clocked(server).0
}

/// [`builder`], and the manual clock it was given, to read the time the client waited.
pub(crate) fn clocked(server: &MockServer) -> (ClientBuilder, ManualClock) {
    secrets::trace_to_file_if_asked();
    let clock = manual_clock();
    let builder = Client::builder()
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(DEMO_AUTH_TOKEN)
        .base_url(server.base_url())
        .random_seed(7)
        .clock(Arc::new(clock.clone()));
    (builder, clock)
}

/// The default client on the mock, with no budget so that tests of the matrix are independent.
pub(crate) fn client(server: &MockServer) -> Client {
    builder(server)
        .budget(None)
        .build()
        .expect("a valid client")
}

/// A client with this policy and no budget.
pub(crate) fn client_with(server: &MockServer, policy: RetryPolicy) -> Client {
    builder(server)
        .retry_policy(policy)
        .budget(None)
        .build()
        .expect("a valid client")
}

/// A budget that pays for exactly `retries` retries and refills slowly.
pub(crate) fn small_budget(retries: u32) -> BudgetConfig {
    let mut config = BudgetConfig::new();
    config.capacity = retries * config.retry_cost;
    config.timeout_retry_cost = config.retry_cost;
    config.refill_per_sec = 1;
    config.success_refill = 0;
    config
}

/// The account-rooted path of a resource.
pub(crate) fn account_path(rest: &str) -> String {
    format!("/Mediapartners/{DEMO_ACCOUNT_SID}{rest}")
}
