//! Admission latency against `PING` on the same connection (SPEC 11: the median admission at
//! most 1.5x the median `PING`), measured interleaved in one run through the store's latency
//! hook.
//!
//! ```sh
//! redis-server --port 6390 --save '' --appendonly no &
//! cargo run --release -p impact-quota --example admission_latency -- redis://127.0.0.1:6390/0 20000
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

use impact_quota::{
    AccountSid, Arrival, GroupName, Limit, Operation, Pace, QuotaStore, StoreConfig,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: admission_latency REDIS_URL [ROUNDS]")?;
    let rounds: usize = args.next().map_or(Ok(10_000), |n| n.parse())?;
    let samples: Arc<Mutex<Vec<(Operation, Duration)>>> = Arc::default();
    let recorder = samples.clone();
    let config = StoreConfig::new(url).with_latency_observer(Arc::new(move |op, took| {
        if let Ok(mut samples) = recorder.lock() {
            samples.push((op, took));
        }
    }));
    let store = QuotaStore::connect_with(config).await?;
    let account = store.account(&AccountSid::new("IRlatencyProbe")?);
    // A limit no run can reach, so that every admission is answered `Now`, as most are.
    let pace = Pace::new(Limit::per(u32::MAX, Duration::from_secs(1))?);
    let group = GroupName::default_group();
    for round in 0..rounds + 1_000 {
        // Alternate the order so that neither operation always follows the other.
        if round % 2 == 0 {
            store.ping().await?;
            account
                .admit(&group, &pace, Duration::ZERO, Arrival::First)
                .await?;
        } else {
            account
                .admit(&group, &pace, Duration::ZERO, Arrival::First)
                .await?;
            store.ping().await?;
        }
        if round == 999 {
            // Warm-up done.
            samples.lock().map_err(|_| "poisoned")?.clear();
        }
    }
    let samples = samples.lock().map_err(|_| "poisoned")?;
    let median = |wanted: Operation| {
        let mut times: Vec<Duration> = samples
            .iter()
            .filter(|(op, _)| *op == wanted)
            .map(|(_, took)| *took)
            .collect();
        times.sort();
        times.get(times.len() / 2).copied().unwrap_or_default()
    };
    let (admit, ping) = (median(Operation::Admit), median(Operation::Ping));
    println!(
        "rounds {rounds}: median admission {admit:?}, median PING {ping:?}, ratio {:.3} (goal <= 1.5)",
        admit.as_secs_f64() / ping.as_secs_f64()
    );
    Ok(())
}
