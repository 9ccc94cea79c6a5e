//! Integration tests of the client against impact-mock on loopback, in tokio's paused time.

mod body_cap;
mod budget;
mod deadlines;
mod faults;
mod load;
mod pacing;
mod pagination;
mod rate_limits;
mod redaction;
mod requests;
mod retry_matrix;
mod secrets;
mod transport;

use impact_client::{BudgetConfig, Client, ClientBuilder, RetryPolicy};
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

/// A client of the demo account on the mock, with a fixed seed.
pub(crate) fn builder(server: &MockServer) -> ClientBuilder {
    secrets::trace_to_file_if_asked();
    Client::builder()
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(DEMO_AUTH_TOKEN)
        .base_url(server.base_url())
        .random_seed(7)
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
