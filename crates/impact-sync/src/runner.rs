//! The runner: reads a stream's units page by page through a [`Source`], and commits each
//! page's rows with the checkpoint that says the page is done.
//!
//! A stream's run, as a state machine over its committed [`StreamState`]:
//! 1. No run in progress: discover the partitions (the parent lists of its fan-out), fix the
//!    period (`from`, `until` = now) and the plan's parameters, and commit that run before
//!    any read, so that a restart finishes the same plan.
//! 2. A unit in progress: read its next page (its first one, or the page link recorded), and
//!    commit the page's rows with the checkpoint moved past it: the next page link, or the
//!    next piece or unit when the link is empty. A crash costs at most the page in flight.
//! 3. A window refused for its size: replace it by its two halves (recorded as pieces) and
//!    read them; a window too short to split ends the run with the API's error. Nothing is
//!    ever skipped.
//! 4. An export unit: request the job once and commit its ticket before polling; poll the
//!    ticket (after a restart too) until the job is done, download, commit the rows.
//! 5. Every unit done: commit `synced_until = until` and no run. The next run is incremental
//!    from there, less the lookback.
//!
//! Errors of the client (a rate limit beyond the allowed wait above all) end the run with the
//! client's error; everything committed stays, and the next run resumes.

use std::time::Duration;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::SyncError;
use crate::plan::{self, Plan, StreamPlan, SyncOptions, Unit, Window, begin_run};
use crate::raw;
use crate::source::{Answer, FetchError, Source};
use crate::state::{JobTicket, Mode, Pass, RunState, StreamState};
use crate::store::{Batch, Committed, Row, Store, key_of};
use crate::stream::{DateFilter, DateForm, FanOut, Key, Read, StreamSpec, streams};
use crate::time::{DAY, Timestamp};

mod pass;

pub use pass::PassStart;

/// How often an export job is polled while it runs.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(10);

/// Something the runner did, for progress bars and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A run started (or resumed: `resumed` is true) with `units` units.
    RunStarted {
        /// The stream.
        stream: &'static str,
        /// Full or incremental.
        mode: Mode,
        /// Units in the plan.
        units: u64,
        /// Units already done (resumed runs).
        done: u64,
        /// Whether a run stopped earlier is resumed.
        resumed: bool,
    },
    /// A page was committed.
    Page {
        /// The stream.
        stream: &'static str,
        /// The unit it belongs to.
        unit: u64,
        /// Items on the page.
        items: u64,
        /// New or changed items written.
        written: u64,
    },
    /// A unit (a window of a partition, or a whole list) was read to its end.
    UnitDone {
        /// The stream.
        stream: &'static str,
        /// Its index.
        unit: u64,
        /// Units in the plan.
        units: u64,
        /// Its window, if it has one.
        window: Option<Window>,
        /// Its partition.
        partition: Vec<String>,
    },
    /// A window was refused for its size and split in two.
    Split {
        /// The stream.
        stream: &'static str,
        /// The window refused.
        window: Window,
    },
    /// An export job was requested.
    JobRequested {
        /// The stream.
        stream: &'static str,
        /// Where it is polled.
        status_uri: String,
    },
}

/// What one stream's sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamReport {
    /// The stream.
    pub stream: &'static str,
    /// Whether the run read everything or only changes.
    pub mode: Mode,
    /// Whether the run finished (`false`: it stopped at the call limit; run again to go on).
    pub complete: bool,
    /// Whether a run stopped earlier was resumed.
    pub resumed: bool,
    /// Calls made, discovery and job polls included.
    pub calls: u64,
    /// Pages committed.
    pub pages: u64,
    /// New or changed items written.
    pub written: u64,
    /// Items read that the store already held unchanged.
    pub unchanged: u64,
    /// Windows split because the API refused them for size.
    pub splits: u64,
}

/// Reads streams from a [`Source`] into a [`Store`].
pub struct Runner<S, St> {
    source: S,
    store: St,
    options: SyncOptions,
    max_calls: Option<u64>,
    poll_interval: Duration,
    calls: u64,
    on_event: Option<EventCallback>,
    /// The pass of the stream being synced, written into each of its checkpoints.
    pass: Option<Pass>,
}

/// What [`Runner::on_event`] keeps.
type EventCallback = Box<dyn FnMut(&Event) + Send>;

impl<S: Source, St: Store> Runner<S, St> {
    /// A runner with the default options.
    pub fn new(source: S, store: St) -> Runner<S, St> {
        Runner {
            source,
            store,
            options: SyncOptions::new(),
            max_calls: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
            calls: 0,
            on_event: None,
            pass: None,
        }
    }

    /// The period, lookback, window and page options.
    pub fn options(mut self, options: SyncOptions) -> Runner<S, St> {
        self.options = options;
        self
    }

    /// Stops (resumably) once this many calls were made by this runner.
    pub fn max_calls(mut self, calls: u64) -> Runner<S, St> {
        self.max_calls = Some(calls);
        self
    }

    /// How long to wait between polls of an export job.
    pub fn poll_interval(mut self, interval: Duration) -> Runner<S, St> {
        self.poll_interval = interval;
        self
    }

    /// Calls `callback` with every [`Event`].
    pub fn on_event(mut self, callback: impl FnMut(&Event) + Send + 'static) -> Runner<S, St> {
        self.on_event = Some(Box::new(callback));
        self
    }

    /// The store.
    pub fn store(&mut self) -> &mut St {
        &mut self.store
    }

    /// The store, giving up the runner.
    pub fn into_store(self) -> St {
        self.store
    }

    /// Calls made so far by this runner.
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// The plan of the next run of `spec` (what `impact sync --plan` prints): the run in
    /// progress as recorded, or a new run over the partitions discovered now (the parent lists
    /// are read: those are the only calls made). Nothing is committed.
    pub async fn plan(&mut self, spec: &'static StreamSpec) -> Result<StreamPlan, SyncError> {
        let state = self.store.state(spec.name);
        let calls_before = self.calls;
        let partitions = match &state.run {
            Some(run) => run.partitions.len() as u64,
            None => self.partitions(spec).await?.len() as u64,
        };
        let discovery = self.calls - calls_before;
        StreamPlan::of(
            spec,
            &state,
            &self.options,
            self.source.now(),
            partitions,
            discovery,
        )
        .map_err(|error| error.in_stream(spec.name))
    }

    /// Syncs one stream: resumes its run if one was stopped, else starts one, and reads it to
    /// the end (or to the call limit).
    pub async fn sync(&mut self, spec: &'static StreamSpec) -> Result<StreamReport, SyncError> {
        self.sync_stream(spec)
            .await
            .map_err(|error| error.in_stream(spec.name))
    }

    async fn sync_stream(&mut self, spec: &'static StreamSpec) -> Result<StreamReport, SyncError> {
        let calls_before = self.calls;
        let state = self.store.state(spec.name);
        let synced_until = state.synced_until;
        let resumed = state.run.is_some();
        self.pass = state.pass;
        let mut run = match state.run {
            Some(run) => run,
            None => {
                let partitions = self.partitions(spec).await?;
                let run = begin_run(spec, &state, &self.options, self.source.now(), partitions)?;
                // The plan is committed before any read, so that a restart finishes it.
                self.commit_run(spec, synced_until, &run, &[])?;
                run
            }
        };
        let units = Plan::new(spec, &run).len();
        self.emit(Event::RunStarted {
            stream: spec.name,
            mode: run.mode,
            units,
            done: run.unit.min(units),
            resumed,
        });
        let mut report = StreamReport {
            stream: spec.name,
            mode: run.mode,
            complete: false,
            resumed,
            calls: 0,
            pages: 0,
            written: 0,
            unchanged: 0,
            splits: 0,
        };
        let read = self
            .read_units(spec, synced_until, &mut run, &mut report)
            .await;
        report.calls = self.calls - calls_before;
        read.map(|()| report)
    }

    /// Reads units until the plan is done (then commits the end of the run) or the call limit
    /// is reached.
    async fn read_units(
        &mut self,
        spec: &'static StreamSpec,
        synced_until: Option<Timestamp>,
        run: &mut RunState,
        report: &mut StreamReport,
    ) -> Result<(), SyncError> {
        loop {
            let Some(unit) = Plan::new(spec, run).unit(run.unit) else {
                if let Some(pass) = &mut self.pass {
                    pass.done = true;
                }
                let done = StreamState {
                    synced_until: Some(run.until),
                    run: None,
                    pass: self.pass,
                };
                // The end of the run and the stream's end in its pass are one commit: a
                // restart never reads a finished stream again.
                self.commit(spec, &[], &done)?;
                report.complete = true;
                return Ok(());
            };
            if self.limit_reached() {
                return Ok(());
            }
            match spec.read {
                Read::Export { .. } => {
                    self.export_step(spec, synced_until, run, &unit, report)
                        .await?
                }
                _ => {
                    self.page_step(spec, synced_until, run, &unit, report)
                        .await?
                }
            }
        }
    }

    fn limit_reached(&self) -> bool {
        self.max_calls.is_some_and(|max| self.calls >= max)
    }

    /// Reads and commits one page of a list (or the object of a single-object stream).
    async fn page_step(
        &mut self,
        spec: &'static StreamSpec,
        synced_until: Option<Timestamp>,
        run: &mut RunState,
        unit: &Unit,
        report: &mut StreamReport,
    ) -> Result<(), SyncError> {
        let window = self.current_window(spec, run, unit);
        if let Some((_, window)) = window
            && let Some(floor) = self.floor()
            && window.end < floor
        {
            tracing::warn!(
                stream = spec.name,
                unit = run.unit,
                "the window lies before the API's three-year floor: nothing of it can be read"
            );
            let (_, done) = self.finish_piece(spec, synced_until, run, unit, &[])?;
            self.emit_all(done);
            return Ok(());
        }
        let first_call =
            run.unit == 0 && run.pages == 0 && run.pieces.is_empty() && run.next_page.is_none();
        let path = unit_path(spec, &unit.partition)?;
        let target = match &run.next_page {
            Some(query) => join(&path, query),
            None => join(&path, &first_query(spec, run, unit, window)),
        };
        self.calls += 1;
        let answer = match self.source.get(&target).await {
            Ok(answer) => answer,
            Err(FetchError::TooLarge { message, error }) => {
                report.splits += 1;
                return self.split(spec, synced_until, run, window, message, error);
            }
            Err(FetchError::Client(error)) => return Err(SyncError::client(error)),
        };
        let (items, next) = decode(spec, &answer)?;
        let rows = rows_of(spec, &items, &unit.partition, window)?;
        let index = run.unit;
        if first_call
            && self.replan_on_server_time(spec, synced_until, run)?
            && self.first_target(spec, run)? != target
        {
            // The page's items are genuine and kept; the run starts over on the new plan.
            // (When the new plan starts with the very page just read, that page is its first
            // page instead, below: reading it again would cost a call, and after a restart a
            // second fetch of a page already fetched.)
            let committed = self.commit_run(spec, synced_until, run, &rows)?;
            self.note_page(spec, index, items.len(), committed, report);
            return Ok(());
        }
        let (committed, done) = match next {
            Some(query) if run.next_page.as_ref() == Some(&query) => {
                return Err(SyncError::unexpected(
                    "the next page link repeats the page just read",
                ));
            }
            Some(query) => {
                run.next_page = Some(query);
                run.pages += 1;
                (self.commit_run(spec, synced_until, run, &rows)?, None)
            }
            None => self.finish_piece(spec, synced_until, run, unit, &rows)?,
        };
        self.note_page(spec, index, items.len(), committed, report);
        self.emit_all(done);
        Ok(())
    }

    /// The API's floor now, when the source knows the server's time.
    fn floor(&self) -> Option<Timestamp> {
        self.source
            .knows_server_time()
            .then(|| plan::floor(self.source.now()))
    }

    /// After a run's first answer: when the server's clock (learnt from that answer's `Date`)
    /// and the one the run was planned with disagree by more than a day, plans the run again
    /// from the server's `now`, since windows and the floor are the server's. This happens
    /// only when no earlier call of the process told the source the server's time (a stream
    /// without fan-out read first) and the server's clock is not this machine's (a mock
    /// started with `--now`); it costs that one call.
    fn replan_on_server_time(
        &mut self,
        spec: &'static StreamSpec,
        synced_until: Option<Timestamp>,
        run: &mut RunState,
    ) -> Result<bool, SyncError> {
        let now = self.source.now();
        let windowed = !plan::filters(spec, run.mode).is_empty();
        if !windowed || now.secs_since(run.until).abs() <= DAY {
            return Ok(false);
        }
        tracing::info!(
            stream = spec.name,
            planned = %run.until,
            server = %now,
            "the server's clock is not this machine's: the run is planned again"
        );
        let before = StreamState {
            synced_until,
            run: None,
            pass: self.pass,
        };
        *run = begin_run(spec, &before, &self.options, now, run.partitions.clone())?;
        Ok(true)
    }

    /// The target of the first page of a run's first unit.
    fn first_target(&self, spec: &StreamSpec, run: &mut RunState) -> Result<String, SyncError> {
        let Some(unit) = Plan::new(spec, run).unit(0) else {
            return Ok(String::new());
        };
        let window = self.current_window(spec, run, &unit);
        let path = unit_path(spec, &unit.partition)?;
        Ok(join(&path, &first_query(spec, run, &unit, window)))
    }

    /// The window the current unit (or piece) reads, its start moved up to the API's floor for
    /// filters that have one. A page link recorded before the floor moved past the window's
    /// start would be refused: the unit then starts over from its first page.
    fn current_window(
        &self,
        spec: &StreamSpec,
        run: &mut RunState,
        unit: &Unit,
    ) -> Option<(DateFilter, Window)> {
        let (filter, unit_window) = unit.filter?;
        let mut window = run.pieces.first().copied().unwrap_or(unit_window);
        let Some(floor) = self.floor() else {
            return Some((filter, window));
        };
        if filter.has_floor() && window.start < floor {
            if run.next_page.take().is_some() {
                tracing::info!(
                    stream = spec.name,
                    "the API's floor moved: the window starts over"
                );
            }
            window.start = floor.min(window.end);
        }
        Some((filter, window))
    }

    /// Moves past the current piece (or unit, when it was the last piece) and commits `rows`
    /// with that checkpoint; gives the [`Event::UnitDone`] to emit once the page is noted.
    fn finish_piece(
        &mut self,
        spec: &'static StreamSpec,
        synced_until: Option<Timestamp>,
        run: &mut RunState,
        unit: &Unit,
        rows: &[Row],
    ) -> Result<(Committed, Option<Event>), SyncError> {
        run.next_page = None;
        run.job = None;
        run.pages += 1;
        let unit_done = match run.pieces.is_empty() {
            true => true,
            false => {
                run.pieces.remove(0);
                run.pieces.is_empty()
            }
        };
        let index = run.unit;
        if unit_done {
            run.unit += 1;
        }
        let committed = self.commit_run(spec, synced_until, run, rows)?;
        let done = unit_done.then(|| Event::UnitDone {
            stream: spec.name,
            unit: index,
            units: Plan::new(spec, run).len(),
            window: unit.filter.map(|(_, window)| window),
            partition: unit.partition.clone(),
        });
        Ok((committed, done))
    }

    /// Replaces the window being read by its halves, or ends the run when it cannot be split.
    fn split(
        &mut self,
        spec: &'static StreamSpec,
        synced_until: Option<Timestamp>,
        run: &mut RunState,
        window: Option<(DateFilter, Window)>,
        message: String,
        error: Option<impact_client::Error>,
    ) -> Result<(), SyncError> {
        let refused = |what: &str| {
            let refusal = SyncError::refused(format!("{what}: {message}"));
            match error {
                Some(error) => refusal.with_client(error),
                None => refusal,
            }
        };
        let Some((_, window)) = window else {
            return Err(refused(
                "the API refused a read without a date window for its size",
            ));
        };
        let Some((first, second)) = window.halves() else {
            return Err(refused(&format!(
                "the API refused the window {}..{} for its size and it cannot be split further",
                window.start, window.end
            )));
        };
        if run.pieces.is_empty() {
            run.pieces = vec![first, second];
        } else {
            run.pieces.splice(0..1, [first, second]);
        }
        run.next_page = None;
        self.commit_run(spec, synced_until, run, &[])?;
        self.emit(Event::Split {
            stream: spec.name,
            window,
        });
        Ok(())
    }

    /// One unit of an export stream: request the job (once), poll it, download its result.
    async fn export_step(
        &mut self,
        spec: &'static StreamSpec,
        synced_until: Option<Timestamp>,
        run: &mut RunState,
        unit: &Unit,
        report: &mut StreamReport,
    ) -> Result<(), SyncError> {
        let ticket = match &run.job {
            Some(ticket) => ticket.clone(),
            None => self.request_job(spec, synced_until, run, unit).await?,
        };
        loop {
            let Some(answer) = self.job_call(&ticket.status_uri).await? else {
                return Ok(());
            };
            match job_status(&answer)? {
                JobStatus::Done => break,
                JobStatus::Running => self.source.sleep(self.poll_interval).await,
                JobStatus::Failed(message) => {
                    // The failed job is forgotten, so that the next run requests a new one.
                    run.job = None;
                    self.commit_run(spec, synced_until, run, &[])?;
                    return Err(SyncError::job_failed(message));
                }
            }
        }
        let Some(answer) = self.job_call(&ticket.result_uri).await? else {
            return Ok(());
        };
        if answer.status == 202 {
            // Not ready after all: poll again.
            self.source.sleep(self.poll_interval).await;
            return Ok(());
        }
        let (items, _) = decode(spec, &answer)?;
        let window = unit.filter;
        let rows = rows_of(spec, &items, &unit.partition, window)?;
        let index = run.unit;
        let (committed, done) = self.finish_piece(spec, synced_until, run, unit, &rows)?;
        self.note_page(spec, index, items.len(), committed, report);
        self.emit_all(done);
        Ok(())
    }

    /// A GET of a job's URI, unless the call limit is reached (`None`: stop, resumably).
    async fn job_call(&mut self, uri: &str) -> Result<Option<Answer>, SyncError> {
        if self.limit_reached() {
            return Ok(None);
        }
        self.calls += 1;
        let answer = self.source.get(&api_target(uri)).await;
        answer.map(Some).map_err(fetch_error)
    }

    /// Requests a unit's export job and commits its ticket before anything else happens.
    async fn request_job(
        &mut self,
        spec: &'static StreamSpec,
        synced_until: Option<Timestamp>,
        run: &mut RunState,
        unit: &Unit,
    ) -> Result<JobTicket, SyncError> {
        let path = unit_path(spec, &unit.partition)?;
        let target = join(&path, &first_query(spec, run, unit, unit.filter));
        self.calls += 1;
        let answer = self.source.get(&target).await.map_err(fetch_error)?;
        let ticket = ticket_of(&answer)?;
        run.job = Some(ticket.clone());
        self.commit_run(spec, synced_until, run, &[])?;
        self.emit(Event::JobRequested {
            stream: spec.name,
            status_uri: ticket.status_uri.clone(),
        });
        Ok(ticket)
    }

    /// The partitions of a run: the product of the fan-out dimensions' values (the ids of
    /// parent lists, read now; documented values), or the report handles of an export.
    async fn partitions(
        &mut self,
        spec: &'static StreamSpec,
    ) -> Result<Vec<Vec<String>>, SyncError> {
        if let Read::Export { .. } = spec.read {
            if self.options.reports.is_empty() {
                return Err(SyncError::options(format!(
                    "{} needs the handle of a report to export",
                    spec.name
                )));
            }
            return Ok(self
                .options
                .reports
                .iter()
                .map(|handle| vec![handle.clone()])
                .collect());
        }
        let mut partitions = vec![Vec::new()];
        for dimension in spec.fan_out {
            let values = match dimension {
                FanOut::Query { parent, .. } | FanOut::Path { parent } => {
                    self.parent_ids(spec, parent).await?
                }
                FanOut::Values { values, .. } => values.iter().map(|v| (*v).to_owned()).collect(),
            };
            partitions = partitions
                .iter()
                .flat_map(|partition| {
                    values.iter().map(move |value| {
                        let mut next = partition.clone();
                        next.push(value.clone());
                        next
                    })
                })
                .collect();
        }
        Ok(partitions)
    }

    /// Every id of a parent list, read in full.
    async fn parent_ids(
        &mut self,
        spec: &StreamSpec,
        parent: &str,
    ) -> Result<Vec<String>, SyncError> {
        let parent_spec = streams(spec.api).iter().find(|row| row.path == parent);
        let key = parent_spec.map_or(Key::Field("Id"), |row| row.key);
        let mut query = parent_spec
            .and_then(|row| row.page_size)
            .map(|size| impact_codec::encode_form([("PageSize", size.max.to_string().as_str())]))
            .unwrap_or_default();
        let mut ids: Vec<String> = Vec::new();
        loop {
            self.calls += 1;
            let answer = self
                .source
                .get(&join(parent, &query))
                .await
                .map_err(fetch_error)?;
            let page = decode_list(&answer)?;
            for item in &page.items {
                let id = key_of(item, key).ok_or_else(|| {
                    SyncError::unexpected(format!("an item of {parent} has no key ({key:?})"))
                })?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            match page.meta.next().map(page_query) {
                Some(next) if next == query => {
                    return Err(SyncError::unexpected(
                        "the next page link repeats the page just read",
                    ));
                }
                Some(next) if !next.is_empty() => query = next,
                _ => return Ok(ids),
            }
        }
    }

    /// Commits rows with a checkpoint that holds `run` in progress.
    fn commit_run(
        &mut self,
        spec: &StreamSpec,
        synced_until: Option<Timestamp>,
        run: &RunState,
        rows: &[Row],
    ) -> Result<Committed, SyncError> {
        let state = StreamState {
            synced_until,
            run: Some(run.clone()),
            pass: self.pass,
        };
        self.commit(spec, rows, &state)
    }

    fn commit(
        &mut self,
        spec: &StreamSpec,
        rows: &[Row],
        state: &StreamState,
    ) -> Result<Committed, SyncError> {
        let batch = Batch {
            stream: spec.name,
            key: spec.key,
            rows,
            state,
            synced_at: self.source.now(),
        };
        Ok(self.store.commit(batch)?)
    }

    fn note_page(
        &mut self,
        spec: &'static StreamSpec,
        unit: u64,
        items: usize,
        committed: Committed,
        report: &mut StreamReport,
    ) {
        report.pages += 1;
        report.written += committed.written;
        report.unchanged += committed.unchanged;
        self.emit(Event::Page {
            stream: spec.name,
            unit,
            items: items as u64,
            written: committed.written,
        });
    }

    fn emit_all(&mut self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            self.emit(event);
        }
    }

    fn emit(&mut self, event: Event) {
        tracing::debug!(?event, "sync");
        if let Some(callback) = &mut self.on_event {
            callback(&event);
        }
    }
}

fn fetch_error(error: FetchError) -> SyncError {
    match error {
        FetchError::Client(error) => SyncError::client(error),
        FetchError::TooLarge { message, error } => {
            let refusal =
                SyncError::refused(format!("the API refused a read for its size: {message}"));
            match error {
                Some(error) => refusal.with_client(error),
                None => refusal,
            }
        }
    }
}

/// `path?query`, or `path` alone.
fn join(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The query of a page link, without `?` and fragment: a link contributes its query only;
/// the path is the stream's own, so a link's host or path prefix never matters.
fn page_query(uri: &str) -> String {
    let uri = uri.split('#').next().unwrap_or("");
    uri.split_once('?')
        .map(|(_, query)| query.to_owned())
        .unwrap_or_default()
}

/// A job URI as a target for [`Source::get`]: its path and query, without scheme and host; a
/// doubled leading slash (`//Mediapartners/...`) is one.
fn api_target(uri: &str) -> String {
    let uri = uri.trim();
    let without_origin = match uri.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |slash| &rest[slash..]),
        None => uri,
    };
    format!("/{}", without_origin.trim_start_matches('/'))
}

/// The stream's path with the partition's ids in place of `{}`, in order. Ids go into a path,
/// so only plain ones are accepted.
fn unit_path(spec: &StreamSpec, partition: &[String]) -> Result<String, SyncError> {
    let mut values = match spec.read {
        Read::Export { .. } => partition.iter().take(1).collect::<Vec<_>>(),
        _ => spec
            .fan_out
            .iter()
            .zip(partition)
            .filter(|(dimension, _)| matches!(dimension, FanOut::Path { .. }))
            .map(|(_, value)| value)
            .collect(),
    }
    .into_iter();
    let mut path = String::with_capacity(spec.path.len() + 16);
    for (index, part) in spec.path.split("{}").enumerate() {
        if index > 0 {
            let value = values
                .next()
                .ok_or_else(|| SyncError::unexpected(format!("no id for {}", spec.path)))?;
            if value.is_empty()
                || !value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-~".contains(&b))
            {
                return Err(SyncError::unexpected(format!(
                    "the id {:?} cannot go into a path",
                    value.chars().take(40).collect::<String>()
                )));
            }
            path.push_str(value);
        }
        path.push_str(part);
    }
    Ok(path)
}

/// The query of a unit's first page: fan-out parameters, the window, the page size.
fn first_query(
    spec: &StreamSpec,
    run: &RunState,
    unit: &Unit,
    window: Option<(DateFilter, Window)>,
) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for (dimension, value) in spec.fan_out.iter().zip(&unit.partition) {
        match dimension {
            FanOut::Query { param, .. } | FanOut::Values { param, .. } => {
                pairs.push((param, value.clone()))
            }
            FanOut::Path { .. } => {}
        }
    }
    if let Some((filter, window)) = window {
        // List windows share their boundary second (items there are read twice, stored
        // once); export windows must not overlap, or a report's rows at the boundary would
        // land twice under different keys: theirs end a second (a date: a day) before the
        // next one starts.
        let end = match spec.read {
            Read::Export { .. } => window.end.add_secs(-1).max(window.start),
            _ => window.end,
        };
        pairs.push((filter.start_param(), date_text(filter.form(), window.start)));
        pairs.push((filter.end_param(), date_text(filter.form(), end)));
    }
    if let Some(size) = run.page_size {
        pairs.push(("PageSize", size.to_string()));
    }
    if matches!(spec.read, Read::Export { .. }) {
        pairs.push(("ResultFormat", "JSON".to_owned()));
    }
    impact_codec::encode_form(pairs.iter().map(|(key, value)| (*key, value.as_str())))
}

fn date_text(form: DateForm, at: Timestamp) -> String {
    match form {
        DateForm::DateTime => at.to_string(),
        DateForm::Date => at.date_string(),
    }
}

/// The items of an answer, each as the API sent it, and the query of its next page.
fn decode<'a>(
    spec: &StreamSpec,
    answer: &'a Answer,
) -> Result<(Vec<&'a RawValue>, Option<String>), SyncError> {
    if let Read::Single = spec.read {
        let value: &RawValue = serde_json::from_slice(&answer.body).map_err(|error| {
            SyncError::unexpected(format!("{} is not json: {error}", spec.name))
        })?;
        if !value.get().starts_with('{') {
            return Err(SyncError::unexpected(format!(
                "{} is not an object",
                spec.name
            )));
        }
        return Ok((vec![value], None));
    }
    let page = raw::page(&answer.body)
        .map_err(|error| SyncError::unexpected(format!("not a json list page: {error}")))?;
    let next = page
        .next
        .as_deref()
        .map(page_query)
        .filter(|query| !query.is_empty());
    Ok((page.items, next))
}

fn decode_list(answer: &Answer) -> Result<impact_codec::Page, SyncError> {
    impact_codec::decode_page(&answer.body)
        .map_err(|error| SyncError::unexpected(format!("not a list page: {error}")))
}

/// Rows of a page's items, each record the item's text as sent (see [`raw::compact`]).
/// Report rows carry no key: each gets an `Id` attribute of the report, the window's start and
/// the row's position in the export (`mp_action_listing/2025-04-01T00:00:00Z/17`), added to the
/// record (re-serialised) so that every store (a JSONL file keeps only records) can tell rows
/// apart.
fn rows_of(
    spec: &StreamSpec,
    items: &[&RawValue],
    partition: &[String],
    window: Option<(DateFilter, Window)>,
) -> Result<Vec<Row>, SyncError> {
    let export = matches!(spec.read, Read::Export { .. });
    items
        .iter()
        .enumerate()
        .map(|(index, item)| match raw::key_of(item, spec.key) {
            Some(id) => Ok(Row::new(id, raw::compact(item.get()))),
            None if export => {
                let start = window
                    .map(|(_, window)| window.start.to_string())
                    .unwrap_or_default();
                let id = format!("{}/{start}/{index}", partition.join("/"));
                let mut value: Value = serde_json::from_str(item.get())
                    .map_err(|error| SyncError::unexpected(error.to_string()))?;
                match value.as_object_mut() {
                    Some(object) => {
                        object.insert("Id".to_owned(), Value::String(id.clone()));
                        Ok(Row::new(id, value.to_string()))
                    }
                    None => Err(SyncError::unexpected(format!(
                        "a row of {} is not an object",
                        spec.name
                    ))),
                }
            }
            None => Err(SyncError::unexpected(format!(
                "an item of {} has no key ({:?})",
                spec.name, spec.key
            ))),
        })
        .collect()
}

fn ticket_of(answer: &Answer) -> Result<JobTicket, SyncError> {
    let value: Value = serde_json::from_slice(&answer.body).map_err(|error| {
        SyncError::unexpected(format!("the export answer is not json: {error}"))
    })?;
    let uri = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .filter(|uri| !uri.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| SyncError::unexpected(format!("the export answer has no {key}")))
    };
    Ok(JobTicket {
        status_uri: uri("QueuedUri")?,
        result_uri: uri("ResultUri")?,
    })
}

enum JobStatus {
    Running,
    Done,
    Failed(String),
}

fn job_status(answer: &Answer) -> Result<JobStatus, SyncError> {
    let value: Value = serde_json::from_slice(&answer.body)
        .map_err(|error| SyncError::unexpected(format!("the job status is not json: {error}")))?;
    let status = value.get("Status").and_then(Value::as_str).unwrap_or("");
    let message = value
        .get("StatusMessage")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    match status.to_ascii_uppercase().as_str() {
        "QUEUED" | "RUNNING" => Ok(JobStatus::Running),
        "COMPLETED" => Ok(JobStatus::Done),
        "FAILED" | "ERROR" | "CANCELLED" => Ok(JobStatus::Failed(format!(
            "the export job ended {status}: {message}"
        ))),
        _ => Err(SyncError::unexpected(format!(
            "the job status {:?} is not one the reference documents",
            status.chars().take(40).collect::<String>()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cases: &[(&str, &str)], function: fn(&str) -> String) {
        for (input, expect) in cases {
            assert_eq!(function(input), *expect, "{input:?}");
        }
    }

    #[test]
    fn job_uris_become_targets() {
        let cases = [
            ("/Mediapartners/IR1/Jobs/7", "/Mediapartners/IR1/Jobs/7"),
            (
                "//Mediapartners/IR1/Jobs/7/Download",
                "/Mediapartners/IR1/Jobs/7/Download",
            ),
            (
                "https://api.impact.com/Advertisers/IR1/Jobs/7",
                "/Advertisers/IR1/Jobs/7",
            ),
            ("https://evil.example", "/"),
            (" /Jobs/7?x=1 ", "/Jobs/7?x=1"),
        ];
        check(&cases, api_target);
    }

    #[test]
    fn page_links_contribute_their_query() {
        let cases = [
            (
                "/Mediapartners/IR1/Actions?Page=2&PageSize=20000",
                "Page=2&PageSize=20000",
            ),
            ("https://other.example/x?Page=3#frag", "Page=3"),
            ("/Mediapartners/IR1/Actions", ""),
            ("", ""),
        ];
        check(&cases, page_query);
    }

    #[test]
    fn ids_go_into_paths_only_when_plain() {
        let spec = StreamSpec::find(impact_client::ApiKind::Brand, "Notes").expect("notes");
        let path = |id: &str| unit_path(spec, &[id.to_owned()]).map_err(|error| error.kind());
        assert_eq!(path("1000").as_deref(), Ok("Campaigns/1000/Notes"));
        for hostile in ["", "../x", "1000?x=1", "a/b", "1 0", "%2e"] {
            assert!(path(hostile).is_err(), "{hostile:?}");
        }
    }
}
