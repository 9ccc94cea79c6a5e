//! Medians, calibration and the A B A B interleaving every comparison of the bench uses.

use std::time::{Duration, Instant};

/// The median of some samples (the upper middle one for an even count); `NaN` when empty.
pub(crate) fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Both sides of an interleaved comparison: one sample per repetition of each side.
#[derive(Debug, Clone, Default)]
pub(crate) struct Paired {
    pub(crate) ours: Vec<f64>,
    pub(crate) baseline: Vec<f64>,
}

impl Paired {
    /// Runs `pairs` repetitions of each side, interleaved so that a slow phase of a noisy
    /// machine hits both sides alike, and in the order A B B A A B ... so that neither side
    /// always runs first.
    pub(crate) fn interleave(
        pairs: usize,
        mut ours: impl FnMut() -> Result<f64, String>,
        mut baseline: impl FnMut() -> Result<f64, String>,
    ) -> Result<Paired, String> {
        let mut paired = Paired::default();
        for pair in 0..pairs {
            if pair % 2 == 0 {
                paired.ours.push(ours()?);
                paired.baseline.push(baseline()?);
            } else {
                paired.baseline.push(baseline()?);
                paired.ours.push(ours()?);
            }
        }
        Ok(paired)
    }

    /// The median of our samples.
    pub(crate) fn ours_median(&self) -> f64 {
        median(&self.ours)
    }

    /// The median of the baseline's samples.
    pub(crate) fn baseline_median(&self) -> f64 {
        median(&self.baseline)
    }

    /// The median of the per-pair ratios ours / baseline: each ratio compares two samples
    /// taken back to back, which cancels slow drifts of the machine.
    pub(crate) fn ratio_median(&self) -> f64 {
        let ratios: Vec<f64> = self
            .ours
            .iter()
            .zip(&self.baseline)
            .map(|(ours, baseline)| ours / baseline)
            .collect();
        median(&ratios)
    }
}

/// How many calls of `f` take about `target`: doubles the count until a batch takes at least
/// a tenth of the target, then scales. Always at least one.
pub(crate) fn calibrate(target: Duration, mut f: impl FnMut()) -> u64 {
    calibrate_batches(target, |count| {
        let started = Instant::now();
        for _ in 0..count {
            f();
        }
        started.elapsed()
    })
}

/// [`calibrate`] over `batch`, which runs that many calls and says how long they took (a clock
/// of the caller's, so that the arithmetic can be tested without timing anything).
fn calibrate_batches(target: Duration, mut batch: impl FnMut(u64) -> Duration) -> u64 {
    let floor = target / 10;
    let mut count: u64 = 1;
    loop {
        let elapsed = batch(count);
        if elapsed >= floor || count >= 1 << 40 {
            let per_call = elapsed.as_secs_f64() / count as f64;
            let wanted = target.as_secs_f64() / per_call.max(1e-12);
            return (wanted as u64).max(1);
        }
        count *= 2;
    }
}

/// Nanoseconds per call of `f` over `iterations` calls.
pub(crate) fn time_per_call_ns(iterations: u64, mut f: impl FnMut()) -> f64 {
    let started = Instant::now();
    for _ in 0..iterations {
        f();
    }
    started.elapsed().as_nanos() as f64 / iterations.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ours: &[f64], baseline: &[f64], expect: (f64, f64, f64)) {
        let paired = Paired {
            ours: ours.to_vec(),
            baseline: baseline.to_vec(),
        };
        assert_eq!(
            (
                paired.ours_median(),
                paired.baseline_median(),
                paired.ratio_median()
            ),
            expect
        );
    }

    #[test]
    fn medians_and_the_median_of_ratios() {
        check(&[1.0, 3.0, 2.0], &[2.0, 2.0, 2.0], (2.0, 2.0, 1.0));
        // The median of ratios is not the ratio of medians: pairs are compared as taken.
        check(&[10.0, 1.0, 4.0], &[5.0, 1.0, 8.0], (4.0, 5.0, 1.0));
        check(&[2.0, 4.0], &[1.0, 1.0], (4.0, 1.0, 4.0));
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn interleaving_alternates_the_sides_and_their_order() {
        let order = std::cell::RefCell::new(String::new());
        let paired = Paired::interleave(
            3,
            || {
                order.borrow_mut().push('A');
                Ok(1.0)
            },
            || {
                order.borrow_mut().push('B');
                Ok(2.0)
            },
        )
        .unwrap();
        assert_eq!(order.into_inner(), "ABBAAB");
        assert_eq!(paired.ratio_median(), 0.5);
    }

    #[test]
    fn calibration_scales_to_the_target() {
        // Calls of a fixed virtual cost: batches double until one takes 2 ms (a tenth of the
        // target), then the count scales to the whole target.
        let check = |per_call_us: u64, expect_count: u64, expect_batches: &[u64]| {
            let mut batches = Vec::new();
            let count = calibrate_batches(Duration::from_millis(20), |count| {
                batches.push(count);
                Duration::from_micros(per_call_us * count)
            });
            assert_eq!((count, batches.as_slice()), (expect_count, expect_batches));
        };
        check(200, 100, &[1, 2, 4, 8, 16]);
        check(30_000, 1, &[1]);
        check(
            1,
            20_000,
            &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048],
        );
    }
}
