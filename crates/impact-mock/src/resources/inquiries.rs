//! Action inquiries: partners' claims for actions that were not tracked or were wrong. They
//! arrive over time and are resolved (`VALID` or `DECLINED`) some days later; partners can
//! file new ones (`POST /ActionInquiries`).
//!
//! Attributes: Partner `ActionInquiry` (24) with `Comment` (3) from OAS
//! `impact-partner-actioninquiries-v16.yaml`; Brand `ActionInquiry` (22) with `Comments` from
//! OAS `impact-brand-actioninquiries-v14.yaml` (`resources.md` §3.12). Newest created first;
//! Brand lists need `CampaignId`. No window rule is documented, so none is enforced.

use serde_json::{Value, json};

use crate::Resource;
use crate::attrs::{Attr, Cx, Entity, also, build, cents, date, empty, json, text};
use crate::rng::{Draw, tag};
use crate::table::{Api, Data, Generated, Group, PAGES, Row, Rule, eq, from, to};
use crate::time::{DAY, Timestamp};
use crate::world::entities::{FIRST_CAMPAIGN_ID, FIRST_PARTNER_ID};
use crate::world::timeline::EPOCH;

/// An inquiry and the facts of its life.
pub(crate) struct Inquiry {
    id: String,
    campaign: u64,
    partner: u64,
    order: String,
    amount: i64,
    transaction: Timestamp,
    created: Timestamp,
    resolved: Timestamp,
    valid: bool,
    draw: Draw,
}

impl Entity for Inquiry {
    fn draw(&self) -> Draw {
        self.draw
    }
}

impl Inquiry {
    fn is_resolved(&self, now: Timestamp) -> bool {
        now >= self.resolved
    }

    fn status(&self, now: Timestamp) -> &'static str {
        match (self.is_resolved(now), self.valid) {
            (false, _) => "UNRESOLVED",
            (true, true) => "VALID",
            (true, false) => "DECLINED",
        }
    }

    fn expected(&self, cx: &Cx<'_>) -> i64 {
        self.amount * cx.world.campaign(self.campaign).payout_bp / 10_000
    }

    fn comments(&self, cx: &Cx<'_>) -> Value {
        let mut comments = vec![json!({"User": cx.world.partner(self.partner).name,
            "Comment": "Order placed through our link; please review.",
            "Date": self.created.to_string()})];
        if self.is_resolved(cx.now) {
            comments.push(json!({"User": "Brand Team",
                "Comment": if self.valid { "Approved, action created." } else { "Not eligible." },
                "Date": self.resolved.to_string()}));
        }
        Value::Array(comments)
    }
}

fn generated_inquiry(cx: &Cx<'_>, n: u64) -> Inquiry {
    let world = cx.world;
    let created = world.timelines.inquiries.at(world.seed, n);
    let mut draw = Draw::new(world.seed, tag("Inquiry") ^ n);
    let campaign = draw.below(world.counts.campaigns.max(1));
    let partner = world.partner_of(campaign, &mut draw);
    Inquiry {
        id: (15_000_000 + n).to_string(),
        campaign,
        partner,
        order: format!("ORD-{}", 100_000 + n),
        amount: draw.between(1_000, 40_000),
        transaction: created.plus(-draw.between(DAY, 30 * DAY)),
        created,
        resolved: created.plus(draw.between(3 * DAY, 25 * DAY)),
        valid: draw.chance(60),
        draw,
    }
}

/// The attributes both APIs' inquiries share (the Brand reference's order).
static INQUIRY: &[Attr<Inquiry>] = &[
    text("Id", |i, _| i.id.clone()),
    text("CampaignId", |i, _| {
        (FIRST_CAMPAIGN_ID + i.campaign).to_string()
    }),
    text("CampaignName", |i, cx| {
        cx.world.campaign(i.campaign).name.clone()
    }),
    text("OrderId", |i, _| i.order.clone()),
    text("TransactionDate", |i, _| i.transaction.to_string()),
    text("TransactionAmount", |i, _| cents(i.amount)),
    text("InquiryType", |i, _| {
        if i.draw.fork(1).chance(70) {
            "UNTRACKED"
        } else {
            "INCORRECT"
        }
        .to_owned()
    }),
    text("ExpectedPayout", |i, cx| cents(i.expected(cx))),
    text("ResolutionDeadlineDate", |i, _| {
        i.created.plus(30 * DAY).local_midnight().to_string()
    }),
    json("Comments", |i, cx| i.comments(cx)),
    empty("TrackingLink"),
    text("ActionId", action_id),
    text("ActionUri", action_uri),
    text("AutoApprovalDate", |i, _| {
        i.created.plus(30 * DAY).local_midnight().to_string()
    }),
    text("ResolutionStatus", |i, cx| i.status(cx.now).to_owned()),
    text("RejectReason", reject_reason),
    text("FinalPayout", final_payout),
    text("ResolutionDate", |i, cx| {
        date(i.is_resolved(cx.now).then_some(i.resolved))
    }),
    text("CreationDate", |i, _| i.created.to_string()),
    text("Uri", |i, cx| {
        format!("{}/ActionInquiries/{}", cx.root, i.id)
    }),
];

/// The Partner inquiry: the shared attributes and four of its own.
static PARTNER_INQUIRY: &[Attr<Inquiry>] = &[
    also(INQUIRY),
    empty("MediaPartnerInquiryId"),
    empty("CustomerId"),
    text("InquiryDate", |i, _| i.created.to_string()),
    empty("InquiryNotes"),
];

/// The Brand inquiry: the shared attributes and the partner it came from.
static BRAND_INQUIRY: &[Attr<Inquiry>] = &[
    also(INQUIRY),
    text("MediaPartnerId", |i, _| {
        (FIRST_PARTNER_ID + i.partner).to_string()
    }),
    text("MediaPartnerName", |i, cx| cx.world.partner(i.partner).name),
];

/// A valid inquiry's action is credited when it is resolved: its id names the inquiry.
fn action_id(inquiry: &Inquiry, cx: &Cx<'_>) -> String {
    if inquiry.status(cx.now) == "VALID" {
        format!(
            "{}.4900.{}",
            FIRST_CAMPAIGN_ID + inquiry.campaign,
            inquiry.id
        )
    } else {
        String::new()
    }
}

fn action_uri(inquiry: &Inquiry, cx: &Cx<'_>) -> String {
    let id = action_id(inquiry, cx);
    if id.is_empty() {
        id
    } else {
        format!("{}/Actions/{id}", cx.root)
    }
}

fn reject_reason(inquiry: &Inquiry, cx: &Cx<'_>) -> String {
    if inquiry.status(cx.now) == "DECLINED" {
        "Another marketing channel was credited with the sale".to_owned()
    } else {
        String::new()
    }
}

fn final_payout(inquiry: &Inquiry, cx: &Cx<'_>) -> String {
    match inquiry.status(cx.now) {
        "VALID" => cents(inquiry.expected(cx)),
        "DECLINED" => cents(0),
        _ => String::new(),
    }
}

fn inquiries(cx: &Cx<'_>) -> Generated {
    let world = cx.world;
    let attrs = match cx.api {
        Api::Partner => PARTNER_INQUIRY,
        Api::Brand => BRAND_INQUIRY,
    };
    let timeline = world.timelines.inquiries;
    let range = timeline.range(world.seed, EPOCH, cx.now);
    let mut all: Vec<Inquiry> = range.clone().map(|n| generated_inquiry(cx, n)).collect();
    for (index, written) in world.overlay().inquiries.iter().enumerate() {
        let mut draw = Draw::new(world.seed, tag("WrittenInquiry") ^ index as u64);
        all.push(Inquiry {
            id: super::written_inquiry_id(index),
            campaign: written.campaign,
            partner: world.partner_of(written.campaign, &mut draw),
            order: written.order_id.clone(),
            amount: written.amount,
            transaction: written.transaction,
            created: written.created,
            resolved: written.created.plus(draw.between(3 * DAY, 25 * DAY)),
            valid: draw.chance(60),
            draw,
        });
    }
    all.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
    let mut generated = Generated::default();
    for inquiry in &all {
        generated.changes_at(Some(inquiry.resolved), cx.now);
        generated.items.push(build(attrs, inquiry, cx));
    }
    generated.changes_at(
        Some(timeline.at(world.seed, range.end().wrapping_add(1))),
        cx.now,
    );
    generated
}

pub(crate) const PARTNER: Row = Row {
    resource: Resource::ActionInquiries,
    api: Api::Partner,
    path: "ActionInquiries",
    list: true,
    item: true,
    list_key: "ActionInquiries",
    item_element: "ActionInquiry",
    id_attr: "Id",
    parent: None,
    source: "Partner ActionInquiry (24) from OAS impact-partner-actioninquiries-v16.yaml; Brand \
             ActionInquiry (22) from OAS impact-brand-actioninquiries-v14.yaml; newest created \
             first (resources.md 3.12)",
    filters: &[
        eq(&["CampaignId"], "CampaignId"),
        eq(&["MediaPartnerInquiryId"], "MediaPartnerInquiryId"),
        eq(&["CustomerId"], "CustomerId"),
        eq(&["ResolutionStatus"], "ResolutionStatus"),
        from(&["StartDate"], "CreationDate"),
        to(&["EndDate"], "CreationDate"),
        from(&["TransactionDateStart"], "TransactionDate"),
        to(&["TransactionDateEnd"], "TransactionDate"),
    ],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(inquiries),
};

pub(crate) const BRAND: Row = Row {
    api: Api::Brand,
    filters: &[
        eq(&["CampaignId"], "CampaignId"),
        eq(&["MediaPartnerId"], "MediaPartnerId"),
        eq(&["OrderId"], "OrderId"),
        eq(&["ResolutionStatus"], "ResolutionStatus"),
        from(&["StartDate"], "CreationDate"),
        to(&["EndDate"], "CreationDate"),
        from(&["TransactionDateStart"], "TransactionDate"),
        to(&["TransactionDateEnd"], "TransactionDate"),
    ],
    rules: &[Rule::Required("CampaignId")],
    ..PARTNER
};
