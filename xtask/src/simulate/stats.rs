//! Mean and 95% confidence interval over seeded runs.

/// The mean of a sample and the half-width of its 95% confidence interval (normal
/// approximation, fine for the 100 or more runs the simulator averages).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Estimate {
    pub(crate) mean: f64,
    pub(crate) ci95: f64,
}

impl Estimate {
    pub(crate) fn of(sample: &[f64]) -> Estimate {
        let n = sample.len() as f64;
        if sample.is_empty() {
            return Estimate {
                mean: f64::NAN,
                ci95: f64::NAN,
            };
        }
        let mean = sample.iter().sum::<f64>() / n;
        let var = if sample.len() > 1 {
            sample.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Estimate {
            mean,
            ci95: 1.96 * (var / n).sqrt(),
        }
    }
}
