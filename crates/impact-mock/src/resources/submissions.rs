//! API and FTP file submissions (Brand): batches of conversions, modifications and
//! reversals, queued, processed and completed over time. Queued writes
//! (`POST /Conversions`, `PUT`/`DELETE /Actions`) are listed here too.
//!
//! Attributes: `ApiSubmission` (15) and `FtpSubmission` (11) from OAS
//! `impact-brand-submissions-v14.yaml` (`resources.md` §3.14). The list key of API
//! submissions is the singular `APISubmission` (OAS and tap-impact agree).

use crate::Resource;
use crate::attrs::{Attr, Cx, Entity, also, build, date, empty, pick, text};
use crate::rng::{Draw, mix, tag};
use crate::table::{Api, Data, Generated, Group, PAGES, Row, from, to};
use crate::time::{HOUR, Timestamp};
use crate::world::entities::FIRST_PARTNER_ID;
use crate::world::overlay::Submission;
use crate::world::timeline::EPOCH;

/// A batch as the lists show it.
pub(crate) struct Batch {
    id: String,
    kind: &'static str,
    campaign: u64,
    tracker: u64,
    order: String,
    payload: String,
    submitted: Timestamp,
    completed: Timestamp,
    draw: Draw,
}

impl Entity for Batch {
    fn draw(&self) -> Draw {
        self.draw
    }
}

impl Batch {
    fn status(&self, now: Timestamp) -> &'static str {
        if now >= self.completed {
            "Complete"
        } else if now >= self.submitted.plus(1) {
            "In Progress"
        } else {
            "Queued"
        }
    }

    fn from_write(cx: &Cx<'_>, write: &Submission) -> Batch {
        Batch {
            id: write.batch.clone(),
            kind: match write.kind {
                "ACTION_MODIFICATION" => "Modification",
                "ACTION_REVERSAL" => "Reversal",
                _ => "Conversion",
            },
            campaign: write.campaign,
            tracker: write.tracker,
            order: write.order_id.clone(),
            payload: write.payload.clone(),
            submitted: write.submitted,
            completed: write.completed,
            draw: Draw::new(cx.world.seed, tag(&write.batch)),
        }
    }
}

fn generated_batch(cx: &Cx<'_>, n: u64) -> Batch {
    let world = cx.world;
    let submitted = world.timelines.api_submissions.at(world.seed, n);
    let mut draw = Draw::new(world.seed, tag("APISubmission") ^ n);
    let campaign = draw.below(world.counts.campaigns.max(1));
    let order = format!("{}", 1_234_567_000_000 + mix(n) % 1_000_000);
    Batch {
        id: format!(
            "A-{:08x}-{:04x}-{:04x}",
            mix(n) >> 32,
            n & 0xFFFF,
            mix(!n) & 0xFFFF
        ),
        kind: draw.pick(&["Conversion", "Conversion", "Modification", "Reversal"]),
        campaign,
        tracker: 0,
        payload: format!("CampaignId={}&OrderId={order}", world.campaign(campaign).id),
        order,
        submitted,
        completed: submitted.plus(draw.between(60, 2 * HOUR)),
        draw,
    }
}

/// The attributes API and FTP submissions share.
static SUBMISSION: &[Attr<Batch>] = &[
    text("BatchId", |b, _| b.id.clone()),
    text("AccountId", |_, cx| {
        (10_000 + cx.world.seed % 1_000).to_string()
    }),
    text("SubmissionDate", |b, _| b.submitted.to_string()),
    text("Type", |b, _| b.kind.to_owned()),
    text("Status", |b, cx| b.status(cx.now).to_owned()),
    text("CompletionDate", |b, cx| {
        date((cx.now >= b.completed).then_some(b.completed))
    }),
];

/// A batch submitted through the API.
static API_SUBMISSION: &[Attr<Batch>] = &[
    also(SUBMISSION),
    text("CampaignId", |b, cx| {
        cx.world.campaign(b.campaign).id.to_string()
    }),
    text("ActionTrackerId", |b, cx| {
        cx.world
            .campaign(b.campaign)
            .tracker_id(b.tracker)
            .to_string()
    }),
    text("MediaPartnerId", |b, cx| {
        let mut draw = b.draw.fork(1);
        (FIRST_PARTNER_ID + cx.world.partner_of(b.campaign, &mut draw)).to_string()
    }),
    empty("EventCode"),
    text("OrderId", |b, _| b.order.clone()),
    text("Payload", |b, _| b.payload.clone()),
    empty("ErrorType"),
    empty("ErrorReason"),
    text("Uri", |b, cx| {
        format!("{}/APISubmissions/{}", cx.root, b.id)
    }),
];

fn api_submissions(cx: &Cx<'_>) -> Generated {
    let world = cx.world;
    let timeline = world.timelines.api_submissions;
    let range = timeline.range(world.seed, EPOCH, cx.now);
    let mut batches: Vec<Batch> = range.clone().map(|n| generated_batch(cx, n)).collect();
    batches.extend(
        world
            .overlay()
            .submissions
            .iter()
            .map(|write| Batch::from_write(cx, write)),
    );
    let mut generated = Generated::default();
    for batch in &batches {
        generated.changes_at(Some(batch.submitted.plus(1)), cx.now);
        generated.changes_at(Some(batch.completed), cx.now);
        generated.items.push(build(API_SUBMISSION, batch, cx));
    }
    generated.changes_at(
        Some(timeline.at(world.seed, range.end().wrapping_add(1))),
        cx.now,
    );
    generated
}

/// A batch submitted by FTP.
static FTP_SUBMISSION: &[Attr<Batch>] = &[
    also(SUBMISSION),
    text("FileName", |b, _| {
        format!("actions_{}.csv", b.submitted.local_date().replace('-', ""))
    }),
    text("TotalRecords", |b, _| {
        (100 + b.draw.fork(2).below(2_000)).to_string()
    }),
    pick("TotalErrors", &["0", "0", "0", "2", "5"]),
    text("ErrorsUri", |b, cx| {
        format!("{}/FTPFileSubmissions/{}/ErrorDetails", cx.root, b.id)
    }),
    text("Uri", |b, cx| {
        format!("{}/FTPFileSubmissions/{}", cx.root, b.id)
    }),
];

fn ftp_submissions(cx: &Cx<'_>) -> Generated {
    let world = cx.world;
    let timeline = world.timelines.ftp_submissions;
    let range = timeline.range(world.seed, EPOCH, cx.now);
    let mut generated = Generated::default();
    for n in range.clone() {
        let submitted = timeline.at(world.seed, n);
        let mut draw = Draw::new(world.seed, tag("FTPSubmission") ^ n);
        let batch = Batch {
            id: format!("BATCH-{}", 700 + n),
            kind: draw.pick(&["Conversion", "Modification", "Reversal"]),
            campaign: 0,
            tracker: 0,
            order: String::new(),
            payload: String::new(),
            submitted,
            completed: submitted.plus(draw.between(10 * 60, 6 * HOUR)),
            draw,
        };
        generated.changes_at(Some(batch.submitted.plus(1)), cx.now);
        generated.changes_at(Some(batch.completed), cx.now);
        generated.items.push(build(FTP_SUBMISSION, &batch, cx));
    }
    generated.changes_at(
        Some(timeline.at(world.seed, range.end().wrapping_add(1))),
        cx.now,
    );
    generated
}

pub(crate) const API: Row = Row {
    resource: Resource::ApiSubmissions,
    api: Api::Brand,
    path: "APISubmissions",
    list: true,
    item: true,
    list_key: "APISubmission",
    item_element: "APISubmission",
    id_attr: "BatchId",
    parent: None,
    source: "ApiSubmission (15) from OAS impact-brand-submissions-v14.yaml; list key \
             APISubmission (resources.md 3.14)",
    filters: &[],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(api_submissions),
};

pub(crate) const FTP: Row = Row {
    resource: Resource::FtpFileSubmissions,
    path: "FTPFileSubmissions",
    list_key: "FTPFileSubmissions",
    item_element: "FTPFileSubmission",
    source: "FtpSubmission (11) from OAS impact-brand-submissions-v14.yaml; SubmissionDate \
             ascending (tap-impact README) (resources.md 3.14)",
    filters: &[
        from(&["SubmissionDateStart"], "SubmissionDate"),
        to(&["SubmissionDateEnd"], "SubmissionDate"),
        from(&["CompletedDateStart"], "CompletionDate"),
        to(&["CompletedDateEnd"], "CompletionDate"),
    ],
    data: Data::Population(ftp_submissions),
    ..API
};
