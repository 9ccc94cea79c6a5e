//! The contention scenario: the model of the AWS Architecture Blog's "Exponential Backoff and
//! Jitter" (2015), re-simulated in virtual time with the real `impact-retry` decisions.
//!
//! N clients each update one row once with optimistic concurrency: read the version, send a
//! conditional write, and on conflict back off and start over (read again, write again). Every
//! network hop takes |N(10 ms, 2 ms)|. A call is one write; completion is the virtual time at
//! which the last client learns its write succeeded, as the published model measures it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use impact_errors::StatusCode;
use impact_retry::{
    BudgetConfig, Decision, FailedAttempt, Idempotency, Jitter, Outcome, RetryBudget, RetryPolicy,
    RetryState,
};

use super::rng::Rng;

/// The model's backoff base and cap.
const BASE: Duration = Duration::from_millis(5);
const CAP: Duration = Duration::from_secs(2);

/// A backoff strategy of the comparison.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Strategy {
    pub(crate) name: &'static str,
    pub(crate) policy: RetryPolicy,
    /// Whether each client pays its retries from its own retry budget.
    pub(crate) budget: bool,
}

impl Strategy {
    /// The model's four strategies, expressed as `impact-retry` policies, then ours.
    ///
    /// The model's exponential backoff before its n-th retry is `base * 2^n` (its first retry
    /// already waits `2 * base`), so its strategies run with an initial backoff of twice the
    /// base; its decorrelated jitter starts from the base itself.
    ///
    /// Ours, three ways:
    /// - `default`: the real default policy (4 attempts, full jitter, 20 s cap) with each
    ///   client's own default retry budget; only the initial backoff is translated to the
    ///   model's schedule (twice the base). Clients whose four attempts all conflict give up.
    /// - `default_unlimited`: the comparison with the model's figures: the default policy with
    ///   unlimited attempts and the model's 2 s cap, so that every client writes in the end.
    /// - `default_base_as_initial`: as `default_unlimited`, with the model's base taken
    ///   literally as the initial backoff (its first retry waits at most 5 ms where the
    ///   model's waits at most 10 ms).
    pub(crate) fn all() -> [Strategy; 7] {
        let model = RetryPolicy::new()
            .with_max_attempts(u32::MAX)
            .with_initial_backoff(BASE * 2)
            .with_max_backoff(CAP);
        let ours_unlimited = model.with_jitter(RetryPolicy::new().jitter);
        [
            Strategy {
                name: "none",
                policy: model.with_jitter(Jitter::None),
                budget: false,
            },
            Strategy {
                name: "full",
                policy: model.with_jitter(Jitter::Full),
                budget: false,
            },
            Strategy {
                name: "equal",
                policy: model.with_jitter(Jitter::Equal),
                budget: false,
            },
            Strategy {
                name: "decorrelated",
                policy: model
                    .with_jitter(Jitter::Decorrelated)
                    .with_initial_backoff(BASE),
                budget: false,
            },
            Strategy {
                name: "default",
                policy: RetryPolicy::new().with_initial_backoff(BASE * 2),
                budget: true,
            },
            Strategy {
                name: "default_unlimited",
                policy: ours_unlimited,
                budget: true,
            },
            Strategy {
                name: "default_base_as_initial",
                policy: ours_unlimited.with_initial_backoff(BASE),
                budget: true,
            },
        ]
    }

    /// Whether every client keeps trying until its write succeeds, as the model's do.
    #[cfg(test)]
    pub(crate) fn is_unlimited(&self) -> bool {
        self.policy.max_attempts == u32::MAX
    }
}

/// What one run measured.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunResult {
    pub(crate) calls_per_client: f64,
    pub(crate) completion_s: f64,
    /// Clients whose write never succeeded because the policy gave up (must be zero).
    pub(crate) gave_up: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    /// The read request reaches the row.
    ReadArrives,
    /// The read's answer (the version) reaches the client.
    ReadAnswered,
    /// The conditional write reaches the row.
    WriteArrives,
    /// The write's answer reaches the client.
    WriteAnswered { succeeded: bool },
}

struct Client {
    state: RetryState,
    budget: Option<RetryBudget>,
    version_read: u64,
}

fn network_delay(rng: &mut Rng) -> Duration {
    let millis = rng.normal(10.0, 2.0).abs();
    Duration::from_nanos((millis * 1e6) as u64)
}

/// Runs the model once with `clients` clients under `strategy`, seeded with `seed`.
pub(crate) fn run_once(clients: usize, strategy: &Strategy, seed: u64) -> RunResult {
    let mut row = Row::new(clients, strategy, seed);
    let mut last_event = Duration::ZERO;
    while let Some(Reverse((now, _, id, step))) = row.queue.pop() {
        last_event = now;
        row.step(now, id, step);
    }
    RunResult {
        calls_per_client: row.writes as f64 / clients as f64,
        completion_s: last_event.as_secs_f64(),
        gave_up: row.gave_up,
    }
}

/// The contended row, its clients and the event queue of one run.
struct Row {
    policy: RetryPolicy,
    rng: Rng,
    clients: Vec<Client>,
    queue: BinaryHeap<Reverse<(Duration, u64, usize, Step)>>,
    /// Orders events at the same instant by when they were scheduled.
    sequence: u64,
    version: u64,
    writes: u64,
    gave_up: usize,
}

impl Row {
    fn new(clients: usize, strategy: &Strategy, seed: u64) -> Row {
        let policy = strategy.policy;
        let mut row = Row {
            policy,
            rng: Rng::seeded(seed),
            clients: (0..clients)
                .map(|_| Client {
                    state: RetryState::start(&policy, Duration::ZERO),
                    budget: strategy
                        .budget
                        .then(|| RetryBudget::new(BudgetConfig::new(), Duration::ZERO)),
                    version_read: 0,
                })
                .collect(),
            queue: BinaryHeap::new(),
            sequence: 0,
            version: 0,
            writes: 0,
            gave_up: 0,
        };
        for id in 0..clients {
            // Every attempt starts with a read; there is no deadline, so it always begins.
            let _ = row.clients[id].state.begin_attempt(&policy, Duration::ZERO);
            row.after_network(Duration::ZERO, id, Step::ReadArrives);
        }
        row
    }

    /// Schedules `step` one network hop after `at`.
    fn after_network(&mut self, at: Duration, id: usize, step: Step) {
        let at = at + network_delay(&mut self.rng);
        self.sequence += 1;
        self.queue.push(Reverse((at, self.sequence, id, step)));
    }

    fn step(&mut self, now: Duration, id: usize, step: Step) {
        match step {
            Step::ReadArrives => {
                self.clients[id].version_read = self.version;
                self.after_network(now, id, Step::ReadAnswered);
            }
            Step::ReadAnswered => self.after_network(now, id, Step::WriteArrives),
            Step::WriteArrives => {
                self.writes += 1;
                let succeeded = self.clients[id].version_read == self.version;
                if succeeded {
                    self.version += 1;
                }
                self.after_network(now, id, Step::WriteAnswered { succeeded });
            }
            Step::WriteAnswered { succeeded: true } => {}
            Step::WriteAnswered { succeeded: false } => self.conflict(now, id),
        }
    }

    /// A write lost the race: back off as the policy decides and start over with a read.
    fn conflict(&mut self, now: Duration, id: usize) {
        // The conflict is fed to the policy as a retryable server failure of an idempotent
        // (conditional) write: the model's contention stands for overload. (The impact.com
        // API's own 409 is permanent and never retried.)
        let failed = FailedAttempt::new(
            Outcome::Status(StatusCode::SERVICE_UNAVAILABLE),
            Idempotency::Idempotent,
        )
        .at(now, 0)
        .with_random(self.rng.next_u64());
        let client = &mut self.clients[id];
        match self
            .policy
            .decide(&mut client.state, &failed, client.budget.as_mut(), None)
        {
            Decision::Retry(retry) => {
                let _ = client.state.begin_attempt(&self.policy, now + retry.delay);
                self.after_network(now + retry.delay, id, Step::ReadArrives);
            }
            Decision::GiveUp(_) => self.gave_up += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strategy(name: &str) -> Strategy {
        Strategy::all()
            .into_iter()
            .find(|candidate| candidate.name == name)
            .expect("known strategy")
    }

    fn check(clients: usize, name: &str, expect_calls_at_least: f64) {
        let strategy = strategy(name);
        let first = run_once(clients, &strategy, 42);
        let again = run_once(clients, &strategy, 42);
        assert_eq!(
            first.calls_per_client, again.calls_per_client,
            "reproducible"
        );
        assert_eq!(first.completion_s, again.completion_s, "reproducible");
        if strategy.is_unlimited() {
            assert_eq!(first.gave_up, 0, "{name}: unlimited attempts never give up");
        }
        assert!(first.calls_per_client >= expect_calls_at_least);
    }

    #[test]
    fn one_client_writes_once_and_many_contend() {
        check(1, "full", 1.0);
        check(1, "default", 1.0);
        check(20, "none", 2.0);
        check(20, "default_unlimited", 2.0);
        check(20, "default", 1.5);
    }

    #[test]
    fn the_default_row_runs_the_real_default_policy() {
        let default = strategy("default");
        let real = RetryPolicy::new();
        assert_eq!(default.policy.max_attempts, real.max_attempts);
        assert_eq!(default.policy.max_backoff, real.max_backoff);
        assert_eq!(default.policy.jitter, real.jitter);
        assert_eq!(
            default.policy.initial_backoff,
            BASE * 2,
            "only the base is translated"
        );
        assert!(default.budget);
        // Four attempts at most: no client writes more than four times.
        let result = run_once(100, &default, 7);
        assert!(result.calls_per_client <= f64::from(real.max_attempts));
        assert!(strategy("default_unlimited").is_unlimited());
    }
}
