//! The Lua scripts against the pure model: the same operations at the same instants give the
//! same answers and leave the same state, for the pace (`PaceState`) and for the retry budget
//! (`impact-retry`'s `RetryBudget`). The scripts take the time from a test clock here (the
//! `test-clock` feature); everywhere else they read Redis's `TIME`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use impact_errors::LimitFamily;
use impact_quota::{
    AccountQuota, AccountSid, Admit, Arrival, GroupName, LearnedLimit, Limit, Observation, Pace,
    PaceState, QuotaStore, StoreConfig, Withdrawal,
};
use impact_retry::{BudgetConfig, RetryBudget};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::redis_server::RedisServer;

/// Microseconds since 1970 at the start of every case: a real-looking instant, so that the
/// scripts' arithmetic works at the magnitudes `TIME` gives.
const EPOCH_US: u64 = 1_764_000_000_000_000;

#[derive(Debug, Clone)]
enum Op {
    Admit {
        group: usize,
        max_wait_ms: u64,
        arrival: Arrival,
    },
    Observe {
        group: usize,
        hold_ms: u64,
        /// `(time to reset in ms, calls left)`.
        windows: Vec<(u64, u64)>,
        /// `(family, calls, time to reset in seconds)`.
        limits: Vec<(usize, u32, u64)>,
    },
    Withdraw {
        after_timeout: bool,
    },
    Refill,
    BudgetLeft,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2_usize, 0..120_000_u64, any::<bool>()).prop_map(|(group, max_wait_ms, back)| {
            let arrival = if back { Arrival::Returning } else { Arrival::First };
            Op::Admit { group, max_wait_ms, arrival }
        }),
        2 => (
            0..2_usize,
            prop_oneof![Just(0), 0..90_000_u64],
            prop::collection::vec((0..4_000_000_u64, prop_oneof![0..50_u64, 0..5_000_u64]), 0..3),
            prop::collection::vec((0..3_usize, prop_oneof![1..10_u32, 1..5_000_u32], prop_oneof![0..120_u64, 0..90_000_u64]), 0..3),
        )
            .prop_map(|(group, hold_ms, windows, limits)| Op::Observe { group, hold_ms, windows, limits }),
        2 => any::<bool>().prop_map(|after_timeout| Op::Withdraw { after_timeout }),
        1 => Just(Op::Refill),
        1 => Just(Op::BudgetLeft),
    ]
}

/// A gap before each operation: often none (several calls at one instant), often below a
/// millisecond (the budget's refill granularity), sometimes seconds.
fn gap() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0), 0..1_500_u64, 0..2_000_000_u64, 0..90_000_000_u64]
}

/// A pace with a given limit or a learned one, a tolerance, and the default horizon (one
/// interval) or a given one.
fn pace() -> impl Strategy<Value = Pace> {
    (
        prop::option::of((1..2_000_u32, 1..3_600_000_u64)),
        0..5_000_u64,
        prop::option::of(1..10_000_u64),
    )
        .prop_map(|(limit, tolerance_ms, horizon_ms)| {
            let pace = match limit {
                Some((calls, window_ms)) => {
                    Pace::new(Limit::per(calls, Duration::from_millis(window_ms)).expect("valid"))
                }
                None => Pace::learned(),
            };
            let pace = pace.with_tolerance(Duration::from_millis(tolerance_ms));
            match horizon_ms {
                Some(horizon_ms) => pace.with_horizon(Duration::from_millis(horizon_ms)),
                None => pace,
            }
        })
}

fn budget() -> impl Strategy<Value = BudgetConfig> {
    (
        1..60_u32,
        1..8_u32,
        1..15_u32,
        0..4_u32,
        prop_oneof![0..4_u32, 0..3_000_u32],
    )
        .prop_map(
            |(capacity, retry_cost, timeout_retry_cost, success_refill, refill_per_sec)| {
                BudgetConfig {
                    capacity,
                    retry_cost,
                    timeout_retry_cost,
                    success_refill,
                    refill_per_sec,
                }
            },
        )
}

/// What the model says, side by side with the script, for one operation.
#[derive(Debug, PartialEq)]
enum Answer {
    Admit(Admit),
    Moved(bool),
    Withdrawal(Withdrawal),
    Left(u32),
}

struct Model {
    paces: [PaceState; 2],
    budget: Option<RetryBudget>,
}

impl Model {
    fn apply(&mut self, op: &Op, now_us: u64, pace: &Pace, config: BudgetConfig) -> Answer {
        let now = Duration::from_micros(now_us);
        // A missing key is a budget that starts full at its first use, as a new one does.
        let budget = |stored: &mut Option<RetryBudget>| {
            *stored.get_or_insert_with(|| RetryBudget::new(config, now))
        };
        match op {
            Op::Admit {
                group,
                max_wait_ms,
                arrival,
            } => Answer::Admit(self.paces[*group].admit(
                now_us,
                pace,
                Duration::from_millis(*max_wait_ms),
                *arrival,
            )),
            Op::Observe {
                group,
                hold_ms,
                windows,
                limits,
            } => Answer::Moved(self.paces[*group].observe(
                now_us,
                pace,
                &observation(*hold_ms, windows, limits),
            )),
            Op::Withdraw { after_timeout } => {
                let cost = if *after_timeout {
                    config.timeout_retry_cost
                } else {
                    config.retry_cost
                };
                let mut budget = budget(&mut self.budget);
                let granted = budget.try_withdraw(cost, now);
                let left = budget.whole_tokens();
                self.budget = Some(budget);
                Answer::Withdrawal(if granted {
                    Withdrawal::Granted { left }
                } else {
                    Withdrawal::Refused { left }
                })
            }
            Op::Refill => {
                let mut budget = budget(&mut self.budget);
                budget.on_first_try_success(now);
                self.budget = Some(budget);
                Answer::Left(budget.whole_tokens())
            }
            // Reading leaves a missing key missing.
            Op::BudgetLeft => Answer::Left(
                self.budget
                    .map_or(config.capacity, |budget| budget.available(now)),
            ),
        }
    }
}

const FAMILIES: [LimitFamily; 3] = [
    LimitFamily::XRateLimit,
    LimitFamily::XRateLimitHour,
    LimitFamily::RateLimit,
];

fn observation(hold_ms: u64, windows: &[(u64, u64)], limits: &[(usize, u32, u64)]) -> Observation {
    let learned = limits
        .iter()
        .fold(LearnedLimit::default(), |learned, (family, calls, secs)| {
            learned.with_family(FAMILIES[*family], *calls, *secs)
        });
    windows
        .iter()
        .fold(
            Observation::hold_for(Duration::from_millis(hold_ms)),
            |seen, (reset_ms, remaining)| {
                seen.with_window(Duration::from_millis(*reset_ms), *remaining)
            },
        )
        .with_learned(learned)
}

async fn store_answer(
    account: &AccountQuota,
    groups: &[GroupName; 2],
    op: &Op,
    pace: &Pace,
    config: BudgetConfig,
) -> Answer {
    let result = match op {
        Op::Admit {
            group,
            max_wait_ms,
            arrival,
        } => account
            .admit(
                &groups[*group],
                pace,
                Duration::from_millis(*max_wait_ms),
                *arrival,
            )
            .await
            .map(Answer::Admit),
        Op::Observe {
            group,
            hold_ms,
            windows,
            limits,
        } => account
            .observe(
                &groups[*group],
                pace,
                &observation(*hold_ms, windows, limits),
            )
            .await
            .map(Answer::Moved),
        Op::Withdraw { after_timeout } => {
            let cost = if *after_timeout {
                config.timeout_retry_cost
            } else {
                config.retry_cost
            };
            account
                .withdraw(&config, cost)
                .await
                .map(Answer::Withdrawal)
        }
        Op::Refill => account
            .refill_first_try_success(&config)
            .await
            .map(Answer::Left),
        Op::BudgetLeft => account.budget_left(&config).await.map(Answer::Left),
    };
    result.expect("the store answers")
}

/// The stored pace ("TAT BLOCKED QUEUE" and per family "CALLS WINDOW") as the model's state; a
/// missing key is all zeroes.
async fn stored_pace(connection: &redis::aio::MultiplexedConnection, key: &str) -> PaceState {
    let mut connection = connection.clone();
    let stored: Option<String> = redis::cmd("GET")
        .arg(key)
        .query_async(&mut connection)
        .await
        .expect("GET");
    let Some(stored) = stored else {
        return PaceState::default();
    };
    let numbers: Vec<u64> = stored
        .split(' ')
        .map(|number| number.parse().expect("a whole number"))
        .collect();
    assert_eq!(numbers.len(), 9, "{stored:?}");
    let learned =
        FAMILIES
            .iter()
            .enumerate()
            .fold(LearnedLimit::default(), |learned, (index, family)| {
                let calls = u32::try_from(numbers[3 + 2 * index]).expect("calls fit");
                learned.with_family(*family, calls, numbers[4 + 2 * index])
            });
    PaceState {
        tat: numbers[0],
        blocked: numbers[1],
        queue: numbers[2],
        learned,
    }
}

#[test]
fn scripts_decide_exactly_as_the_model() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let server = runtime.block_on(RedisServer::start());
    let clock = Arc::new(AtomicU64::new(EPOCH_US));
    let store = runtime.block_on(async {
        let clock = clock.clone();
        QuotaStore::connect_with(
            StoreConfig::new(server.url())
                .with_timeout(Duration::from_secs(5))
                .with_test_clock(Arc::new(move || clock.load(Ordering::SeqCst))),
        )
        .await
        .expect("a store")
    });
    let connection = runtime.block_on(async {
        redis::Client::open(server.url())
            .expect("a client")
            .get_multiplexed_async_connection()
            .await
            .expect("a connection")
    });
    let groups = [
        GroupName::default_group(),
        GroupName::new("reports").expect("valid"),
    ];
    let case = AtomicU64::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 200,
        source_file: Some(file!()),
        ..Config::default()
    });
    let strategy = (
        pace(),
        budget(),
        prop::collection::vec((gap(), op()), 1..60),
    );
    let result = runner.run(&strategy, |(pace, config, ops)| {
        // A fresh account per case, so that no state carries over.
        let sid = AccountSid::new(format!("IRcase{}", case.fetch_add(1, Ordering::SeqCst)))
            .expect("valid");
        let account = store.account(&sid);
        let mut model = Model {
            paces: [PaceState::default(); 2],
            budget: None,
        };
        let mut now = EPOCH_US;
        for (step, (gap, op)) in ops.iter().enumerate() {
            now += gap;
            clock.store(now, Ordering::SeqCst);
            let expected = model.apply(op, now, &pace, config);
            let answered = runtime.block_on(store_answer(&account, &groups, op, &pace, config));
            prop_assert_eq!(
                &answered,
                &expected,
                "step {} ({:?}) at +{} us",
                step,
                op,
                now - EPOCH_US
            );
            for (index, group) in groups.iter().enumerate() {
                let key = format!("impact-quota:{sid}:pace:{group}");
                let stored = runtime.block_on(stored_pace(&connection, &key));
                prop_assert_eq!(stored, model.paces[index], "pace state after step {}", step);
            }
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
