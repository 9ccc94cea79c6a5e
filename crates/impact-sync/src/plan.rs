//! The planner: a stream and a period become units of work (a filter, a partition, a window of
//! at most the API's limit), read in a fixed order at the largest page size the API allows;
//! and the figures `--plan` prints: calls per stream and the time the quota needs for them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::SyncError;
use crate::state::{Mode, RunState, StreamState};
use crate::stream::{DateFilter, Read, StreamSpec};
use crate::time::{DAY, Timestamp};

/// How far back the API serves event-level data: three years, counted as 3 × 365 days (never
/// earlier than three calendar years), plus a day of margin for the server's clock and for a
/// run resumed later.
pub const FLOOR_DAYS: i64 = 3 * 365 - 1;

/// The earliest start the API accepts at `now`.
///
/// ```
/// use impact_sync::{Timestamp, plan::floor};
///
/// let now: Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
/// assert_eq!(floor(now).to_string(), "2022-06-03T12:00:00Z");
/// ```
pub fn floor(now: Timestamp) -> Timestamp {
    now.add_days(-FLOOR_DAYS)
}

/// A period of a date filter, both ends included (the API's filters are "on or after" and
/// "on or before"): consecutive windows share their boundary second, so an item stamped
/// exactly there is read twice and stored once, and none falls between two windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub(crate) start: Timestamp,
    pub(crate) end: Timestamp,
}

impl Window {
    /// A window from `start` to `end`; `None` when `end` is before `start`.
    pub fn new(start: Timestamp, end: Timestamp) -> Option<Window> {
        (start <= end).then_some(Window { start, end })
    }

    /// The first instant.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The last instant.
    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// The two halves of a window the API refused for its size, or `None` when it is too short
    /// to split (two seconds or less).
    pub fn halves(&self) -> Option<(Window, Window)> {
        let length = self.end.secs_since(self.start);
        if length < 2 {
            return None;
        }
        let middle = self.start.add_secs(length / 2);
        Some((
            Window {
                start: self.start,
                end: middle,
            },
            Window {
                start: middle,
                end: self.end,
            },
        ))
    }

    /// Consecutive windows of at most `days` days covering `start` to `end` (none when `end`
    /// is before `start`; one of no length when they are equal).
    pub fn cover(start: Timestamp, end: Timestamp, days: u32) -> impl Iterator<Item = Window> {
        let step = i64::from(days.max(1)) * DAY;
        let count = window_count(start, end, days);
        (0..count).map(move |index| {
            let window_start = start.add_secs(step * index as i64);
            Window {
                start: window_start,
                end: window_start.add_secs(step).min(end),
            }
        })
    }
}

fn window_count(start: Timestamp, end: Timestamp, days: u32) -> u64 {
    let length = end.secs_since(start);
    if length < 0 {
        return 0;
    }
    let step = i64::from(days.max(1)) * DAY;
    u64::try_from((length + step - 1) / step)
        .unwrap_or(0)
        .max(1)
}

/// What the caller may choose about a sync; everything else comes from the stream table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncOptions {
    pub(crate) start: Option<Timestamp>,
    pub(crate) lookback_days: Option<u32>,
    pub(crate) window_days: Option<u32>,
    pub(crate) page_size: Option<u32>,
    pub(crate) reports: Vec<String>,
}

impl SyncOptions {
    /// The defaults: from the API's floor, each stream's own lookback, the largest windows and
    /// pages the API allows.
    pub fn new() -> SyncOptions {
        SyncOptions::default()
    }

    /// The first instant of the first run (default: three years back, the API's floor).
    /// Earlier starts are moved up to the floor, which the API enforces.
    pub fn start(mut self, start: Timestamp) -> SyncOptions {
        self.start = Some(start);
        self
    }

    /// How far before the end of the last complete run an incremental run starts, in days
    /// (default: the stream's own, from the table).
    pub fn lookback_days(mut self, days: u32) -> SyncOptions {
        self.lookback_days = Some(days);
        self
    }

    /// The length of date windows, in days, at most each filter's limit (default: the limit).
    pub fn window_days(mut self, days: u32) -> SyncOptions {
        self.window_days = Some(days);
        self
    }

    /// The page size, kept within what each list accepts (default: the largest).
    pub fn page_size(mut self, size: u32) -> SyncOptions {
        self.page_size = Some(size);
        self
    }

    /// The report handles an export stream (`ReportExport`) exports, one partition each.
    pub fn reports<I, S>(mut self, handles: I) -> SyncOptions
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.reports = handles.into_iter().map(Into::into).collect();
        self
    }

    /// The report handles.
    pub fn report_handles(&self) -> &[String] {
        &self.reports
    }
}

/// The filters a run of this mode reads, in order: none for a full read.
pub(crate) fn filters(spec: &StreamSpec, mode: Mode) -> &[DateFilter] {
    match (&spec.read, mode) {
        (Read::Windowed { changes, .. }, Mode::Incremental) => changes,
        (Read::Windowed { initial, .. }, Mode::Full) => std::slice::from_ref(initial),
        (Read::Export { filter }, _) => std::slice::from_ref(filter),
        (Read::Full | Read::Single, _) => &[],
    }
}

/// Starts a run of `spec` at `now` over `partitions`, given the stream's last state.
pub(crate) fn begin_run(
    spec: &StreamSpec,
    state: &StreamState,
    options: &SyncOptions,
    now: Timestamp,
    partitions: Vec<Vec<String>>,
) -> Result<RunState, SyncError> {
    let start = match options.start {
        Some(start) if start > now => {
            return Err(SyncError::options(format!(
                "the start date {start} is after now ({now})"
            )));
        }
        Some(start) => start.max(floor(now)),
        None => floor(now),
    };
    let windowed = matches!(spec.read, Read::Windowed { .. } | Read::Export { .. });
    let (mode, from) = match state.synced_until {
        Some(until) if windowed => {
            let lookback = options.lookback_days.unwrap_or(spec.lookback_days);
            let from = until.add_days(-i64::from(lookback));
            (Mode::Incremental, from.max(start))
        }
        _ => (Mode::Full, start),
    };
    // Export windows lie on a fixed grid of the filter's length (counted from the Unix
    // epoch), whatever the options: every run cuts the same windows, so a window exported
    // again keeps the keys its rows had.
    let (from, window_days) = match spec.read {
        Read::Export { filter } => {
            let step = i64::from(filter.max_days.max(1)) * DAY;
            let aligned = Timestamp::from_unix(from.unix().div_euclid(step) * step);
            (aligned, u32::MAX)
        }
        _ => (from, options.window_days.unwrap_or(u32::MAX).max(1)),
    };
    let page_size = spec.page_size.map(|size| {
        options
            .page_size
            .unwrap_or(size.max)
            .clamp(size.min, size.max)
    });
    Ok(RunState {
        mode,
        from,
        until: now,
        window_days,
        page_size,
        partitions,
        unit: 0,
        pieces: Vec::new(),
        next_page: None,
        job: None,
        pages: 0,
    })
}

/// One unit of work: a filter (or none, for a full read), a partition and a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The date filter and the window read through it; `None` for a full read.
    pub filter: Option<(DateFilter, Window)>,
    /// The values of the fan-out dimensions (empty without fan-out).
    pub partition: Vec<String>,
}

/// A run's units in their fixed order: for each filter, for each partition, each window
/// oldest first.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    spec: &'a StreamSpec,
    run: &'a RunState,
}

impl<'a> Plan<'a> {
    /// The plan of a run.
    pub fn new(spec: &'a StreamSpec, run: &'a RunState) -> Plan<'a> {
        Plan { spec, run }
    }

    fn days(&self, filter: &DateFilter) -> u32 {
        self.run.window_days.min(filter.max_days)
    }

    fn windows_of(&self, filter: &DateFilter) -> u64 {
        window_count(self.run.from, self.run.until, self.days(filter))
    }

    /// How many units the plan has.
    pub fn len(&self) -> u64 {
        let partitions = self.run.partitions.len() as u64;
        let filters = filters(self.spec, self.run.mode);
        if filters.is_empty() {
            return partitions;
        }
        filters
            .iter()
            .map(|filter| partitions * self.windows_of(filter))
            .sum()
    }

    /// Whether the plan has no unit (a fan-out over an empty parent list).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The unit at `index`, if the plan has that many.
    pub fn unit(&self, index: u64) -> Option<Unit> {
        let partitions = &self.run.partitions;
        let filters = filters(self.spec, self.run.mode);
        if filters.is_empty() {
            let partition = partitions.get(usize::try_from(index).ok()?)?;
            return Some(Unit {
                filter: None,
                partition: partition.clone(),
            });
        }
        let mut index = index;
        for filter in filters {
            let windows = self.windows_of(filter);
            let size = windows * partitions.len() as u64;
            if index < size {
                let partition = partitions.get(usize::try_from(index / windows).ok()?)?;
                let window = Window::cover(self.run.from, self.run.until, self.days(filter))
                    .nth(usize::try_from(index % windows).ok()?)?;
                return Some(Unit {
                    filter: Some((*filter, window)),
                    partition: partition.clone(),
                });
            }
            index -= size;
        }
        None
    }
}

/// What `--plan` prints for one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamPlan {
    /// The stream.
    pub stream: &'static str,
    /// A full read or an incremental one.
    pub mode: Mode,
    /// The period read.
    pub from: Timestamp,
    /// The end of the period.
    pub until: Timestamp,
    /// Partitions (1 without fan-out).
    pub partitions: u64,
    /// Units of work: partitions × windows, per filter.
    pub units: u64,
    /// Calls to discover the partitions (a read of each parent list).
    pub discovery_calls: u64,
    /// The fewest calls the run can make: one page per unit (three per export job: request,
    /// status, download), plus discovery. Windows with more items than a page take more.
    pub min_calls: u64,
    /// The rate-limit group the calls count against.
    pub group: &'static str,
    /// That group's documented limit: calls per window...
    pub limit_calls: u32,
    /// ...of this many seconds (3,600, or 86,400 for the daily export limit).
    pub limit_window_secs: u32,
    /// The time the group's quota needs for `min_calls`, in whole seconds, when nothing else
    /// spends it.
    pub quota_secs: u64,
}

impl StreamPlan {
    /// The plan of the next run of `spec`, given its state, at `now`, with `partitions`
    /// partitions (as discovered) and `discovery_calls` calls to discover them.
    pub fn of(
        spec: &'static StreamSpec,
        state: &StreamState,
        options: &SyncOptions,
        now: Timestamp,
        partitions: u64,
        discovery_calls: u64,
    ) -> Result<StreamPlan, SyncError> {
        let run = match &state.run {
            Some(run) => run.clone(),
            None => {
                let placeholder = vec![Vec::new(); usize::try_from(partitions).unwrap_or(0)];
                begin_run(spec, state, options, now, placeholder)?
            }
        };
        let plan = Plan::new(spec, &run);
        let units = plan.len().saturating_sub(run.unit);
        let per_unit = if matches!(spec.read, Read::Export { .. }) {
            3
        } else {
            1
        };
        let min_calls = units * per_unit + discovery_calls;
        let group = spec.group;
        let (limit_calls, limit_window_secs) = group.limit();
        let quota = Duration::from_secs(u64::from(limit_window_secs))
            * u32::try_from(min_calls).unwrap_or(u32::MAX)
            / limit_calls;
        Ok(StreamPlan {
            stream: spec.name,
            mode: run.mode,
            from: run.from,
            until: run.until,
            partitions: run.partitions.len() as u64,
            units,
            discovery_calls,
            min_calls,
            group: group.as_str(),
            limit_calls,
            limit_window_secs,
            quota_secs: quota.as_secs(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use impact_client::ApiKind;
    use proptest::prelude::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a test date")
    }

    fn spec(api: ApiKind, name: &str) -> &'static StreamSpec {
        StreamSpec::find(api, name).expect("a stream of the table")
    }

    proptest! {
        /// Windows cover the period without a gap, each within the limit, consecutive ones
        /// sharing their boundary second.
        #[test]
        fn windows_cover_the_period(start in 0i64..2_000_000_000, length in 0i64..200_000_000, days in 1u32..100) {
            let (start, end) = (Timestamp::from_unix(start), Timestamp::from_unix(start + length));
            let windows: Vec<Window> = Window::cover(start, end, days).collect();
            prop_assert_eq!(windows.len() as u64, window_count(start, end, days));
            prop_assert_eq!(windows.first().map(|w| w.start), Some(start));
            prop_assert_eq!(windows.last().map(|w| w.end), Some(end));
            for pair in windows.windows(2) {
                prop_assert_eq!(pair[0].end, pair[1].start);
            }
            for window in &windows {
                prop_assert!(window.start <= window.end);
                prop_assert!(window.end.secs_since(window.start) <= i64::from(days) * DAY);
            }
        }

        /// Halves of a window cover it, share the middle and are each shorter.
        #[test]
        fn halves_cover_the_window(start in 0i64..2_000_000_000, length in 0i64..10_000_000) {
            let window = Window { start: Timestamp::from_unix(start), end: Timestamp::from_unix(start + length) };
            match window.halves() {
                None => prop_assert!(length < 2),
                Some((first, second)) => {
                    prop_assert_eq!(first.start, window.start);
                    prop_assert_eq!(second.end, window.end);
                    prop_assert_eq!(first.end, second.start);
                    prop_assert!(first.end.secs_since(first.start) < length);
                    prop_assert!(second.end.secs_since(second.start) < length);
                }
            }
        }
    }

    /// Plans `stream` of `api` at 2025-06-01 and checks its mode, the start of its period, its
    /// units and its fewest calls.
    fn check_plan(
        (api, stream): (ApiKind, &str),
        state: &StreamState,
        options: &SyncOptions,
        partitions: u64,
        expect: (Mode, &str, u64, u64),
    ) {
        let spec = spec(api, stream);
        let discovery = u64::from(!spec.fan_out.is_empty() && partitions > 1);
        let now = at("2025-06-01T00:00:00Z");
        let plan =
            StreamPlan::of(spec, state, options, now, partitions, discovery).expect("a plan");
        let found = (plan.mode, plan.from.to_string(), plan.units, plan.min_calls);
        let (mode, from, units, calls) = expect;
        assert_eq!(
            found,
            (mode, from.to_owned(), units, calls),
            "{api:?} {stream}"
        );
    }

    /// A table of plans: stream, state, options and partitions give the mode, the period, the
    /// units and the fewest calls.
    #[test]
    fn plans_runs_from_the_table() {
        let fresh = StreamState::default();
        let synced = StreamState {
            synced_until: Some(at("2025-05-31T00:00:00Z")),
            run: None,
            pass: None,
        };
        let defaults = SyncOptions::new();
        let floor = "2022-06-03T00:00:00Z";
        let (partner, brand) = (ApiKind::Partner, ApiKind::Brand);
        // Three years of partner actions: 1,094 days in 45-day windows.
        check_plan(
            (partner, "Actions"),
            &fresh,
            &defaults,
            1,
            (Mode::Full, floor, 25, 25),
        );
        // Brand actions fan out over 20 campaigns, plus the campaign list.
        check_plan(
            (brand, "Actions"),
            &fresh,
            &defaults,
            20,
            (Mode::Full, floor, 500, 501),
        );
        // A daily incremental run: 88 days of lookback and one since the last run make two
        // windows, for each of three filters.
        let since = (Mode::Incremental, "2025-03-04T00:00:00Z", 6, 6);
        check_plan((partner, "Actions"), &synced, &defaults, 1, since);
        let ten_days = SyncOptions::new().lookback_days(10);
        let since = (Mode::Incremental, "2025-05-21T00:00:00Z", 3, 3);
        check_plan((partner, "Actions"), &synced, &ten_days, 1, since);
        // A start before the floor is moved to the floor; 10-day windows.
        let early = SyncOptions::new().start(at("2020-01-01")).window_days(10);
        let updates = (Mode::Full, floor, 110, 110);
        check_plan((partner, "ActionUpdates"), &fresh, &early, 1, updates);
        // Full-read lists are read whole every run.
        check_plan(
            (partner, "Campaigns"),
            &synced,
            &defaults,
            1,
            (Mode::Full, floor, 1, 1),
        );
        // Contracts: 20 campaigns × 5 statuses.
        let contracts = (Mode::Full, floor, 100, 101);
        check_plan((brand, "Contracts"), &fresh, &defaults, 100, contracts);
        // An export job per 31-day window of one report (request, status, download), the
        // windows on a grid of 31 days from the epoch.
        let this_year = SyncOptions::new().start(at("2025-01-01"));
        let jobs = (Mode::Full, "2024-12-31T00:00:00Z", 5, 15);
        check_plan((partner, "ReportExport"), &fresh, &this_year, 1, jobs);
    }

    #[test]
    fn the_quota_time_follows_the_group() {
        let now = at("2025-06-01T00:00:00Z");
        let cases = [
            // 501 calls of the Brand's 1,000 an hour.
            (ApiKind::Brand, "Actions", 20, 1, "other", 1803),
            // 25 calls of the Partner's 500 an hour for performance detail.
            (ApiKind::Partner, "Actions", 1, 0, "performance_detail", 180),
        ];
        for (api, stream, partitions, discovery, group, secs) in cases {
            let plan = StreamPlan::of(
                spec(api, stream),
                &StreamState::default(),
                &SyncOptions::new(),
                now,
                partitions,
                discovery,
            )
            .expect("a plan");
            assert_eq!(
                (plan.group, plan.quota_secs),
                (group, secs),
                "{api:?} {stream}"
            );
        }
    }

    #[test]
    fn refuses_a_start_in_the_future() {
        let spec = spec(ApiKind::Partner, "Actions");
        let now = at("2025-06-01T00:00:00Z");
        let options = SyncOptions::new().start(at("2025-07-01"));
        let error = begin_run(spec, &StreamState::default(), &options, now, vec![vec![]])
            .expect_err("a start after now");
        assert!(error.is_invalid_options());
    }

    /// Every index below the plan's length names a unit, in filter, partition, window order;
    /// none beyond it.
    #[test]
    fn units_are_indexed_in_order() {
        let spec = spec(ApiKind::Brand, "Actions");
        let state = StreamState {
            synced_until: Some(at("2025-05-01T00:00:00Z")),
            run: None,
            pass: None,
        };
        let partitions = vec![vec!["1000".to_owned()], vec!["1001".to_owned()]];
        let run = begin_run(
            spec,
            &state,
            &SyncOptions::new().lookback_days(50),
            at("2025-06-01T00:00:00Z"),
            partitions,
        )
        .expect("a run");
        let plan = Plan::new(spec, &run);
        // 81 days: two windows per partition per filter; three filters; two partitions.
        assert_eq!(plan.len(), 12);
        let rendered: Vec<String> = (0..plan.len())
            .map(|index| {
                let unit = plan.unit(index).expect("a unit");
                let (filter, window) = unit.filter.expect("a filter");
                format!(
                    "{} {} {}..{}",
                    filter.start_param(),
                    unit.partition.join("/"),
                    window.start.date_string(),
                    window.end.date_string()
                )
            })
            .collect();
        assert_eq!(
            rendered[..4],
            [
                "StartDate 1000 2025-03-12..2025-04-26",
                "StartDate 1000 2025-04-26..2025-06-01",
                "StartDate 1001 2025-03-12..2025-04-26",
                "StartDate 1001 2025-04-26..2025-06-01",
            ]
        );
        assert!(rendered[4].starts_with("LockingDateStart 1000"));
        assert!(rendered[8].starts_with("ActionDateStart 1000"));
        assert!(plan.unit(12).is_none());
    }
}
