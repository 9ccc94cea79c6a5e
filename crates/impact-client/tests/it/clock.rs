//! The manual test clock: sleeps complete at once and move the clock to their deadline, never
//! backwards, with concurrent sleepers leaving it at the latest deadline; the wall clock moves
//! with it from a fixed start.

use std::time::{Duration, UNIX_EPOCH};

use impact_client::{Clock, ManualClock};

use crate::{START_UNIX, manual_clock};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs the sleeps of `sleeps` concurrently (each its own task, started in order) and checks
/// the virtual time elapsed and the sleeps recorded.
async fn check(sleeps: &[u64], expect_elapsed: Duration) {
    let clock = manual_clock();
    let start = clock.now();
    let real = std::time::Instant::now();
    // Every sleep is made before any runs, so that all start at the same instant: a sleep
    // made after another completed would rightly start from the later time.
    let made: Vec<_> = sleeps.iter().map(|&n| clock.sleep(ms(n))).collect();
    let tasks: Vec<_> = made.into_iter().map(tokio::spawn).collect();
    for task in tasks {
        task.await.expect("a sleep never panics");
    }
    assert_eq!(clock.elapsed(), expect_elapsed, "{sleeps:?}");
    assert_eq!(clock.now() - start, expect_elapsed, "{sleeps:?}");
    let asked: Vec<Duration> = sleeps.iter().map(|&n| ms(n)).collect();
    assert_eq!(clock.sleeps(), asked);
    assert_eq!(clock.total_slept(), asked.iter().sum::<Duration>());
    assert!(
        real.elapsed() < Duration::from_secs(5),
        "{:?}",
        real.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sleepers_leave_the_clock_at_the_latest_deadline() {
    check(&[], Duration::ZERO).await;
    check(&[0], Duration::ZERO).await;
    check(&[30_000], Duration::from_secs(30)).await;
    // All made at the same instant: the clock ends at the longest, whatever order they run.
    check(&[10_000, 3_000, 7_000], Duration::from_secs(10)).await;
    check(&[1, 1, 1, 1], ms(1)).await;
}

#[tokio::test]
async fn sleeps_in_turn_add_up_and_the_clock_never_goes_back() {
    let clock = manual_clock();
    clock.sleep(ms(500)).await;
    clock.sleep(ms(1_500)).await;
    assert_eq!(clock.elapsed(), Duration::from_secs(2));
    // A deadline already past is a sleep of nothing, and leaves the clock where it is.
    let past = clock.now() - ms(700);
    clock.sleep_until(past).await;
    assert_eq!(clock.elapsed(), Duration::from_secs(2));
    let ahead = clock.now() + ms(250);
    clock.sleep_until(ahead).await;
    assert_eq!(clock.now(), ahead);
    assert_eq!(
        clock.sleeps(),
        [ms(500), ms(1_500), Duration::ZERO, ms(250)]
    );
    // A sleep made earlier with a deadline behind the clock does not move it back.
    let early = clock.sleep(ms(10));
    clock.advance(Duration::from_secs(1));
    early.await;
    assert_eq!(clock.elapsed(), ms(3_250));
    // Clones share the time.
    let clone = clock.clone();
    clone.advance(ms(750));
    assert_eq!(clock.elapsed(), Duration::from_secs(4));
}

#[tokio::test]
async fn the_wall_clock_starts_on_its_second_and_moves_with_the_clock() {
    let clock = manual_clock();
    let unix = |clock: &ManualClock| {
        clock
            .unix_now()
            .duration_since(UNIX_EPOCH)
            .expect("after the epoch")
    };
    assert_eq!(unix(&clock), Duration::from_secs(START_UNIX));
    clock.sleep(ms(1_250)).await;
    assert_eq!(unix(&clock), Duration::from_secs(START_UNIX) + ms(1_250));
    // Real time passing does not move it.
    tokio::time::sleep(ms(20)).await;
    assert_eq!(unix(&clock), Duration::from_secs(START_UNIX) + ms(1_250));
    // The system-time start is a whole second.
    let now = ManualClock::new();
    assert_eq!(unix(&now).subsec_nanos(), 0);
    // An absurd advance saturates instead of overflowing.
    now.advance(Duration::MAX);
    now.advance(Duration::MAX);
    assert!(now.now() > tokio::time::Instant::now());
    assert!(now.unix_now() > std::time::SystemTime::now());
}
