//! What `impact sync` tells a person on stderr while it runs: a progress bar per stream on a
//! terminal, one line per finished window otherwise (SPEC 9.1); and the `--plan` table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::{Mutex, MutexGuard};

use impact_sync::{Event, Mode, StreamPlan, StreamReport};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Locks the progress even if a panic poisoned it: it only holds counters.
pub(crate) fn lock(progress: &Mutex<Progress>) -> MutexGuard<'_, Progress> {
    progress.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// Where progress goes.
enum View {
    /// A bar per stream, redrawn in place.
    Bars(MultiProgress),
    /// One line per finished window, for logs and pipes.
    Lines,
}

/// The progress of a sync, fed with the runner's events.
pub(crate) struct Progress {
    view: View,
    bars: BTreeMap<&'static str, ProgressBar>,
    /// Items read and written since the last finished unit, per stream.
    unit: BTreeMap<&'static str, (u64, u64)>,
}

impl Progress {
    /// Bars when stderr is a terminal, lines otherwise.
    pub(crate) fn new() -> Progress {
        let view = if std::io::stderr().is_terminal() {
            View::Bars(MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
        } else {
            View::Lines
        };
        Progress {
            view,
            bars: BTreeMap::new(),
            unit: BTreeMap::new(),
        }
    }

    /// Shows one event of the runner.
    pub(crate) fn event(&mut self, event: &Event) {
        match event {
            Event::RunStarted {
                stream,
                mode,
                units,
                done,
                resumed,
            } => self.started(stream, *mode, *units, *done, *resumed),
            Event::Page {
                stream,
                items,
                written,
                ..
            } => {
                let counts = self.unit.entry(stream).or_default();
                counts.0 += items;
                counts.1 += written;
                if let Some(bar) = self.bars.get(stream) {
                    bar.set_message(format!("{} new or changed", counts.1));
                }
            }
            Event::UnitDone {
                stream,
                unit,
                units,
                window,
                partition,
            } => {
                let (items, written) = self.unit.remove(stream).unwrap_or_default();
                match &self.view {
                    View::Bars(_) => {
                        if let Some(bar) = self.bars.get(stream) {
                            bar.set_position(unit + 1);
                        }
                    }
                    View::Lines => {
                        let mut line = format!("impact sync: {stream} {}/{units}", unit + 1);
                        if !partition.is_empty() {
                            let _ = write!(line, " [{}]", partition.join("/"));
                        }
                        if let Some(window) = window {
                            let _ = write!(line, " {}..{}", window.start(), window.end());
                        }
                        crate::say!("{line}: {items} items, {written} new or changed");
                    }
                }
            }
            Event::Split { stream, window } => crate::say!(
                "impact sync: {stream}: the API refused {}..{} for its size; reading it in halves",
                window.start(),
                window.end()
            ),
            Event::JobRequested { stream, .. } => {
                crate::say!("impact sync: {stream}: export job requested")
            }
            _ => {}
        }
    }

    fn started(&mut self, stream: &'static str, mode: Mode, units: u64, done: u64, resumed: bool) {
        let how = match (mode, resumed) {
            (Mode::Full, false) => "full read",
            (Mode::Incremental, false) => "changes since the last run",
            (Mode::Full, true) => "full read, resumed",
            (Mode::Incremental, true) => "changes since the last run, resumed",
        };
        match &self.view {
            View::Bars(bars) => {
                let bar = bars.add(ProgressBar::new(units));
                let style = ProgressStyle::with_template(
                    "{prefix:>22} {bar:30} {pos}/{len} units {msg} ({elapsed})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style);
                bar.set_prefix(stream);
                bar.set_position(done);
                self.bars.insert(stream, bar);
            }
            View::Lines => crate::say!(
                "impact sync: {stream}: {how}, {units} units{}",
                if resumed {
                    format!(", {done} done before")
                } else {
                    String::new()
                }
            ),
        }
    }

    /// Closes a stream's bar (or line) with what its run did.
    pub(crate) fn stream_ended(&mut self, stream: &str, report: Option<&StreamReport>) {
        let summary = report.map(|report| {
            format!(
                "{}: {} calls, {} new or changed, {} unchanged",
                if report.complete { "done" } else { "paused" },
                report.calls,
                report.written,
                report.unchanged
            )
        });
        match (&self.view, self.bars.remove(stream)) {
            (View::Bars(_), Some(bar)) => match summary {
                Some(summary) => bar.finish_with_message(summary),
                None => bar.abandon_with_message("stopped"),
            },
            _ => {
                if let Some(summary) = summary {
                    crate::say!("impact sync: {stream} {summary}");
                }
            }
        }
    }
}

/// The `--plan` table: per stream the mode, the period, the partitions and windows, the calls
/// at least, and the time the quota needs for them; then per rate-limit group the calls and
/// the time, since groups are counted apart (the run takes about the longest of them).
pub(crate) fn plan_table(plans: &[StreamPlan]) -> String {
    let mut out = format!(
        "{:<22} {:<11} {:<10} {:<10} {:>10} {:>7} {:>7}  {:<18} {:>10}\n",
        "stream", "mode", "from", "until", "partitions", "units", "calls", "group", "quota time"
    );
    let mut groups: BTreeMap<&str, (u64, u32, u32)> = BTreeMap::new();
    for plan in plans {
        let mode = match plan.mode {
            Mode::Full => "full",
            _ => "incremental",
        };
        let _ = writeln!(
            out,
            "{:<22} {:<11} {:<10} {:<10} {:>10} {:>7} {:>7}  {:<18} {:>10}",
            plan.stream,
            mode,
            plan.from.date_string(),
            plan.until.date_string(),
            plan.partitions,
            plan.units,
            plan.min_calls,
            plan.group,
            duration(plan.quota_secs)
        );
        let group =
            groups
                .entry(plan.group)
                .or_insert((0, plan.limit_calls, plan.limit_window_secs));
        group.0 += plan.min_calls;
    }
    for (group, (calls, limit, window)) in groups {
        let secs = calls * u64::from(window) / u64::from(limit.max(1));
        let _ = writeln!(
            out,
            "{group}: {calls} calls at least, {limit} allowed per {window} s: {} of quota",
            duration(secs)
        );
    }
    out
}

/// `1 h 05 min`, `12 min`, `40 s`.
fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3_600 => format!("{} min", secs.div_ceil(60)),
        _ => format!("{} h {:02} min", secs / 3_600, (secs % 3_600).div_ceil(60)),
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_at_a_glance() {
        for (secs, expect) in [
            (0, "0 s"),
            (59, "59 s"),
            (61, "2 min"),
            (1_803, "31 min"),
            (3_600, "1 h 00 min"),
            (3_901, "1 h 06 min"),
        ] {
            assert_eq!(duration(secs), expect, "{secs}");
        }
    }
}
