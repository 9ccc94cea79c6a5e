//! The resume state of a stream: where the last complete run ended, and exactly where the run
//! in progress stands (its plan, the unit being read, the page to read next, the export job
//! requested). Stores keep it beside the rows it covers, committed with them.

use serde::{Deserialize, Serialize};

use crate::plan::Window;
use crate::time::Timestamp;

/// A stream's checkpoint, as committed with its rows.
///
/// ```
/// use impact_sync::StreamState;
///
/// let state = StreamState::default();
/// assert!(state.synced_until().is_none());
/// assert!(!state.is_running());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamState {
    /// The end of the last run that completed: the next incremental run starts there, less the
    /// lookback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) synced_until: Option<Timestamp>,
    /// The run in progress, if one was stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) run: Option<RunState>,
    /// The pass (one sweep over a set of streams, see [`crate::Runner::begin_pass`]) this
    /// stream was last part of, and whether the stream is done in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pass: Option<Pass>,
}

impl StreamState {
    /// The state of a stream with no run in progress, whose last complete run ended at
    /// `synced_until` (`None`: never synced; the next run reads from the start date).
    pub fn new(synced_until: Option<Timestamp>) -> StreamState {
        StreamState {
            synced_until,
            run: None,
            pass: None,
        }
    }

    /// The end of the last complete run.
    pub fn synced_until(&self) -> Option<Timestamp> {
        self.synced_until
    }

    /// Whether a run was started and has not finished.
    pub fn is_running(&self) -> bool {
        self.run.is_some()
    }

    /// The run in progress.
    pub fn run(&self) -> Option<&RunState> {
        self.run.as_ref()
    }

    /// The pass this stream was last part of.
    pub fn pass(&self) -> Option<Pass> {
        self.pass
    }
}

/// One sweep over a set of streams (one `impact sync` command, however many times it is
/// restarted): its number, counting up per store, and whether the stream is done in it.
///
/// Without it, a command restarted after a crash could not tell a stream it finished before
/// the crash from one finished by an earlier command, and would read the first again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pass {
    pub(crate) id: u64,
    pub(crate) done: bool,
}

impl Pass {
    /// The pass's number.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether the stream is done in this pass.
    pub fn is_done(&self) -> bool {
        self.done
    }
}

/// Whether a run reads a stream from its start date or only what may have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Everything from the start date (the first run, and every run of a full-read list).
    Full,
    /// The filters of changes, from the last complete run less the lookback.
    Incremental,
}

/// A run in progress. Everything that decides which calls it makes is recorded when it
/// starts, so that a restart with other options still finishes the same plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunState {
    pub(crate) mode: Mode,
    /// The period read: `from` to `until`, both included.
    pub(crate) from: Timestamp,
    pub(crate) until: Timestamp,
    pub(crate) window_days: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) page_size: Option<u32>,
    /// One entry per partition: the values of the stream's fan-out dimensions.
    pub(crate) partitions: Vec<Vec<String>>,
    /// The index of the unit being read in the plan's order.
    pub(crate) unit: u64,
    /// When the unit's window was refused for its size: the pieces left, the first one being
    /// read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) pieces: Vec<Window>,
    /// The next page to read of the current unit (or piece): the query of its page link.
    /// `None`: the unit's first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) next_page: Option<String>,
    /// The export job of the current unit, recorded before it is polled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) job: Option<JobTicket>,
    /// Pages committed so far in this run.
    pub(crate) pages: u64,
}

impl RunState {
    /// Whether the run reads everything or only changes.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The first instant of the period read.
    pub fn from(&self) -> Timestamp {
        self.from
    }

    /// The last instant of the period read: the next run starts from here.
    pub fn until(&self) -> Timestamp {
        self.until
    }

    /// The index of the unit being read.
    pub fn unit(&self) -> u64 {
        self.unit
    }

    /// Pages committed so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }
}

/// An export job already requested: where to poll it and where its result will be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobTicket {
    pub(crate) status_uri: String,
    pub(crate) result_uri: String,
}

impl JobTicket {
    /// The job's status URI (`QueuedUri`).
    pub fn status_uri(&self) -> &str {
        &self.status_uri
    }

    /// The job's result URI (`ResultUri`).
    pub fn result_uri(&self) -> &str {
        &self.result_uri
    }
}
