//! Export jobs (SPEC 8.2): `ReportExport` and `ClickExport` queue a job that runs as the
//! world's clock advances: `QUEUED`, then `RUNNING`, then `COMPLETED` (or `FAILED` when
//! scripted). Its download answers 202 with the job while it is not done, then the file,
//! directly (`Mode=Stream`) or through a 302 to a loopback URL that needs no credentials.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::attrs::date;
use crate::rng::mix;
use crate::table::Api;
use crate::time::Timestamp;

/// How long a job waits in the queue, in world seconds.
pub(crate) const QUEUED_SECS: i64 = 2;
/// How long a job runs.
pub(crate) const RUNNING_SECS: i64 = 5;

/// What a job exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Export {
    /// A report over a date range, optionally one program.
    Report {
        report: String,
        start: Timestamp,
        end: Timestamp,
        program: Option<u64>,
    },
    /// One day of clicks, optionally one program.
    Clicks {
        day: Timestamp,
        program: Option<u64>,
    },
}

/// The format of a job's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResultFormat {
    Csv,
    Json,
    Xml,
}

impl ResultFormat {
    pub(crate) fn parse(text: Option<&str>) -> Option<ResultFormat> {
        match text.map(str::to_ascii_uppercase).as_deref() {
            None | Some("CSV") => Some(ResultFormat::Csv),
            Some("JSON") => Some(ResultFormat::Json),
            Some("XML") => Some(ResultFormat::Xml),
            Some(_) => None,
        }
    }

    pub(crate) const fn content_type(self) -> &'static str {
        match self {
            ResultFormat::Csv => "text/csv; charset=utf-8",
            ResultFormat::Json => "application/json; charset=utf-8",
            ResultFormat::Xml => "application/xml; charset=utf-8",
        }
    }
}

/// An export job of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) api: Api,
    pub(crate) export: Export,
    pub(crate) format: ResultFormat,
    pub(crate) created: Timestamp,
    /// When the current run was queued (a replay queues it again).
    pub(crate) queued: Timestamp,
    pub(crate) fails: bool,
    /// The request's canonical parameters: the same ones get the same job back.
    pub(crate) key: String,
}

/// Where a job stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobStatus {
    Queued,
    Running,
    Completed,
    Failed,
}

impl JobStatus {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "QUEUED",
            JobStatus::Running => "RUNNING",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Failed => "FAILED",
        }
    }

    pub(crate) const fn is_done(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed)
    }
}

impl Job {
    pub(crate) fn started(&self) -> Timestamp {
        self.queued.plus(QUEUED_SECS)
    }

    pub(crate) fn finished(&self) -> Timestamp {
        self.started().plus(RUNNING_SECS)
    }

    pub(crate) fn status(&self, now: Timestamp) -> JobStatus {
        if now < self.started() {
            JobStatus::Queued
        } else if now < self.finished() {
            JobStatus::Running
        } else if self.fails {
            JobStatus::Failed
        } else {
            JobStatus::Completed
        }
    }

    /// When the status next changes after `now`.
    pub(crate) fn next_change(&self, now: Timestamp) -> Option<Timestamp> {
        [self.started(), self.finished()]
            .into_iter()
            .find(|at| *at > now)
    }

    fn program(&self) -> Option<u64> {
        match &self.export {
            Export::Report { program, .. } | Export::Clicks { program, .. } => *program,
        }
    }

    /// The Job object (17 attributes of OAS `impact-{partner,brand}-jobs`).
    pub(crate) fn describe(&self, root: &str, sid: &str, now: Timestamp, records: u64) -> Value {
        let status = self.status(now);
        let done = |at: Timestamp, when: JobStatus| (status == when).then_some(at);
        let progress = match status {
            JobStatus::Queued => 0,
            JobStatus::Running => {
                let elapsed = now.since(self.started()).clamp(0, RUNNING_SECS);
                elapsed * 100 / RUNNING_SECS
            }
            JobStatus::Completed | JobStatus::Failed => 100,
        };
        let message = match status {
            JobStatus::Queued => "Job is queued.",
            JobStatus::Running => "Job is running.",
            JobStatus::Completed => "Job processing completed successfully.",
            JobStatus::Failed => "Job failed after 5 attempts.",
        };
        json!({
            "Id": self.id,
            "Type": match self.export {
                Export::Report { .. } => "ApiReport",
                Export::Clicks { .. } => "ClickExport",
            },
            "ProgramId": self.program().map(|p| p.to_string()).unwrap_or_default(),
            "CreatedBy": sid,
            "CreatedDate": self.created.to_string(),
            "StartedDate": date((status != JobStatus::Queued).then(|| self.started())),
            "CompletedDate": date(done(self.finished(), JobStatus::Completed)),
            "AbandonedDate": "",
            "CancelledDate": "",
            "FailedDate": date(done(self.finished(), JobStatus::Failed)),
            "LastProgressUpdateDate": now.min(self.finished()).max(self.queued).to_string(),
            "Status": status.as_str(),
            "StatusMessage": message,
            "RecordsProcessed": (records * u64::try_from(progress).unwrap_or(0) / 100).to_string(),
            "PercentageComplete": progress.to_string(),
            "Replayable": "true",
            "ResultUri": format!("{root}/Jobs/{}/Download", self.id),
        })
    }
}

/// The server-wide part of the jobs: ids and scripted failures.
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    sequence: AtomicU64,
    fail_next: AtomicU32,
}

impl Jobs {
    /// A fresh job id, shaped like the API's (a UUID).
    pub(crate) fn next_id(&self, seed: u64) -> String {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        let a = mix(seed ^ n);
        let b = mix(a);
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFF,
            b >> 52,
            b & 0xFFFF_FFFF_FFFF
        )
    }

    pub(crate) fn fail_next(&self, count: u32) {
        self.fail_next.fetch_add(count, Ordering::Relaxed);
    }

    /// Whether the next job is to fail (and counts it).
    pub(crate) fn take_failure(&self) -> bool {
        self.fail_next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_moves_through_its_states_with_the_clock() {
        let at = Timestamp::from_unix_seconds(1_700_000_000);
        let job = Job {
            id: Jobs::default().next_id(1),
            api: Api::Partner,
            export: Export::Clicks {
                day: at,
                program: Some(1000),
            },
            format: ResultFormat::Csv,
            created: at,
            queued: at,
            fails: false,
            key: String::new(),
        };
        assert_eq!(job.id.len(), 36);
        assert_eq!(job.status(at), JobStatus::Queued);
        assert_eq!(job.status(at.plus(QUEUED_SECS)), JobStatus::Running);
        assert_eq!(
            job.status(at.plus(QUEUED_SECS + RUNNING_SECS)),
            JobStatus::Completed
        );
        let failing = Job {
            fails: true,
            ..job.clone()
        };
        assert_eq!(failing.status(at.plus(60)), JobStatus::Failed);
        let described = job.describe("/Mediapartners/IR1", "IR1", at.plus(3), 50);
        assert_eq!(described["Status"], "RUNNING");
        assert_eq!(described["PercentageComplete"], "20");
        assert_eq!(described["CompletedDate"], "");
        assert_eq!(job.next_change(at.plus(3)), Some(at.plus(7)));
    }
}
