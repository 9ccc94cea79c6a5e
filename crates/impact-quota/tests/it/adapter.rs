//! `RedisLimits` behind the client's shared-limits seam: clients that share a Redis share one
//! pace against the mock's quota, and a Redis killed and restarted under many calls makes none
//! of them fail, hang or get lost.

use std::sync::Arc;
use std::time::{Duration, Instant};

use impact_client::{Client, RateGroup};
use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, MockServer, Quota};
use impact_quota::{Limit, QuotaStore, RedisLimits, StoreConfig};

use crate::redis_server::RedisServer;
use crate::shared::assert_no_token_in;

async fn client(redis_url: &str, base_url: &str, limit: Limit) -> (Client, QuotaStore) {
    let store = QuotaStore::connect_with(StoreConfig::new(redis_url))
        .await
        .expect("a store");
    let limits = RedisLimits::new(store.clone()).with_limit(RateGroup::Default, limit);
    let client = Client::builder()
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(DEMO_AUTH_TOKEN)
        .base_url(base_url)
        .shared_limits(Arc::new(limits))
        .build()
        .expect("a valid client");
    (client, store)
}

/// `tasks` tasks on each client, `calls` calls each; every call must succeed.
async fn run(clients: &[Client], tasks: usize, calls: usize) {
    let mut handles = Vec::new();
    for client in clients {
        for _ in 0..tasks {
            let client = client.clone();
            handles.push(tokio::spawn(async move {
                for _ in 0..calls {
                    let answer = client.get("/Campaigns").await;
                    if let Err(error) = answer {
                        panic!("a call failed: {error}");
                    }
                }
            }));
        }
    }
    for handle in handles {
        handle.await.expect("a task panicked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_with_one_redis_share_one_pace_against_the_mock() {
    let limit = Limit::per(20, Duration::from_secs(2)).expect("valid");
    let redis = RedisServer::start().await;
    let server = MockServer::builder()
        .quota(Quota::per_window(20, Duration::from_secs(2)))
        .start()
        .await
        .expect("a loopback port");
    // Two clients with a store each, as two processes would have.
    let (first, _) = client(&redis.url(), &server.base_url(), limit).await;
    let (second, _) = client(&redis.url(), &server.base_url(), limit).await;
    let started = Instant::now();
    run(&[first, second], 5, 6).await;
    let too_many = server
        .requests()
        .iter()
        .filter(|request| request.status == 429)
        .count();
    // 60 calls are three windows' worth: at most one 429 per window, and paced, not burst.
    assert!(too_many <= 3, "{too_many} answers 429");
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_no_token_in(&redis.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_under_many_calls_fails_none_and_is_taken_up_again() {
    let limit = Limit::per(100_000, Duration::from_secs(1)).expect("valid");
    let mut redis = RedisServer::start().await;
    let server = MockServer::builder()
        .quota(Quota::disabled())
        .start()
        .await
        .expect("a loopback port");
    let (client, store) = client(&redis.url(), &server.base_url(), limit).await;
    let calls = tokio::spawn({
        let client = client.clone();
        async move { run(&[client], 32, 150).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.kill();
    tokio::time::sleep(Duration::from_millis(700)).await;
    redis.restart().await;
    let finished = tokio::time::timeout(Duration::from_secs(120), calls).await;
    finished.expect("no call hung").expect("no call failed");
    assert_eq!(server.requests_seen(), 32 * 150, "every call was sent once");
    assert!(store.outages() >= 1, "the outage was seen");
    // The client takes the store up again: its calls reach the restarted Redis (which lost
    // everything) and write the pace there.
    let mut connection = redis::Client::open(redis.url())
        .expect("a client")
        .get_multiplexed_async_connection()
        .await
        .expect("a connection");
    let started = Instant::now();
    loop {
        client.get("/Campaigns").await.expect("a call");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut connection)
            .await
            .expect("KEYS");
        if keys.iter().any(|key| key.ends_with(":pace:default")) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the store was not taken up again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
