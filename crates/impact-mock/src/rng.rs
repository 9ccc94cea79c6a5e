//! Deterministic draws: every value of the world is a pure function of the seed and where it
//! sits (resource, item number, attribute), so any item can be made again without the others.

/// SplitMix64's finaliser: a fast, well-mixed bijection of 64-bit values.
pub(crate) const fn mix(mut value: u64) -> u64 {
    value = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    value ^ (value >> 31)
}

/// A stable 64-bit tag of a name (FNV-1a), to key draws by resource or attribute name.
pub(crate) const fn tag(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut hash = 0xCBF2_9CE4_8422_2325u64;
    let mut index = 0;
    while index < bytes.len() {
        hash ^= bytes[index] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01B3);
        index += 1;
    }
    hash
}

/// A stream of draws for one thing of the world.
///
/// Two draws made from equal keys give equal sequences, whatever else was drawn before.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Draw {
    state: u64,
}

impl Draw {
    /// The draws of `key` under `seed`.
    pub(crate) const fn new(seed: u64, key: u64) -> Draw {
        Draw {
            state: mix(seed ^ mix(key)),
        }
    }

    /// A sub-stream, for a part of this thing (an attribute, a line item).
    pub(crate) const fn fork(self, key: u64) -> Draw {
        Draw {
            state: mix(self.state ^ mix(key.wrapping_add(0x5851_F42D_4C95_7F2D))),
        }
    }

    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// A number in `0..bound` (0 when `bound` is 0), without modulo bias worth measuring.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        ((u128::from(self.next()) * u128::from(bound)) >> 64) as u64
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = high.abs_diff(low).saturating_add(1);
        low.saturating_add_unsigned(self.below(span))
    }

    /// True with a chance of `percent` in 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `choices` (the empty string when there are none).
    pub(crate) fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        let index = self.below(choices.len() as u64);
        choices
            .get(usize::try_from(index).unwrap_or(0))
            .copied()
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_reproducible_and_in_range() {
        let mut a = Draw::new(1, 42);
        let mut b = Draw::new(1, 42);
        for _ in 0..1000 {
            let x = a.between(-5, 5);
            assert_eq!(x, b.between(-5, 5));
            assert!((-5..=5).contains(&x));
        }
        assert_ne!(Draw::new(1, 42).next(), Draw::new(2, 42).next());
        assert_ne!(Draw::new(1, 42).next(), Draw::new(1, 43).next());
        assert_eq!(Draw::new(1, 2).below(0), 0);
        assert_eq!(Draw::new(1, 2).pick(&[]), "");
        assert_eq!(tag("Actions"), tag("Actions"));
        assert_ne!(tag("Actions"), tag("Action"));
    }

    #[test]
    fn chances_are_roughly_fair() {
        let mut draw = Draw::new(7, 7);
        let hits = (0..10_000).filter(|_| draw.chance(25)).count();
        assert!((2_200..2_800).contains(&hits), "{hits}");
    }
}
