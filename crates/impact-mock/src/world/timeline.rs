//! Items that keep arriving: the `n`th item of a timeline is created at a time computed from
//! `n` alone, increasing with `n`, so that a date window maps to a range of item numbers
//! without looking at any item outside it.

use std::ops::RangeInclusive;

use crate::rng::Draw;
use crate::time::{DAY, Timestamp};

/// Where every timeline starts: 2019-01-01T00:00:00Z. The world at an instant depends only on
/// the seed and that instant, never on when the server started.
pub(crate) const EPOCH: Timestamp = Timestamp::from_unix_seconds(1_546_300_800);

/// Three years, the span over which scales are counted and the API's floor.
pub(crate) const THREE_YEARS: i64 = 3 * 365 * DAY + DAY;

/// Arrivals at a steady rate: item `n` is created at a jittered point of its own slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timeline {
    slot_ms: i64,
    salt: u64,
}

impl Timeline {
    /// `count` arrivals per three years (at least one slot per millisecond).
    pub(crate) fn per_three_years(count: u64, salt: u64) -> Timeline {
        let count = i64::try_from(count.max(1)).unwrap_or(i64::MAX);
        Timeline {
            slot_ms: (THREE_YEARS * 1000 / count).max(1),
            salt,
        }
    }

    /// The creation time of item `n`, in milliseconds since [`EPOCH`].
    fn at_ms(self, seed: u64, n: u64) -> i64 {
        let slot = i64::try_from(n).unwrap_or(i64::MAX / 2);
        let jitter = Draw::new(seed ^ self.salt, n).below(self.slot_ms.unsigned_abs());
        slot.saturating_mul(self.slot_ms)
            .saturating_add(i64::try_from(jitter).unwrap_or(0))
    }

    /// The creation time of item `n`.
    pub(crate) fn at(self, seed: u64, n: u64) -> Timestamp {
        EPOCH.plus(self.at_ms(seed, n).div_euclid(1000))
    }

    /// The item numbers created within `from..=to` (whole seconds), possibly empty.
    pub(crate) fn range(self, seed: u64, from: Timestamp, to: Timestamp) -> RangeInclusive<u64> {
        let from_ms = from.since(EPOCH).saturating_mul(1000);
        let to_ms = to.since(EPOCH).saturating_mul(1000).saturating_add(999);
        if to_ms < 0 || to_ms < from_ms {
            return RangeInclusive::new(1, 0);
        }
        let slot_of = |ms: i64| u64::try_from(ms.max(0) / self.slot_ms).unwrap_or(0);
        let mut first = slot_of(from_ms);
        if self.at_ms(seed, first) < from_ms {
            first += 1;
        }
        let mut last = slot_of(to_ms);
        if self.at_ms(seed, last) > to_ms {
            if last == 0 {
                return RangeInclusive::new(1, 0);
            }
            last -= 1;
        }
        RangeInclusive::new(first, last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_hold_exactly_the_items_created_in_the_window() {
        let timeline = Timeline::per_three_years(2_000, 9);
        let seed = 5;
        let from = EPOCH.plus(40 * DAY + 123);
        let to = from.plus(45 * DAY);
        let range = timeline.range(seed, from, to);
        assert!(!range.is_empty());
        for n in range.clone() {
            let at = timeline.at(seed, n);
            assert!(from <= at && at <= to, "{n}");
        }
        let before = *range.start() - 1;
        assert!(timeline.at(seed, before) < from);
        assert!(timeline.at(seed, range.end() + 1) > to);
        // Creation times never decrease.
        let times: Vec<_> = (0..500).map(|n| timeline.at(seed, n)).collect();
        assert!(times.windows(2).all(|pair| pair[0] <= pair[1]));
        assert!(timeline.range(seed, to, from).is_empty());
        assert!(
            timeline
                .range(seed, EPOCH.plus(-DAY), EPOCH.plus(-1))
                .is_empty()
        );
    }

    #[test]
    fn a_scale_is_its_count_over_three_years() {
        let timeline = Timeline::per_three_years(1_000_000, 1);
        let to = EPOCH.plus(THREE_YEARS - 1);
        let count = timeline.range(3, EPOCH, to).count();
        // Slots are whole milliseconds: the count is the scale's, to a few in a million.
        assert!((1_000_000..=1_000_010).contains(&count), "{count}");
    }
}
