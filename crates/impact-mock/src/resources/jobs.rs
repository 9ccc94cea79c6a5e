//! Jobs: the export jobs an account queued (`ReportExport`, `ClickExport`), listed and read
//! by id, with their status as of `now`.
//!
//! Attributes: `Job` (17) from OAS `impact-partner-jobs-v16.yaml` and
//! `impact-brand-jobs-v14.yaml` (`resources.md` §3.23). Downloads and replays are answered by
//! `exports.rs`.

use crate::Resource;
use crate::attrs::Cx;
use crate::jobs::{Export, Job};
use crate::table::{Api, Data, Generated, Group, PAGES, Row, from, to};
use crate::time::DAY;

/// About how many records a job's result holds (what `RecordsProcessed` counts to).
fn records(cx: &Cx<'_>, job: &Job) -> u64 {
    let world = cx.world;
    match &job.export {
        Export::Clicks { day, .. } => {
            let end = day.plus(DAY + 2 * 3_600).local_midnight().plus(-1);
            world.timelines.clicks.range(world.seed, *day, end).count() as u64
        }
        Export::Report { start, end, .. } => world
            .timelines
            .actions
            .range(world.seed, *start, *end)
            .count() as u64,
    }
}

fn jobs(cx: &Cx<'_>) -> Generated {
    let sid = cx.root.rsplit('/').next().unwrap_or_default();
    let mut generated = Generated::default();
    let jobs: Vec<Job> = cx
        .world
        .overlay()
        .jobs
        .iter()
        .filter(|job| job.api == cx.api)
        .cloned()
        .collect();
    for job in jobs.iter().rev() {
        generated.changes_at(job.next_change(cx.now), cx.now);
        generated
            .items
            .push(job.describe(cx.root, sid, cx.now, records(cx, job)));
    }
    generated
}

pub(crate) const PARTNER: Row = Row {
    resource: Resource::Jobs,
    api: Api::Partner,
    path: "Jobs",
    list: true,
    item: true,
    list_key: "Jobs",
    item_element: "Job",
    id_attr: "Id",
    parent: None,
    source: "Job (17) from OAS impact-partner-jobs-v16.yaml and impact-brand-jobs-v14.yaml; \
             CreatedAfter/CreatedBefore (resources.md 3.23)",
    filters: &[
        from(&["CreatedAfter"], "CreatedDate"),
        to(&["CreatedBefore"], "CreatedDate"),
    ],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(jobs),
};

pub(crate) const BRAND: Row = Row {
    api: Api::Brand,
    ..PARTNER
};
