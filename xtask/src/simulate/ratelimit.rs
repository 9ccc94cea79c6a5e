//! The rate-limit scenario: an account allowing L calls per window, answering with the Partner
//! headers (`X-RateLimit-Limit`, `-Remaining`, `-Reset` as a delay in whole seconds, rounded
//! down) and a 429 with `Retry-After` once exhausted; four independent clients, each with its
//! own pacer, wanting 2L calls per window spread evenly. The seed draws each client's phase
//! within the spacing of its calls, every call's round-trip time and the policy's jitter.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use impact_errors::{RateLimitInfo, StatusCode};
use impact_retry::{
    Admission, BudgetConfig, Decision, FailedAttempt, Idempotency, Outcome, Pacer, RetryBudget,
    RetryPolicy, RetryState,
};

use super::rng::Rng;

const LIMIT: u64 = 1000;
const WINDOW_SECS: u64 = 3600;
const WINDOWS: u64 = 5;
const CLIENTS: usize = 4;
/// The Unix time at the simulation's origin, at a window boundary.
const UNIX_ORIGIN: u64 = 1_700_002_800;
/// Round-trip time of a call: |N(50 ms, 10 ms)|.
const LATENCY_MS: (f64, f64) = (50.0, 10.0);

/// What the scenario measured over the counted windows (all but the first).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RateLimitResult {
    pub(crate) max_429_per_client_per_window: u64,
    pub(crate) total_429: u64,
    pub(crate) utilization: f64,
    pub(crate) failed_fast: u64,
}

/// The account's fixed-window counter.
struct Account {
    used: [u64; WINDOWS as usize + 1],
}

impl Account {
    /// Serves one call arriving at `at`: its status and headers, as the API would send them.
    fn serve(&mut self, at: Duration) -> (StatusCode, RateLimitInfo, usize) {
        let window = (at.as_secs() / WINDOW_SECS) as usize;
        let window_end = Duration::from_secs((window as u64 + 1) * WINDOW_SECS);
        let reset_secs = (window_end - at).as_secs();
        let slot = window.min(WINDOWS as usize);
        let mut info = RateLimitInfo {
            x_limit: Some(LIMIT),
            x_reset: Some(impact_errors::Reset::After(reset_secs)),
            ..RateLimitInfo::default()
        };
        if self.used[slot] >= LIMIT {
            info.x_remaining = Some(0);
            info.retry_after = Some(impact_errors::RetryAfter::Delay(reset_secs));
            return (StatusCode::TOO_MANY_REQUESTS, info, window);
        }
        self.used[slot] += 1;
        info.x_remaining = Some(LIMIT - self.used[slot]);
        (StatusCode::OK, info, window)
    }
}

struct Client {
    pacer: Pacer,
    budget: RetryBudget,
}

/// Whether the clients pace themselves from the rate-limit headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pacing {
    /// Every response's headers go to the client's pacer, as impact-client does.
    FromHeaders,
    /// The headers are ignored: only the retry policy's backoff stands between the clients
    /// and the limit (the control that shows what pacing buys).
    #[cfg(test)]
    Off,
}

/// Runs the scenario with the default policy and pacing from the headers.
pub(crate) fn run(seed: u64) -> RateLimitResult {
    run_with(seed, Pacing::FromHeaders)
}

/// Runs the scenario with the default policy.
pub(crate) fn run_with(seed: u64, pacing: Pacing) -> RateLimitResult {
    let mut simulation = Simulation::new(seed, pacing);
    let end = Duration::from_secs(WINDOW_SECS * WINDOWS);
    while let Some(Reverse((now, client, call))) = simulation.queue.pop() {
        if now < end {
            simulation.attempt(now, client, call);
        }
    }
    simulation.result()
}

/// One run's state: the account, the clients, every call's retry state and the event queue
/// of (time, client, call index).
struct Simulation {
    policy: RetryPolicy,
    pacing: Pacing,
    rng: Rng,
    account: Account,
    clients: Vec<Client>,
    calls: Vec<RetryState>,
    queue: BinaryHeap<Reverse<(Duration, usize, usize)>>,
    too_many: [[u64; WINDOWS as usize]; CLIENTS],
    successes: [u64; WINDOWS as usize],
    failed_fast: u64,
}

impl Simulation {
    /// Each client wants 2L calls per window, evenly spaced from a phase the seed draws.
    fn new(seed: u64, pacing: Pacing) -> Simulation {
        let policy = RetryPolicy::new();
        let mut rng = Rng::seeded(seed);
        let spacing = Duration::from_secs(WINDOW_SECS) / (2 * LIMIT) as u32;
        let mut calls = Vec::new();
        let mut queue = BinaryHeap::new();
        for client in 0..CLIENTS {
            let offset = Duration::from_nanos(rng.next_u64() % spacing.as_nanos() as u64);
            for index in 0..2 * LIMIT * WINDOWS {
                let at = offset + spacing * index as u32;
                queue.push(Reverse((at, client, calls.len())));
                calls.push(RetryState::start(&policy, at));
            }
        }
        Simulation {
            policy,
            pacing,
            rng,
            account: Account {
                used: [0; WINDOWS as usize + 1],
            },
            clients: (0..CLIENTS)
                .map(|_| Client {
                    pacer: Pacer::new(),
                    budget: RetryBudget::new(BudgetConfig::new(), Duration::ZERO),
                })
                .collect(),
            calls,
            queue,
            too_many: [[0; WINDOWS as usize]; CLIENTS],
            successes: [0; WINDOWS as usize],
            failed_fast: 0,
        }
    }

    /// A call's turn at `now`: held by the pacer, failed fast, or sent and judged.
    fn attempt(&mut self, now: Duration, id: usize, call: usize) {
        match self.clients[id].pacer.admit(now, self.policy.max_wait) {
            Admission::Now => {}
            Admission::Wait(wait) => {
                self.queue.push(Reverse((now + wait, id, call)));
                return;
            }
            _ => {
                // Rate limited beyond the allowed wait: the call fails fast, nothing is sent.
                self.failed_fast += 1;
                return;
            }
        }
        if self.calls[call].begin_attempt(&self.policy, now).is_err() {
            return;
        }
        let latency =
            Duration::from_secs_f64(self.rng.normal(LATENCY_MS.0, LATENCY_MS.1).abs() / 1e3);
        let (status, info, window) = self.account.serve(now + latency / 2);
        let answered = now + latency;
        let unix_now = UNIX_ORIGIN + answered.as_secs();
        if self.pacing == Pacing::FromHeaders {
            self.clients[id]
                .pacer
                .observe(&info, status, answered, unix_now);
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.too_many_requests(id, call, (&info, window), answered, unix_now);
        } else {
            if self.calls[call].attempts() == 1 {
                self.clients[id].budget.on_first_try_success(answered);
            }
            if let Some(count) = self.successes.get_mut(window) {
                *count += 1;
            }
        }
    }

    /// A 429: counted, then retried as the policy decides.
    fn too_many_requests(
        &mut self,
        id: usize,
        call: usize,
        (info, window): (&RateLimitInfo, usize),
        answered: Duration,
        unix_now: u64,
    ) {
        if let Some(count) = self.too_many[id].get_mut(window) {
            *count += 1;
        }
        let failed = FailedAttempt::new(
            Outcome::Status(StatusCode::TOO_MANY_REQUESTS),
            Idempotency::Idempotent,
        )
        .with_rate_limit(info)
        .at(answered, unix_now)
        .with_random(self.rng.next_u64());
        let client = &mut self.clients[id];
        let decision = self.policy.decide(
            &mut self.calls[call],
            &failed,
            Some(&mut client.budget),
            Some(&client.pacer),
        );
        if let Decision::Retry(retry) = decision {
            self.queue.push(Reverse((answered + retry.delay, id, call)));
        }
    }

    /// The figures over the counted windows (all but the first).
    fn result(&self) -> RateLimitResult {
        let counted = 1..WINDOWS as usize;
        let max_429_per_client_per_window = self
            .too_many
            .iter()
            .flat_map(|per_window| per_window[counted.clone()].iter().copied())
            .max()
            .unwrap_or(0);
        let total_429 = self
            .too_many
            .iter()
            .map(|per_window| per_window[counted.clone()].iter().sum::<u64>())
            .sum();
        let used: u64 = self.successes[counted.clone()].iter().sum();
        RateLimitResult {
            max_429_per_client_per_window,
            total_429,
            utilization: used as f64 / (LIMIT * counted.len() as u64) as f64,
            failed_fast: self.failed_fast,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC 7's goals for the scenario: at most one 429 per client per window, and at least
    /// 95% of the allowance used.
    fn check(seed: u64, pacing: Pacing, expect_goals_met: bool) {
        let result = run_with(seed, pacing);
        let met = result.max_429_per_client_per_window <= 1 && result.utilization >= 0.95;
        assert_eq!(met, expect_goals_met, "seed {seed}, {pacing:?}: {result:?}");
        let again = run_with(seed, pacing);
        assert_eq!(result.total_429, again.total_429, "reproducible");
        assert_eq!(result.utilization, again.utilization, "reproducible");
    }

    #[test]
    fn paced_clients_meet_the_goals_and_unpaced_ones_do_not() {
        for seed in [0, 1, 2, 99] {
            check(seed, Pacing::FromHeaders, true);
            check(seed, Pacing::Off, false);
        }
    }

    #[test]
    fn seeds_vary_the_timing_but_never_the_allowance() {
        let first = run(3);
        let second = run(4);
        // The seed moves phases and latencies; the account never admits more than L calls
        // per window, so utilisation cannot exceed one.
        assert!(first.utilization <= 1.0 && second.utilization <= 1.0);
        assert_ne!(
            first.failed_fast, second.failed_fast,
            "the seed changes the run"
        );
    }
}
