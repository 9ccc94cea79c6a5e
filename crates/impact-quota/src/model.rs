//! The shared pace as pure computation: the model the Lua scripts implement, step for step.
//!
//! Time is microseconds on the store's clock (Redis's `TIME` in production). The scripts keep
//! exactly these three numbers per account and group and apply exactly these rules; a property
//! test drives both with the same operations at the same instants and compares every answer.
//! The simulator (`cargo xtask simulate`) runs many processes against this model.

use core::time::Duration;

use impact_errors::{RateLimitInfo, StatusCode};
use impact_retry::Pacer;

use crate::limit::{LearnedLimit, MAX_SPAN_US, Pace, micros};

/// Whether a call asks for the first time or comes back after [`Admit::Later`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arrival {
    /// A call asking for the first time. It takes a slot at once only when no call that was
    /// told to come back is still queued, so that it cannot overtake them.
    First,
    /// A call coming back after [`Admit::Later`]: its turn has come, and it takes the next slot
    /// (unless a correction moved the slots beyond the horizon, when it queues again).
    Returning,
}

/// What the shared pace says about one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Admit {
    /// Send now.
    Now,
    /// A slot is reserved this far ahead (within the horizon): sleep, then send.
    Reserved(Duration),
    /// The next free slot lies beyond the horizon: ask again (as [`Arrival::Returning`]) after
    /// this long. Nothing is reserved yet, so that a correction still applies to the call.
    Later(Duration),
    /// The call's slot is further away than the caller allows: it should fail fast, saying to
    /// come back after this long. Nothing was reserved.
    TooLong(Duration),
}

/// What a response's rate-limit headers tell the shared pace, in the store's terms.
///
/// - `hold`: nothing may be sent for this long (a window said `Remaining: 0`, or a 429 asked
///   for a pause), computed by `impact-retry`'s [`Pacer`] so that the reset margin and the
///   `Retry-After` rules are exactly those of SPEC 3;
/// - `windows`: for each window that still has calls left, the time to its reset and the calls
///   left. When the calls left need less time at the pace than remains, someone else spent
///   some: the pace is moved forward so that only those calls go before the reset. It never
///   moves back.
/// - `learned`: each header family's calls and time to its reset, from which the shared state
///   learns the limit ([`LearnedLimit`]).
///
/// ```
/// use core::time::Duration;
/// use impact_errors::{RateLimitInfo, StatusCode};
/// use impact_quota::Observation;
///
/// let info = RateLimitInfo::from_headers([
///     ("X-RateLimit-Limit", &b"300"[..]),
///     ("X-RateLimit-Remaining", b"0"),
///     ("X-RateLimit-Reset", b"12"),
/// ]);
/// let seen = Observation::new(&info, StatusCode::OK, 1_700_000_000);
/// // Twelve seconds to the reset, plus SPEC 3's one-second margin.
/// assert_eq!(seen.hold(), Duration::from_secs(13));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Observation {
    hold_us: u64,
    /// `(time to reset in microseconds, calls left)` of each window with calls left.
    windows: [Option<(u64, u64)>; 3],
    learned: LearnedLimit,
}

impl Observation {
    /// Reads a response's headers. `unix_now` is the Unix time (seconds) at which it was
    /// received, for resets given as Unix times.
    pub fn new(info: &RateLimitInfo, status: StatusCode, unix_now: u64) -> Observation {
        let mut pacer = Pacer::new();
        pacer.observe(info, status, Duration::ZERO, unix_now);
        let hold_us = micros(pacer.wait(Duration::ZERO));
        let mut windows = [None; 3];
        let open = info.windows().filter_map(|window| {
            let remaining = window.remaining.filter(|left| *left > 0)?;
            let reset = window.reset?.delay_from(unix_now);
            Some((remaining, reset))
        });
        for (slot, (remaining, reset_secs)) in windows.iter_mut().zip(open) {
            *slot = Some((
                micros(Duration::from_secs(reset_secs)),
                calls_left(remaining),
            ));
        }
        Observation {
            hold_us,
            windows,
            learned: LearnedLimit::from_headers(info, unix_now),
        }
    }

    /// The same as [`Observation::new`]: the pace is applied when a state observes it, so
    /// `_pace` is not needed (the signature of an earlier version, kept for its callers).
    pub fn from_response(
        info: &RateLimitInfo,
        status: StatusCode,
        unix_now: u64,
        _pace: &Pace,
    ) -> Observation {
        Observation::new(info, status, unix_now)
    }

    /// An observation that only holds calls back for `hold`.
    pub fn hold_for(hold: Duration) -> Observation {
        Observation {
            hold_us: micros(hold),
            ..Observation::default()
        }
    }

    /// Adds a window with `remaining` calls left (at most 2^32 - 1) and `reset_in` until it
    /// resets (at most [`MAX_SPAN`](crate::MAX_SPAN)). Ignored once three are known.
    pub fn with_window(mut self, reset_in: Duration, remaining: u64) -> Observation {
        if let Some(slot) = self.windows.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some((micros(reset_in), calls_left(remaining)));
        }
        self
    }

    /// Adds what the headers said of the limit.
    pub fn with_learned(mut self, learned: LearnedLimit) -> Observation {
        self.learned = learned;
        self
    }

    /// How long nothing may be sent.
    pub fn hold(&self) -> Duration {
        Duration::from_micros(self.hold_us)
    }

    /// What the headers said of the limit.
    pub fn learned(&self) -> &LearnedLimit {
        &self.learned
    }

    /// Whether the observation can move the shared state at all.
    pub fn is_empty(&self) -> bool {
        self.hold_us == 0 && self.windows.iter().all(Option::is_none) && self.learned.is_empty()
    }

    pub(crate) fn hold_us(&self) -> u64 {
        self.hold_us
    }

    pub(crate) fn windows(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.windows.iter().flatten().copied()
    }
}

/// Calls left, bounded so that the scripts' arithmetic stays exact: no window of the API has
/// anywhere near 2^32 calls.
fn calls_left(remaining: u64) -> u64 {
    remaining.min(u64::from(u32::MAX))
}

/// One account's pace in one rate-limit group: what the store keeps.
///
/// - `tat`, the GCRA's theoretical arrival time: the slot after the last one reserved;
/// - `blocked`: nothing is sent before it (a window said `Remaining: 0`, or a 429);
/// - `queue`: the slot after the last one promised to a call told to come back later;
/// - `learned`: the limit the headers showed (for a [`Pace::learned`]).
///
/// A new state (a missing key) is all zeroes and knows nothing, and a state whose instants are
/// all in the past and whose learned windows have passed too behaves like one that knows only
/// the limit, which is why the store may expire the key a while after that.
///
/// ```
/// use core::time::Duration;
/// use impact_quota::{Admit, Arrival, Limit, Pace, PaceState};
///
/// let pace = Pace::new(Limit::per(10, Duration::from_secs(1)).expect("valid"));
/// let mut state = PaceState::default();
/// let now = 1_700_000_000_000_000;
/// let max_wait = Duration::from_secs(60);
/// assert_eq!(state.admit(now, &pace, max_wait, Arrival::First), Admit::Now);
/// // The next slot is 100 ms away, within the horizon of one interval: reserved.
/// assert_eq!(
///     state.admit(now, &pace, max_wait, Arrival::First),
///     Admit::Reserved(Duration::from_millis(100)),
/// );
/// // The one after lies beyond the horizon: come back 100 ms before it.
/// assert_eq!(
///     state.admit(now, &pace, max_wait, Arrival::First),
///     Admit::Later(Duration::from_millis(100)),
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PaceState {
    /// The theoretical arrival time of the next call (microseconds on the store's clock).
    pub tat: u64,
    /// Nothing is sent before this instant.
    pub blocked: u64,
    /// The next slot to promise to a call told to come back.
    pub queue: u64,
    /// The limit learned from the headers observed.
    pub learned: LearnedLimit,
}

/// The spacing of calls while a learning pace knows no limit yet: none to speak of.
const UNKNOWN_INTERVAL_US: u64 = 1;

impl PaceState {
    /// Admits one call at `now` (microseconds on the store's clock), waiting at most
    /// `max_wait` in all.
    pub fn admit(&mut self, now: u64, pace: &Pace, max_wait: Duration, arrival: Arrival) -> Admit {
        let interval = pace
            .interval_us(&self.learned)
            .unwrap_or(UNKNOWN_INTERVAL_US);
        let horizon = pace.horizon_us(interval);
        let max_wait = micros(max_wait);
        let earliest = now
            .max(self.blocked)
            .max(self.tat.saturating_sub(pace.tolerance_us()));
        let takes_slot = match arrival {
            Arrival::First => self.queue <= earliest && earliest - now <= horizon,
            Arrival::Returning => earliest - now <= horizon.saturating_add(interval),
        };
        if takes_slot {
            let wait = earliest - now;
            if wait > max_wait {
                return Admit::TooLong(Duration::from_micros(wait));
            }
            self.tat = self.tat.max(earliest).saturating_add(interval);
            return if wait == 0 {
                Admit::Now
            } else {
                Admit::Reserved(Duration::from_micros(wait))
            };
        }
        let slot = self.queue.max(earliest);
        let wait = slot - now;
        if wait > max_wait {
            return Admit::TooLong(Duration::from_micros(wait));
        }
        self.queue = slot.saturating_add(interval);
        Admit::Later(Duration::from_micros(wait.saturating_sub(horizon)))
    }

    /// Moves the pace forward as a response's headers say; never back. Learns the limit from
    /// them first, so that the calls left are spread at the pace it gives. Returns whether
    /// anything changed.
    pub fn observe(&mut self, now: u64, pace: &Pace, seen: &Observation) -> bool {
        let before = *self;
        self.learned.merge(seen.learned());
        if seen.hold_us() > 0 {
            self.blocked = self.blocked.max(now.saturating_add(seen.hold_us()));
        }
        // Without a limit, the time the calls left need is unknown: nothing to spread.
        if let Some(interval) = pace.interval_us(&self.learned) {
            for (reset_in, remaining) in seen.windows() {
                let needed = remaining.saturating_mul(interval).min(MAX_SPAN_US);
                if reset_in > needed {
                    let target = now.saturating_add(reset_in - needed + pace.tolerance_us());
                    self.tat = self.tat.max(target);
                }
            }
        }
        *self != before
    }

    /// How long after `now` the state stops mattering: the latest of its instants, or the
    /// longest window learned if that is longer, plus a minute of grace. The store expires the
    /// key then.
    pub fn lifetime(&self, now: u64) -> Duration {
        let last = self.tat.max(self.blocked).max(self.queue);
        let instants = Duration::from_micros(last.saturating_sub(now));
        instants.max(self.learned.longest_window()) + Duration::from_secs(60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limit::Limit;
    use impact_errors::LimitFamily;
    use proptest::prelude::*;

    const NOW: u64 = 1_764_000_000_000_000;
    const UNIX: u64 = 1_764_000_000;

    fn pace_300_per_minute() -> Pace {
        Pace::new(Limit::per(300, Duration::from_secs(60)).expect("valid"))
    }

    /// Headers and status in; the observation's hold (seconds), its windows (reset in
    /// seconds, calls left) and the limit it shows out.
    fn check(
        headers: &[(&str, &str)],
        status: StatusCode,
        hold_secs: u64,
        windows: &[(u64, u64)],
        limit: Option<(u32, u64)>,
    ) {
        let info = RateLimitInfo::from_headers(
            headers
                .iter()
                .map(|(name, value)| (*name, value.as_bytes())),
        );
        let seen = Observation::new(&info, status, UNIX);
        assert_eq!(seen.hold(), Duration::from_secs(hold_secs), "{headers:?}");
        let got: Vec<(u64, u64)> = seen
            .windows()
            .map(|(reset, remaining)| (reset / 1_000_000, remaining))
            .collect();
        assert_eq!(got, windows, "{headers:?} (reset s, calls left)");
        let shown = seen.learned().limit();
        let expected =
            limit.map(|(calls, secs)| Limit::per(calls, Duration::from_secs(secs)).expect("valid"));
        assert_eq!(shown, expected, "{headers:?}");
    }

    #[test]
    fn observations_read_every_header_family() {
        let ok = StatusCode::OK;
        let too_many = StatusCode::TOO_MANY_REQUESTS;
        check(
            &[
                ("X-RateLimit-Limit", "300"),
                ("X-RateLimit-Remaining", "100"),
                ("X-RateLimit-Reset", "30"),
            ],
            ok,
            0,
            &[(30, 100)],
            Some((300, 30)),
        );
        // An epoch reset is read against the time of receipt.
        check(
            &[
                ("X-RateLimit-Remaining", "5"),
                ("X-RateLimit-Reset", "1764000010"),
            ],
            ok,
            0,
            &[(10, 5)],
            None,
        );
        // Exhausted: a hold to the reset plus SPEC 3's second, and no window to spread.
        check(
            &[
                ("X-RateLimit-Limit", "300"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "30"),
            ],
            ok,
            31,
            &[],
            Some((300, 30)),
        );
        // A 429's Retry-After is honoured exactly.
        check(&[("Retry-After", "7")], too_many, 7, &[], None);
        // The Partner hour family takes its reset from RateLimit-Reset; of two families, the
        // one whose calls are spread thinnest gives the limit: 1,000 per 1,795 s (1.795 s a
        // call) over 250 per 300 s (1.2 s).
        check(
            &[
                ("X-RateLimit-Limit", "1000"),
                ("X-RateLimit-Remaining", "412"),
                ("X-RateLimit-Reset", "1795"),
                ("X-RateLimit-Limit-hour", "250"),
                ("X-RateLimit-Remaining-hour", "10"),
                ("RateLimit-Reset", "300"),
            ],
            ok,
            0,
            &[(1795, 412), (300, 10)],
            Some((1000, 1795)),
        );
        // No reset, nothing to spread; no headers, nothing at all.
        check(&[("X-RateLimit-Remaining", "10")], ok, 0, &[], None);
        check(&[], ok, 0, &[], None);
        // Garbage is refused by the header reader, so it moves nothing.
        check(
            &[
                ("X-RateLimit-Limit", "-300"),
                ("X-RateLimit-Remaining", "-3"),
                ("X-RateLimit-Reset", "soon"),
            ],
            ok,
            0,
            &[],
            None,
        );
    }

    #[test]
    fn a_window_with_less_left_than_the_pace_expects_moves_the_pace_forward_only() {
        let pace = pace_300_per_minute();
        let mut state = PaceState::default();
        // 10 calls left (2 s of pace) with 30 s to the reset: nothing before now + 28 s.
        let seen = Observation::default().with_window(Duration::from_secs(30), 10);
        assert!(state.observe(NOW, &pace, &seen));
        assert_eq!(state.tat, NOW + 28_000_000);
        // A later, staler reading that leaves more room moves nothing back.
        let stale = Observation::default().with_window(Duration::from_secs(30), 100);
        assert!(!state.observe(NOW + 1_000_000, &pace, &stale));
        assert_eq!(state.tat, NOW + 28_000_000);
    }

    #[test]
    fn a_learning_pace_spreads_what_the_headers_showed() {
        let pace = Pace::learned();
        let mut state = PaceState::default();
        let max_wait = Duration::from_secs(60);
        // Nothing known: calls are not spaced, and calls left cannot be spread.
        assert_eq!(
            state.admit(NOW, &pace, max_wait, Arrival::First),
            Admit::Now
        );
        assert_eq!(
            state.admit(NOW, &pace, max_wait, Arrival::First),
            Admit::Reserved(Duration::from_micros(1))
        );
        let blind = Observation::default().with_window(Duration::from_secs(30), 10);
        assert!(!state.observe(NOW, &pace, &blind));
        // 300 per window, the reset 30 s away with 10 calls left (at the 100 ms pace of a
        // 30 s window, 1 s of calls): nothing before now + 29 s.
        let learned = LearnedLimit::default().with_family(LimitFamily::XRateLimit, 300, 30);
        let seen = blind.with_learned(learned);
        assert!(state.observe(NOW, &pace, &seen));
        assert_eq!(state.tat, NOW + 29_000_000);
        // The next window's first answer shows it whole: 60 s, 200 ms a call.
        let longer = LearnedLimit::default().with_family(LimitFamily::XRateLimit, 300, 60);
        let later = NOW + 31_000_000;
        state.observe(later, &pace, &Observation::default().with_learned(longer));
        assert_eq!(
            state.learned.limit(),
            Limit::per(300, Duration::from_secs(60)).ok()
        );
        assert_eq!(
            state.admit(later, &pace, max_wait, Arrival::First),
            Admit::Now
        );
        assert_eq!(
            state.admit(later, &pace, max_wait, Arrival::First),
            Admit::Reserved(Duration::from_millis(200))
        );
        // A given limit wins over the learned one.
        let given = Pace::new(Limit::per(10, Duration::from_secs(1)).expect("valid"));
        assert_eq!(
            state.admit(later, &given, max_wait, Arrival::First),
            Admit::Later(Duration::from_millis(300))
        );
    }

    proptest! {
        /// With no tolerance, the calls the pace lets go (now or after a reservation) are at
        /// least one interval apart, and a call admitted after a hold was observed is never
        /// sent inside it, whoever asks and however often. (A slot reserved before the hold
        /// stays committed: that is the one-interval horizon's bounded cost.)
        #[test]
        fn sends_are_spaced_and_never_held(
            interval_ms in 1..500_u64,
            steps in prop::collection::vec((0..400_000_u64, any::<bool>(), 0..3_u8), 1..200),
        ) {
            let limit = Limit::per(1000, Duration::from_millis(interval_ms * 1000)).expect("valid");
            let pace = Pace::new(limit);
            let interval = limit.interval().as_micros() as u64;
            let mut state = PaceState::default();
            let mut now = NOW;
            let mut sends: Vec<(u64, u64)> = Vec::new();
            let mut holds: Vec<(u64, u64)> = Vec::new();
            for (gap, returning, kind) in steps {
                now += gap;
                if kind == 0 {
                    let hold = Observation::hold_for(Duration::from_micros(gap * 3));
                    state.observe(now, &pace, &hold);
                    holds.push((now, now + gap * 3));
                    continue;
                }
                let arrival = if returning { Arrival::Returning } else { Arrival::First };
                match state.admit(now, &pace, Duration::from_secs(3600), arrival) {
                    Admit::Now => sends.push((now, now)),
                    Admit::Reserved(wait) => sends.push((now, now + wait.as_micros() as u64)),
                    Admit::Later(_) | Admit::TooLong(_) => {}
                }
            }
            let mut sorted: Vec<u64> = sends.iter().map(|(_, at)| *at).collect();
            sorted.sort_unstable();
            for pair in sorted.windows(2) {
                prop_assert!(pair[1] - pair[0] >= interval, "{:?}", pair);
            }
            for (decided, send) in &sends {
                for (from, until) in holds.iter().filter(|(from, _)| from <= decided) {
                    prop_assert!(!(send > from && send < until), "send {} inside hold {}..{}", send, from, until);
                }
            }
        }

        /// An observation never moves any instant back.
        #[test]
        fn observing_only_moves_forward(
            start in (0..u64::from(u32::MAX), 0..u64::from(u32::MAX), 0..u64::from(u32::MAX)),
            hold in 0..10_000_000_u64,
            reset in 0..100_000_000_u64,
            needed in 0..100_000_000_u64,
        ) {
            let pace = pace_300_per_minute();
            let mut state = PaceState {
                tat: NOW + start.0,
                blocked: NOW + start.1,
                queue: NOW + start.2,
                learned: LearnedLimit::default(),
            };
            let before = state;
            let seen = Observation::hold_for(Duration::from_micros(hold))
                .with_window(Duration::from_micros(reset), needed);
            state.observe(NOW, &pace, &seen);
            prop_assert!(state.tat >= before.tat && state.blocked >= before.blocked);
            prop_assert_eq!(state.queue, before.queue);
        }
    }
}
