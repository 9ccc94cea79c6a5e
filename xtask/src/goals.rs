//! The goals a figure is held to (SPEC 7 and 11), shared by `bench` and `simulate`, so that
//! both print the same verdict and both exit non-zero when a goal is missed.

use std::fmt;

/// A bound a figure must keep, or none when the figure is only recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Goal {
    AtMost(f64),
    // Only the bench (behind its feature) has a strict bound today.
    #[cfg_attr(not(feature = "bench"), allow(dead_code))]
    Below(f64),
    AtLeast(f64),
    Record,
}

impl Goal {
    /// Whether `value` meets the goal; `None` for a figure that is only recorded.
    pub(crate) fn met(self, value: f64) -> Option<bool> {
        match self {
            Goal::AtMost(bound) => Some(value <= bound),
            Goal::Below(bound) => Some(value < bound),
            Goal::AtLeast(bound) => Some(value >= bound),
            Goal::Record => None,
        }
    }
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Goal::AtMost(bound) => write!(f, "<= {bound}"),
            Goal::Below(bound) => write!(f, "< {bound}"),
            Goal::AtLeast(bound) => write!(f, ">= {bound}"),
            Goal::Record => f.write_str("(record)"),
        }
    }
}

/// A figure as measured, beside its goal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Checked {
    pub(crate) figure: String,
    pub(crate) value: f64,
    pub(crate) goal: Goal,
}

impl Checked {
    pub(crate) fn new(figure: impl Into<String>, value: f64, goal: Goal) -> Checked {
        Checked {
            figure: figure.into(),
            value,
            goal,
        }
    }

    /// `yes`, `NO` or `-` (recorded only), for the readable tables.
    pub(crate) fn verdict(&self) -> &'static str {
        match self.goal.met(self.value) {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        }
    }
}

/// The figures that missed their goal, as one line each (`figure = value, goal ...`).
pub(crate) fn missed<'a>(checked: impl IntoIterator<Item = &'a Checked>) -> Vec<String> {
    checked
        .into_iter()
        .filter(|check| check.goal.met(check.value) == Some(false))
        .map(|check| format!("{} = {:.4}, goal {}", check.figure, check.value, check.goal))
        .collect()
}

/// `Ok` when every goal is met; otherwise an error naming each missed figure, so that the
/// command exits non-zero and says which.
pub(crate) fn gate<'a>(
    command: &str,
    checked: impl IntoIterator<Item = &'a Checked>,
) -> Result<(), String> {
    let missed = missed(checked);
    if missed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{command}: {} goal(s) missed:\n  {}",
            missed.len(),
            missed.join("\n  ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(goal: Goal, value: f64, expect: Option<bool>) {
        assert_eq!(goal.met(value), expect, "{value} against {goal}");
    }

    #[test]
    fn goals_hold_their_bounds() {
        check(Goal::AtMost(1.05), 1.05, Some(true));
        check(Goal::AtMost(1.05), 1.0501, Some(false));
        check(Goal::Below(1000.0), 1000.0, Some(false));
        check(Goal::Below(1000.0), 999.9, Some(true));
        check(Goal::AtLeast(0.95), 0.95, Some(true));
        check(Goal::AtLeast(0.95), 0.9499, Some(false));
        check(Goal::Record, f64::NAN, None);
        // A figure that could not be measured never passes a bound.
        check(Goal::AtMost(1.0), f64::NAN, Some(false));
        check(Goal::AtLeast(0.0), f64::NAN, Some(false));
    }

    #[test]
    fn the_gate_names_every_missed_figure_and_only_those() {
        let figures = [
            Checked::new("a", 1.0, Goal::AtMost(2.0)),
            Checked::new("b", 3.0, Goal::AtMost(2.0)),
            Checked::new("c", 0.5, Goal::AtLeast(0.95)),
            Checked::new("d", 9.0, Goal::Record),
        ];
        let error = gate("simulate", &figures).expect_err("two goals are missed");
        assert!(error.starts_with("simulate: 2 goal(s) missed:"), "{error}");
        assert!(error.contains("b = 3.0000, goal <= 2"), "{error}");
        assert!(error.contains("c = 0.5000, goal >= 0.95"), "{error}");
        assert!(!error.contains("a ="), "{error}");
        assert!(!error.contains("d ="), "{error}");
        assert_eq!(gate("simulate", &figures[..1]), Ok(()));
        assert_eq!(figures[1].verdict(), "NO");
        assert_eq!(figures[3].verdict(), "-");
    }
}
