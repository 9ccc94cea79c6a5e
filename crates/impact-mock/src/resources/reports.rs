//! Reports: the catalogue (`/Reports`), each report's metadata (`/Reports/{Id}/MetaData`),
//! and the records a run or an export gives (computed from the world's actions and clicks).
//!
//! Attributes: Partner `Report` (9), `ReportMetadata` (7) with `ReportFilter` and
//! `ReportAttribute` (3 each) from OAS `impact-partner-reports-v16.yaml`; Brand `Report` (9),
//! `ReportMetadata` (7) from OAS `impact-brand-reports-v14.yaml` (`resources.md` §3.22). The
//! report handles are the reference's examples (`mp_action_listing_fast`,
//! `adv_action_listing_pm`, `adv_click_data_pm_only`) plus aggregate ones of our own naming.

use serde_json::{Map, Value, json};

use crate::Resource;
use crate::attrs::{Cx, cents};
use crate::table::{Api, Applied, Data, Generated, Group, Op, PAGES, Row, Wanted};
use crate::time::{DAY, Timestamp};
use crate::world::entities::FIRST_PARTNER_ID;

/// What a report computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One record per action with its event in the range.
    ActionListing,
    /// One record per day.
    ByDay,
    /// One record per campaign.
    ByCampaign,
    /// One record per click.
    ClickListing,
}

/// One report of the catalogue.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Report {
    pub(crate) id: &'static str,
    pub(crate) api: Api,
    pub(crate) name: &'static str,
    pub(crate) category: &'static str,
    pub(crate) description: &'static str,
    pub(crate) kind: Kind,
    /// Whether it can run through the API (others give a UI `RunUri` and 404 on run).
    pub(crate) api_accessible: bool,
    /// Whether this account may run it (others answer 403, Spring style, as `/Reports`
    /// endpoints not enabled for an account do).
    pub(crate) permitted: bool,
}

impl Report {
    /// The rate-limit group of a run: event-level reports are Performance detail,
    /// aggregates Performance aggregate (Partner); Brand has no report groups.
    pub(crate) fn group(&self) -> Group {
        match (self.api, self.kind) {
            (Api::Brand, _) => Group::Other,
            (Api::Partner, Kind::ActionListing | Kind::ClickListing) => Group::PerformanceDetail,
            (Api::Partner, _) => Group::PerformanceAggregate,
        }
    }

    /// The attributes of a record, with their type and description.
    pub(crate) fn attributes(&self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self.kind {
            Kind::ActionListing => &[
                (
                    "action_id",
                    "String",
                    "Unique value assigned to each action",
                ),
                (
                    "campaign_id",
                    "Integer",
                    "The campaign (program) of the action",
                ),
                ("campaign_name", "String", "The campaign's name"),
                ("media_partner_id", "Integer", "The partner credited"),
                ("event_date", "DateTime", "When the conversion happened"),
                ("creation_date", "DateTime", "When the action was created"),
                ("locking_date", "DateTime", "When the action locks"),
                ("state", "String", "PENDING, APPROVED or REVERSED"),
                ("sale_amount", "Decimal", "Revenue of the action"),
                ("payout", "Decimal", "Commission of the action"),
                ("currency", "String", "ISO 4217 currency"),
            ],
            Kind::ByDay => &[
                ("date", "Date", "The day"),
                ("actions", "Integer", "Actions with their event that day"),
                ("sale_amount", "Decimal", "Revenue of those actions"),
                ("payout", "Decimal", "Commission of those actions"),
                ("clicks", "Integer", "Clicks that day"),
            ],
            Kind::ByCampaign => &[
                ("campaign_id", "Integer", "The campaign (program)"),
                ("campaign_name", "String", "The campaign's name"),
                (
                    "actions",
                    "Integer",
                    "Actions with their event in the range",
                ),
                ("sale_amount", "Decimal", "Revenue of those actions"),
                ("payout", "Decimal", "Commission of those actions"),
            ],
            Kind::ClickListing => &[
                ("click_id", "String", "The click's id"),
                ("event_date", "DateTime", "When the click happened"),
                ("campaign_id", "Integer", "The campaign (program)"),
                ("media_partner_id", "Integer", "The partner"),
                ("ad_id", "Integer", "The ad clicked"),
                ("unique_click", "Boolean", "Whether the click was unique"),
            ],
        }
    }
}

const fn report(
    id: &'static str,
    api: Api,
    (name, category, description): (&'static str, &'static str, &'static str),
    kind: Kind,
    (api_accessible, permitted): (bool, bool),
) -> Report {
    Report {
        id,
        api,
        name,
        category,
        description,
        kind,
        api_accessible,
        permitted,
    }
}

/// The report catalogue of every account.
pub(crate) static REPORTS: &[Report] = &[
    report(
        "mp_action_listing_fast",
        Api::Partner,
        (
            "Action Listing",
            "Listing",
            "Displays data for each individual action that has been credited to you.",
        ),
        Kind::ActionListing,
        (true, true),
    ),
    report(
        "mp_performance_by_day",
        Api::Partner,
        (
            "Performance by Day",
            "Performance",
            "Actions, revenue and payout per day.",
        ),
        Kind::ByDay,
        (true, true),
    ),
    report(
        "mp_performance_by_campaign",
        Api::Partner,
        (
            "Performance by Campaign",
            "Performance",
            "Actions, revenue and payout per campaign.",
        ),
        Kind::ByCampaign,
        (true, true),
    ),
    report(
        "mp_compliance_review",
        Api::Partner,
        (
            "Compliance Review",
            "Compliance",
            "Interactive compliance review (UI only).",
        ),
        Kind::ByCampaign,
        (false, true),
    ),
    report(
        "partner_action_listing",
        Api::Partner,
        (
            "Partner Action Listing (legacy)",
            "Listing",
            "Legacy action listing, not enabled for this account.",
        ),
        Kind::ActionListing,
        (true, false),
    ),
    report(
        "adv_action_listing_pm",
        Api::Brand,
        (
            "Action Listing",
            "Performance",
            "Lists all actions for a date range.",
        ),
        Kind::ActionListing,
        (true, true),
    ),
    report(
        "adv_click_data_pm_only",
        Api::Brand,
        (
            "Click Data",
            "Performance",
            "Lists the clicks of a date range.",
        ),
        Kind::ClickListing,
        (true, true),
    ),
    report(
        "adv_performance_by_day",
        Api::Brand,
        (
            "Performance by Day",
            "Performance",
            "Actions, revenue and payout per day.",
        ),
        Kind::ByDay,
        (true, true),
    ),
    report(
        "partner_action_listing",
        Api::Brand,
        (
            "Partner Action Listing (legacy)",
            "Listing",
            "Legacy action listing, not enabled for this account.",
        ),
        Kind::ActionListing,
        (true, false),
    ),
];

/// The report of an API with this id.
pub(crate) fn find(api: Api, id: &str) -> Option<&'static Report> {
    REPORTS
        .iter()
        .find(|report| report.api == api && report.id == id)
}

fn describe(report: &Report, cx: &Cx<'_>) -> Value {
    json!({
        "Name": report.name,
        "Id": report.id,
        "Category": report.category,
        "Description": report.description,
        "ApiAccessible": crate::attrs::bool_text(report.api_accessible),
        "ApiRunUri": format!("{}/Reports/{}", cx.root, report.id),
        "DeferredApiRunUri": format!("{}/ReportExport/{}", cx.root, report.id),
        "MetaDataUri": format!("{}/Reports/{}/MetaData", cx.root, report.id),
        "RunUri": format!("https://app.impact.com/secure/reports/run/{}", report.id),
    })
}

fn reports(cx: &Cx<'_>) -> Generated {
    Generated {
        items: REPORTS
            .iter()
            .filter(|report| report.api == cx.api)
            .map(|report| describe(report, cx))
            .collect(),
        ..Generated::default()
    }
}

/// The filters a report takes, as its metadata lists them.
fn filters(api: Api) -> Value {
    let (start, end, format) = match api {
        Api::Partner => ("START_DATE", "END_DATE", "yyyy-MM-dd"),
        Api::Brand => ("StartDate", "EndDate", "yyyy-MM-dd"),
    };
    json!([
        {"Name": start, "DataType": "DATE", "Format": format},
        {"Name": end, "DataType": "DATE", "Format": format},
        {"Name": "SUBAID", "DataType": "Integer", "Format": ""},
    ])
}

fn metadata(cx: &Cx<'_>, captures: &[(&'static str, String)]) -> Option<Value> {
    let id = captures.iter().find(|(name, _)| *name == "ReportId")?;
    let report = find(cx.api, &id.1)?;
    let attributes: Vec<Value> = report
        .attributes()
        .iter()
        .map(|(name, kind, description)| {
            json!({"Name": name, "DataType": kind, "Description": description})
        })
        .collect();
    Some(json!({
        "Name": report.name,
        "Id": report.id,
        "Description": report.description,
        "Filters": filters(cx.api),
        "Attributes": attributes,
        "RunUri": format!("{}/Reports/{}", cx.root, report.id),
        "Uri": format!("{}/Reports/{}/MetaData", cx.root, report.id),
    }))
}

/// The records of a report over `start..=end` (event dates), optionally one program.
pub(crate) fn records(
    cx: &Cx<'_>,
    report: &Report,
    (start, end): (Timestamp, Timestamp),
    program: Option<u64>,
) -> Vec<Value> {
    let mut filters = vec![
        Applied {
            attr: "EventDate",
            op: Op::From,
            wanted: Wanted::At(start),
        },
        Applied {
            attr: "EventDate",
            op: Op::To,
            wanted: Wanted::At(end),
        },
    ];
    if let Some(program) = program {
        filters.push(Applied {
            attr: "CampaignId",
            op: Op::Eq,
            wanted: Wanted::Texts(vec![program.to_string()]),
        });
    }
    match report.kind {
        Kind::ClickListing => super::clicks::select_clicks(cx, &filters)
            .into_iter()
            .map(|n| {
                let click = super::clicks::click(cx, n);
                json!({
                    "click_id": click.id(),
                    "event_date": click.at.to_string(),
                    "campaign_id": cx.world.campaign(click.campaign).id.to_string(),
                    "media_partner_id": (FIRST_PARTNER_ID + click.partner).to_string(),
                    "ad_id": (500_000 + click.ad).to_string(),
                    "unique_click": crate::attrs::bool_text(click.unique),
                })
            })
            .collect(),
        Kind::ActionListing => super::actions::matching(cx, &filters)
            .into_iter()
            .map(|(action, status)| {
                let campaign = cx.world.campaign(action.campaign);
                json!({
                    "action_id": action.id(),
                    "campaign_id": campaign.id.to_string(),
                    "campaign_name": campaign.name,
                    "media_partner_id": (FIRST_PARTNER_ID + action.partner).to_string(),
                    "event_date": action.event.to_string(),
                    "creation_date": action.created.to_string(),
                    "locking_date": action.locking.to_string(),
                    "state": status.state,
                    "sale_amount": cents(status.amount),
                    "payout": cents(status.payout),
                    "currency": action.currency,
                })
            })
            .collect(),
        Kind::ByDay | Kind::ByCampaign => aggregate(cx, report.kind, (start, end), &filters),
    }
}

fn aggregate(
    cx: &Cx<'_>,
    kind: Kind,
    (start, end): (Timestamp, Timestamp),
    filters: &[Applied],
) -> Vec<Value> {
    let mut buckets: std::collections::BTreeMap<String, (u64, i64, i64, Map<String, Value>)> =
        Default::default();
    if kind == Kind::ByDay {
        let mut day = start.local_midnight();
        while day <= end {
            buckets.entry(day.local_date()).or_default();
            day = day.plus(DAY + 2 * 3_600).local_midnight();
        }
    }
    for (action, status) in super::actions::matching(cx, filters) {
        let key = match kind {
            Kind::ByDay => action.event.local_date(),
            _ => format!("{:08}", action.campaign),
        };
        let bucket = buckets.entry(key).or_default();
        bucket.0 += 1;
        bucket.1 += status.amount;
        bucket.2 += status.payout;
        if kind == Kind::ByCampaign && bucket.3.is_empty() {
            let campaign = cx.world.campaign(action.campaign);
            bucket
                .3
                .insert("campaign_id".into(), json!(campaign.id.to_string()));
            bucket
                .3
                .insert("campaign_name".into(), json!(campaign.name));
        }
    }
    let clicks = |day: &str| -> u64 {
        let Ok(from) = Timestamp::parse_api(day) else {
            return 0;
        };
        let to = from.plus(DAY + 2 * 3_600).local_midnight().plus(-1);
        let world = cx.world;
        world.timelines.clicks.range(world.seed, from, to).count() as u64
    };
    buckets
        .into_iter()
        .map(|(key, (actions, amount, payout, mut record))| {
            if kind == Kind::ByDay {
                record.insert("date".into(), json!(key));
                record.insert("clicks".into(), json!(clicks(&key).to_string()));
            }
            record.insert("actions".into(), json!(actions.to_string()));
            record.insert("sale_amount".into(), json!(cents(amount)));
            record.insert("payout".into(), json!(cents(payout)));
            Value::Object(record)
        })
        .collect()
}

const SOURCE: &str = "Partner Report (9) and ReportMetadata (7) from OAS \
    impact-partner-reports-v16.yaml; Brand Report (9) and ReportMetadata (7) from OAS \
    impact-brand-reports-v14.yaml (resources.md 3.22)";

pub(crate) const PARTNER: Row = Row {
    resource: Resource::Reports,
    api: Api::Partner,
    path: "Reports",
    list: true,
    item: false,
    list_key: "Reports",
    item_element: "Report",
    id_attr: "Id",
    parent: None,
    source: SOURCE,
    filters: &[],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(reports),
};

pub(crate) const BRAND: Row = Row {
    api: Api::Brand,
    ..PARTNER
};

pub(crate) const PARTNER_METADATA: Row = Row {
    resource: Resource::ReportMetaData,
    path: "Reports/{ReportId}/MetaData",
    parent: Some(crate::table::Parent {
        capture: "ReportId",
        attr: "Id",
        resource: Resource::Reports,
    }),
    list_key: "MetaData",
    item_element: "MetaData",
    data: Data::Single(metadata),
    ..PARTNER
};

pub(crate) const BRAND_METADATA: Row = Row {
    api: Api::Brand,
    ..PARTNER_METADATA
};
