//! Invoices: one a month, made on the 2nd for the month before, paid 30 days later; line
//! items per campaign are nested (there is no line-item endpoint).
//!
//! Attributes: Partner `Invoice` (11) with `LineItem` (11) and `DetailedLineItem` (8) from OAS
//! `impact-partner-invoices-v16.yaml`; Brand `Invoice` (11, `MediaId`/`MediaName` for
//! `RecipientId`/`RecipientName`) from OAS `impact-brand-invoices-v14.yaml` (`resources.md`
//! §3.13). Newest first; `StartDate`/`EndDate` filter the created date, and a lone
//! `StartDate` is accepted (both connectors send one; no rule is documented).

use serde_json::{Value, json};

use crate::Resource;
use crate::attrs::{Attr, Cx, Entity, also, build, cents, date, json, lit, text};
use crate::rng::{Draw, tag};
use crate::table::{Api, Data, Generated, Group, PAGES, Row, from, to};
use crate::time::{DAY, Timestamp, civil_from_days, days_from_civil};
use crate::world::entities::FIRST_PARTNER_ID;
use crate::world::timeline::EPOCH;

/// The invoice of month `month` (months since the world's first).
pub(crate) struct Invoice {
    month: i64,
    created: Timestamp,
    due: Timestamp,
    draw: Draw,
}

impl Entity for Invoice {
    fn draw(&self) -> Draw {
        self.draw
    }
}

/// Local midnight of the given day of the `month`th month after January 2019.
fn day_of_month(month: i64, day: i64) -> Timestamp {
    let (year, index) = (2019 + month.div_euclid(12), month.rem_euclid(12) + 1);
    let days = days_from_civil(year, index, day);
    Timestamp::from_unix_seconds(days * DAY + 12 * 3_600).local_midnight()
}

impl Invoice {
    fn new(cx: &Cx<'_>, month: i64) -> Invoice {
        let created = day_of_month(month + 1, 2).plus(6 * 3_600);
        Invoice {
            month,
            created,
            due: created.plus(30 * DAY).local_midnight(),
            draw: Draw::new(cx.world.seed, tag("Invoice") ^ month as u64),
        }
    }

    fn id(&self, cx: &Cx<'_>) -> String {
        format!("{}-{}", 1_924_609 + cx.world.seed % 1_000, self.month + 1)
    }

    /// `EventMonthYear` as the reference writes it: month then year, `92018`.
    fn month_year(&self) -> String {
        let first = day_of_month(self.month, 1);
        let days = (first.unix_seconds() - 8 * 3_600).div_euclid(DAY);
        let (year, month, _) = civil_from_days(days);
        format!("{month}{year}")
    }

    fn paid(&self, now: Timestamp) -> bool {
        now >= self.due
    }

    /// The campaigns billed and how many actions each had, from the month's arrivals.
    fn lines(&self, cx: &Cx<'_>) -> Vec<(u64, u64, i64)> {
        let world = cx.world;
        let start = day_of_month(self.month, 1);
        let end = day_of_month(self.month + 1, 1).plus(-1);
        let actions = world
            .timelines
            .actions
            .range(world.seed, start, end)
            .count() as u64;
        let campaigns = world.counts.campaigns.clamp(1, 5);
        let mut left = actions;
        (0..campaigns)
            .map(|c| {
                let share = if c + 1 == campaigns { left } else { left / 2 };
                left -= share;
                let payout = share as i64 * (800 + (self.draw.fork(c).below(800) as i64));
                (c, share, payout)
            })
            .filter(|(_, share, _)| *share > 0)
            .collect()
    }

    fn total(&self, cx: &Cx<'_>) -> i64 {
        self.lines(cx).iter().map(|(_, _, payout)| payout).sum()
    }

    fn line_items(&self, cx: &Cx<'_>) -> Value {
        let paid = self.paid(cx.now);
        Value::Array(
            self.lines(cx)
                .into_iter()
                .map(|(c, count, payout)| {
                    let campaign = cx.world.campaign(c);
                    json!({
                        "CampaignId": campaign.id.to_string(),
                        "CampaignName": campaign.name,
                        "Description": "MEDIA_PAYOUT",
                        "EventMonthYear": self.month_year(),
                        "Actions": count.to_string(),
                        "NetItemAmount": cents(payout),
                        "VatItemAmount": cents(0),
                        "TotalItemAmount": cents(payout),
                        "Status": if paid { "PAID" } else { "PENDING" },
                        "DueDate": self.due.to_string(),
                        "PaidDate": date(paid.then_some(self.due)),
                    })
                })
                .collect(),
        )
    }

    fn detailed(&self, cx: &Cx<'_>) -> Value {
        Value::Array(
            self.lines(cx)
                .into_iter()
                .map(|(c, _, payout)| {
                    let campaign = cx.world.campaign(c);
                    json!({
                        "AccountId": campaign.advertiser_id.to_string(),
                        "Name": campaign.advertiser,
                        "ProgramId": campaign.id.to_string(),
                        "ProgramName": campaign.name,
                        "EventMonthYear": self.month_year(),
                        "ActionAmount": cents(payout),
                        "OtherAmount": cents(0),
                        "TotalAmount": cents(payout),
                    })
                })
                .collect(),
        )
    }

    fn partner(&self, cx: &Cx<'_>) -> u64 {
        self.month.unsigned_abs() % cx.world.counts.media_partners.max(1)
    }
}

/// The attributes both APIs' invoices share.
static INVOICE: &[Attr<Invoice>] = &[
    text("Id", |i, cx| i.id(cx)),
    text("CreatedDate", |i, _| i.created.to_string()),
    lit("Currency", "USD"),
    text("TotalAmount", |i, cx| cents(i.total(cx))),
    text("TotalVatAmount", |_, _| cents(0)),
    json("LineItems", |i, cx| i.line_items(cx)),
    json("DetailedLineItems", |i, cx| i.detailed(cx)),
    text("PDF", |i, cx| {
        format!("{}/Invoices/{}/Download", cx.root, i.id(cx))
    }),
    text("Uri", |i, cx| format!("{}/Invoices/{}", cx.root, i.id(cx))),
];

/// The Partner invoice.
static PARTNER_INVOICE: &[Attr<Invoice>] = &[
    also(INVOICE),
    text("RecipientId", |_, cx| {
        (1_924_609 + cx.world.seed % 1_000).to_string()
    }),
    lit("RecipientName", "Mock Media LLC"),
];

/// The Brand invoice.
static BRAND_INVOICE: &[Attr<Invoice>] = &[
    also(INVOICE),
    text("MediaId", |i, cx| {
        (FIRST_PARTNER_ID + i.partner(cx)).to_string()
    }),
    text("MediaName", |i, cx| cx.world.partner(i.partner(cx)).name),
];

fn invoices(cx: &Cx<'_>) -> Generated {
    let attrs = match cx.api {
        Api::Partner => PARTNER_INVOICE,
        Api::Brand => BRAND_INVOICE,
    };
    let mut generated = Generated::default();
    let months = cx.now.since(EPOCH).max(0) / (28 * DAY) + 2;
    let mut invoices: Vec<Invoice> = (0..months)
        .map(|month| Invoice::new(cx, month))
        .filter(|invoice| {
            let issued = invoice.created <= cx.now;
            if !issued {
                generated.changes_at(Some(invoice.created), cx.now);
            }
            issued
        })
        .collect();
    invoices.reverse();
    for invoice in &invoices {
        generated.changes_at(Some(invoice.due), cx.now);
        generated.items.push(build(attrs, invoice, cx));
    }
    generated
}

pub(crate) const PARTNER: Row = Row {
    resource: Resource::Invoices,
    api: Api::Partner,
    path: "Invoices",
    list: true,
    item: true,
    list_key: "Invoices",
    item_element: "Invoice",
    id_attr: "Id",
    parent: None,
    source: "Partner Invoice (11) with LineItem (11) and DetailedLineItem (8) from OAS \
             impact-partner-invoices-v16.yaml; Brand Invoice (11) from OAS \
             impact-brand-invoices-v14.yaml; newest first (resources.md 3.13)",
    filters: &[
        from(&["StartDate"], "CreatedDate"),
        to(&["EndDate"], "CreatedDate"),
    ],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(invoices),
};

pub(crate) const BRAND: Row = Row {
    api: Api::Brand,
    ..PARTNER
};
