//! What the Brand API tracks partners' traffic with: phone numbers, unique URLs, the
//! requests partners make for tracking values, and conversion paths.
//!
//! Attributes: `PhoneNumber` (8) from OAS `impact-brand-phonenumbers-v14.yaml`;
//! `UniqueUrl` (12) from DOC-B `the-unique-url-object` (not in the mirrored OAS);
//! `TrackingValueRequest` (58) with its nested lists from OAS
//! `impact-brand-trackingvaluerequests-v14.yaml`, plus the older nested names
//! `ApprovedCode`/`RequestedCode` tap-impact reads; `ConversionPath` from DOC-B
//! `the-conversion-path-object` with the event attributes of tap-impact's schema
//! (`resources.md` §3.18-3.21, `connectors.md` §1.10).

use serde_json::{Map, Value, json};

use super::common::{Thing, run};
use super::deals::{Deal, REPEATED_TERMS, deal_of_campaign};
use crate::Resource;
use crate::attrs::{Attr, Cx, Entity, build, cents, date, json, named, named_each, strings, text};
use crate::rng::{Draw, mix, tag};
use crate::table::{Api, Data, Generated, Group, PAGES, Parent, Row, eq, from};
use crate::time::{DAY, Timestamp};
use crate::world::entities::{FIRST_CAMPAIGN_ID, FIRST_PARTNER_ID};
use crate::world::timeline::EPOCH;

static PHONE_NUMBER: &[Attr<Thing>] = &[
    text("Id", |p, _| (12_345 + p.n).to_string()),
    crate::attrs::lit("Country", "US"),
    text("Number", |p, _| format!("805{:07}", 1_230_000 + p.n * 7)),
    text("InternationalNumber", |p, _| {
        let number = 1_230_000 + p.n * 7;
        format!("+1 805 {} {}", number / 10_000, number % 10_000)
    }),
    text("DateCreated", |p, _| p.created.to_string()),
    text("LastDateAssigned", |p, cx| {
        date(assigned(p, cx.now).map(|r| r.start))
    }),
    text("LastDateReleased", |p, cx| date(released(p, cx.now))),
    text("Uri", |p, cx| {
        format!("{}/PhoneNumbers/{}", cx.root, 12_345 + p.n)
    }),
];

/// Numbers and URLs are assigned to a partner 60 days in every 90.
fn assigned(thing: &Thing, now: Timestamp) -> Option<super::common::Run> {
    let run = run(thing.draw_for("assigned"), now, (90, 60));
    (run.start >= thing.created).then_some(run)
}

fn released(thing: &Thing, now: Timestamp) -> Option<Timestamp> {
    let run = assigned(thing, now)?;
    if run.active {
        // Released at the end of the previous assignment.
        let previous = run.start.plus(-30 * DAY);
        (previous > thing.created).then_some(previous)
    } else {
        Some(run.end)
    }
}

fn phone_numbers(cx: &Cx<'_>) -> Generated {
    let mut generated = Generated::default();
    for n in 0..cx.world.counts.phone_numbers {
        let thing = Thing::new(cx.world, "PhoneNumber", n);
        generated.changes_at(assigned(&thing, cx.now).map(|r| r.next_change), cx.now);
        generated.items.push(build(PHONE_NUMBER, &thing, cx));
    }
    generated
}

fn url_state(url: &Thing, now: Timestamp) -> &'static str {
    if url.n % 9 == 8 {
        "QUARANTINE"
    } else if assigned(url, now).is_some_and(|run| run.active) {
        "INUSE"
    } else {
        "AVAILABLE"
    }
}

fn url_partner(url: &Thing, cx: &Cx<'_>) -> Option<u64> {
    let mut draw = url.draw_for("partner");
    (url_state(url, cx.now) == "INUSE").then(|| cx.world.partner_of(url.campaign, &mut draw))
}

static UNIQUE_URL: &[Attr<Thing>] = &[
    text("Id", |u, _| format!("{:05}", u.n + 1)),
    text("Url", |u, cx| {
        format!("{}/r/{:06x}", u.campaign(cx).url(), mix(u.n) & 0xFF_FFFF)
    }),
    text("LandingPage", |u, cx| u.campaign(cx).url()),
    text("CampaignId", |u, cx| u.campaign(cx).id.to_string()),
    text("CampaignName", |u, cx| u.campaign(cx).name.clone()),
    text("State", |u, cx| url_state(u, cx.now).to_owned()),
    text("MediaPartnerId", |u, cx| {
        url_partner(u, cx)
            .map(|p| (FIRST_PARTNER_ID + p).to_string())
            .unwrap_or_default()
    }),
    text("MediaPartnerName", |u, cx| {
        url_partner(u, cx)
            .map(|p| cx.world.partner(p).name)
            .unwrap_or_default()
    }),
    text("DateCreated", |u, _| u.created.to_string()),
    text("DateLastAssigned", |u, cx| {
        date(assigned(u, cx.now).map(|r| r.start))
    }),
    text("DateLastReleased", |u, cx| date(released(u, cx.now))),
    text("Uri", |u, cx| {
        format!("{}/UniqueUrls/{:05}", cx.root, u.n + 1)
    }),
];

fn unique_urls(cx: &Cx<'_>) -> Generated {
    let mut generated = Generated::default();
    for n in 0..cx.world.counts.unique_urls {
        let thing = Thing::new(cx.world, "UniqueUrl", n);
        generated.changes_at(assigned(&thing, cx.now).map(|r| r.next_change), cx.now);
        generated.items.push(build(UNIQUE_URL, &thing, cx));
    }
    generated
}

/// A partner's request for a tracking value: new, approved a few days later, completed
/// (or declined).
pub(crate) struct Request {
    n: u64,
    campaign: u64,
    partner: u64,
    kind: &'static str,
    placed: Timestamp,
    approved: Timestamp,
    completed: Timestamp,
    declined: bool,
    deal: Option<Deal>,
    draw: Draw,
}

impl Entity for Request {
    fn draw(&self) -> Draw {
        self.draw
    }
}

impl Request {
    fn state(&self, now: Timestamp) -> &'static str {
        match (self.declined, now >= self.approved, now >= self.completed) {
            (_, false, _) => "NEW",
            (true, true, _) => "DECLINED",
            (false, true, false) => "APPROVED",
            (false, true, true) => "COMPLETED",
        }
    }

    fn code(&self, cx: &Cx<'_>) -> String {
        format!(
            "{}{}",
            super::deals::deal_of_campaign(cx.world, self.campaign, 0, cx.now)
                .map(|deal| deal.code(cx))
                .unwrap_or_else(|| "PARTNER".to_owned()),
            self.n % 90 + 10
        )
    }
}

fn request_deal_field(request: &Request, cx: &Cx<'_>, name: &'static str) -> String {
    request
        .deal
        .as_ref()
        .map(|deal| deal.repeated_field(cx, name))
        .unwrap_or_default()
}

static TRACKING_VALUE_REQUEST: &[Attr<Request>] = &[
    text("Id", |r, _| (55_000 + r.n).to_string()),
    text("CampaignId", |r, _| {
        (FIRST_CAMPAIGN_ID + r.campaign).to_string()
    }),
    text("CampaignName", |r, cx| {
        cx.world.campaign(r.campaign).name.clone()
    }),
    text("MediaPartnerId", |r, _| {
        (FIRST_PARTNER_ID + r.partner).to_string()
    }),
    text("MediaPartnerName", |r, cx| cx.world.partner(r.partner).name),
    text("RequestType", |r, _| r.kind.to_owned()),
    text("NumberRequested", |_, _| "1".to_owned()),
    json("PromoCodes", |r, cx| {
        if r.kind != "PROMOCODE_TRACKING" {
            return json!([]);
        }
        let done = r.state(cx.now) == "COMPLETED";
        let code = r.code(cx);
        json!([{"Id": (1_000 + r.n).to_string(), "RequestedPromoCode": code,
                "ApprovedPromoCode": if done { code.clone() } else { String::new() },
                "CreditPolicy": "WINNER", "MatchMode": "LI",
                "RequestedCode": code,
                "ApprovedCode": if done { code.clone() } else { String::new() }}])
    }),
    json("UniqueUrls", |r, cx| {
        if r.kind != "BRANDED_URL_TRACKING" || r.state(cx.now) != "COMPLETED" {
            return json!([]);
        }
        let url = format!(
            "{}/r/{:06x}",
            cx.world.campaign(r.campaign).url(),
            mix(r.n) & 0xFF_FFFF
        );
        json!([{"Id": (2_000 + r.n).to_string(), "Url": url, "UrlId": (2_000 + r.n).to_string()}])
    }),
    json("PhoneNumbers", |r, cx| {
        if r.kind != "PHONE_NUMBER_TRACKING" || r.state(cx.now) != "COMPLETED" {
            return json!([]);
        }
        json!([{"Id": (3_000 + r.n).to_string(), "AssignedPhoneNumberId": (12_345 + r.n).to_string(),
                "AssignedPhoneNumber": format!("+1 805 123 {:04}", r.n % 10_000)}])
    }),
    text("State", |r, cx| r.state(cx.now).to_owned()),
    text("DatePlaced", |r, _| r.placed.to_string()),
    text("DateNeeded", |r, _| {
        r.placed.plus(14 * DAY).local_midnight().to_string()
    }),
    text("DateCompleted", |r, cx| {
        date((r.state(cx.now) == "COMPLETED").then_some(r.completed))
    }),
    text("AdditionalInstructions", |_, _| {
        "Please activate before the campaign starts.".to_owned()
    }),
    text("ProcessingComments", |r, cx| match r.state(cx.now) {
        "COMPLETED" => "Approved.".to_owned(),
        "DECLINED" => "Code already in use.".to_owned(),
        _ => String::new(),
    }),
    named_each(REPEATED_TERMS, request_deal_field),
    json("DealProducts", |r, cx| {
        r.deal
            .as_ref()
            .map_or_else(|| json!([]), |d| d.products(cx))
    }),
    named("SynchAdsPromoCodes", request_deal_field),
    json("DealRestrictedMediaPartners", |_, _| strings([])),
    json("DealRestrictedMediaPartnerGroups", |_, _| strings([])),
    text("Uri", |r, cx| {
        format!("{}/TrackingValueRequests/{}", cx.root, 55_000 + r.n)
    }),
];

fn tracking_value_requests(cx: &Cx<'_>) -> Generated {
    let world = cx.world;
    let timeline = world.timelines.tracking_value_requests;
    let range = timeline.range(world.seed, EPOCH, cx.now);
    let mut generated = Generated::default();
    for n in range.clone() {
        let placed = timeline.at(world.seed, n);
        let mut draw = Draw::new(world.seed, tag("TVR") ^ n);
        let campaign = draw.below(world.counts.campaigns.max(1));
        let approved = placed.plus(draw.between(DAY, 5 * DAY));
        let request = Request {
            n,
            campaign,
            partner: world.partner_of(campaign, &mut draw),
            kind: draw.pick(&[
                "PROMOCODE_TRACKING",
                "PROMOCODE_TRACKING",
                "BRANDED_URL_TRACKING",
                "PHONE_NUMBER_TRACKING",
            ]),
            placed,
            approved,
            completed: approved.plus(draw.between(DAY, 3 * DAY)),
            declined: draw.chance(15),
            deal: deal_of_campaign(world, campaign, 0, cx.now),
            draw,
        };
        generated.changes_at(Some(request.approved), cx.now);
        generated.changes_at(Some(request.completed), cx.now);
        if let Some(deal) = &request.deal {
            generated.changes_at(Some(deal.run.next_change), cx.now);
        }
        generated
            .items
            .push(build(TRACKING_VALUE_REQUEST, &request, cx));
    }
    generated.changes_at(
        Some(timeline.at(world.seed, range.end().wrapping_add(1))),
        cx.now,
    );
    generated
}

/// The attribution models conversion paths are read under (`ModelId` in the path).
const MODELS: &[(&str, &str)] = &[("1", "Last Click"), ("2", "Linear")];

/// The event attributes of a conversion path, as tap-impact's schema reads them.
const EVENT_FIELDS: &[&str] = &[
    "Id",
    "Type",
    "SubType",
    "EventDate",
    "Step",
    "PositionType",
    "SiteVersion",
    "SiteCategory",
    "LandingPage",
    "CustomerStatus",
    "CustomerPostCode",
    "CustomerArea",
    "CustomerCity",
    "CustomerRegion",
    "CustomerCountry",
    "DeviceType",
    "DeviceFamily",
    "Browser",
    "Os",
    "ProfileId",
    "Fingerprint",
    "Platform",
    "MediaId",
    "MediaName",
    "Channel",
    "AdDistributionType",
    "AdCampaign",
    "AdGroup",
    "AdId",
    "AdName",
    "DealName",
    "DealType",
    "DealScope",
    "Keyword",
    "MatchType",
    "TrafficType",
    "AdSiteLocation",
    "SubId1",
    "SubId2",
    "SubId3",
    "SharedId",
    "ReferringUrl",
    "AttributedCredit",
    "AttributedRevenue",
    "ActionId",
    "ActionDate",
    "ActionTrackerId",
    "ActionTrackerName",
    "AppPackageName",
    "AppName",
    "AppVersion",
    "PhoneNumber",
    "Oid",
    "Promocode",
    "Amount",
    "Payout",
    "OrderMargin",
    "OrderDiscount",
    "OrderShipping",
    "OrderTax",
    "OrderVat",
    "OrderSubtotal",
    "Note",
    "Text1",
    "Text2",
    "Text3",
    "Numeric1",
    "Numeric2",
    "Numeric3",
    "Money1",
    "Money2",
    "Money3",
    "Date1",
    "Date2",
    "Date3",
];

/// A conversion path: clicks of partners leading to one conversion.
pub(crate) struct Path {
    thing: Thing,
    model: usize,
}

impl Entity for Path {
    fn draw(&self) -> Draw {
        self.thing.draw
    }
}

impl Path {
    fn steps(&self) -> u64 {
        1 + self.thing.n % 4
    }

    fn revenue(&self) -> i64 {
        2_000 + (mix(self.thing.n) % 30_000) as i64
    }

    fn events(&self, cx: &Cx<'_>) -> Value {
        let campaign = self.thing.campaign(cx);
        let steps = self.steps();
        let credit = cents(10_000 / steps as i64);
        let end = self.thing.created.plus(5 * DAY);
        Value::Array(
            (0..=steps)
                .map(|step| {
                    let conversion = step == steps;
                    let mut event = Map::new();
                    for field in EVENT_FIELDS {
                        event.insert((*field).to_owned(), Value::String(String::new()));
                    }
                    let mut put = |key: &str, value: String| {
                        event.insert(key.to_owned(), Value::String(value));
                    };
                    put("Id", format!("{}-{step}", self.thing.n));
                    put(
                        "Type",
                        if conversion { "Conversion" } else { "Referral" }.to_owned(),
                    );
                    put(
                        "SubType",
                        if conversion { "Sale" } else { "Click" }.to_owned(),
                    );
                    put(
                        "EventDate",
                        end.plus(-((steps - step) as i64) * DAY).to_string(),
                    );
                    put("Step", (step + 1).to_string());
                    put("CustomerCountry", "US".to_owned());
                    put("DeviceType", "DESKTOP".to_owned());
                    if conversion {
                        put("Amount", cents(self.revenue()));
                        put("ActionTrackerId", campaign.tracker_id(0).to_string());
                        put("ActionTrackerName", "Online Sale".to_owned());
                    } else {
                        let mut draw = self.thing.draw.fork(step);
                        let partner = cx.world.partner_of(self.thing.campaign, &mut draw);
                        put("MediaId", (FIRST_PARTNER_ID + partner).to_string());
                        put("MediaName", cx.world.partner(partner).name);
                        put("Channel", "Affiliate".to_owned());
                        put("AttributedCredit", credit.clone());
                        put("LandingPage", campaign.url());
                    }
                    Value::Object(event)
                })
                .collect(),
        )
    }
}

static CONVERSION_PATH: &[Attr<Path>] = &[
    text("CampaignId", |p, cx| p.thing.campaign(cx).id.to_string()),
    text("CampaignName", |p, cx| p.thing.campaign(cx).name.clone()),
    text("Uri", |p, cx| {
        format!(
            "{}/Campaigns/{}/Models/{}/ConversionPaths/{}",
            cx.root,
            p.thing.campaign(cx).id,
            MODELS[p.model].0,
            900_000 + p.thing.n
        )
    }),
    text("ModelId", |p, _| MODELS[p.model].0.to_owned()),
    text("ModelName", |p, _| MODELS[p.model].1.to_owned()),
    text("MediaCount", |p, _| p.steps().min(3).to_string()),
    text("ChannelCount", |_, _| "1".to_owned()),
    text("Latency", |p, _| format!("{}.00", p.steps() * 24)),
    text("Steps", |p, _| (p.steps() + 1).to_string()),
    text("Revenue", |p, _| cents(p.revenue())),
    text("Cost", |p, cx| {
        cents(p.revenue() * p.thing.campaign(cx).payout_bp / 10_000)
    }),
    text("CustomerId", |p, _| (40_000_000 + p.thing.n).to_string()),
    json("Events", |p, cx| p.events(cx)),
    json(
        "ReferralCounts",
        |p, _| json!([{"Type": "Click", "Count": p.steps().to_string()}]),
    ),
];

fn conversion_paths(cx: &Cx<'_>) -> Generated {
    let world = cx.world;
    let mut generated = Generated::default();
    let total = world.counts.campaigns * world.counts.paths_per_campaign;
    for model in 0..MODELS.len() {
        for n in 0..total {
            let path = Path {
                thing: Thing::new(world, "ConversionPath", n),
                model,
            };
            let campaign_id = path.thing.campaign(cx).id.to_string();
            generated.push(
                build(CONVERSION_PATH, &path, cx),
                vec![("CampaignId", campaign_id)],
            );
        }
    }
    generated
}

pub(crate) const PHONE_NUMBERS: Row = Row {
    resource: Resource::PhoneNumbers,
    api: Api::Brand,
    path: "PhoneNumbers",
    list: true,
    item: true,
    list_key: "PhoneNumbers",
    item_element: "PhoneNumber",
    id_attr: "Id",
    parent: None,
    source: "PhoneNumber (8) from OAS impact-brand-phonenumbers-v14.yaml (resources.md 3.18)",
    filters: &[
        eq(&["Id"], "Id"),
        eq(&["Number"], "Number"),
        from(&["LastDateAssigned"], "LastDateAssigned"),
        from(&["LastDateReleased"], "LastDateReleased"),
    ],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(phone_numbers),
};

pub(crate) const UNIQUE_URLS: Row = Row {
    resource: Resource::UniqueUrls,
    path: "UniqueUrls",
    list_key: "UniqueUrls",
    item_element: "UniqueUrl",
    source: "UniqueUrl (12) from DOC-B the-unique-url-object (not in the mirrored OAS) \
             (resources.md 3.19)",
    filters: &[eq(&["CampaignId"], "CampaignId"), eq(&["State"], "State")],
    data: Data::Population(unique_urls),
    ..PHONE_NUMBERS
};

pub(crate) const TRACKING_VALUE_REQUESTS: Row = Row {
    resource: Resource::TrackingValueRequests,
    path: "TrackingValueRequests",
    list_key: "TrackingValueRequests",
    item_element: "TrackingValueRequest",
    source: "TrackingValueRequest (58) from OAS impact-brand-trackingvaluerequests-v14.yaml, plus \
             the older ApprovedCode/RequestedCode tap-impact reads (resources.md 3.20)",
    filters: &[
        eq(&["CampaignId"], "CampaignId"),
        eq(&["DealId"], "DealId"),
        eq(&["MediaPartnerId"], "MediaPartnerId"),
        eq(&["State"], "State"),
        eq(&["RequestType"], "RequestType"),
    ],
    data: Data::Population(tracking_value_requests),
    ..PHONE_NUMBERS
};

pub(crate) const CONVERSION_PATHS: Row = Row {
    resource: Resource::ConversionPaths,
    path: "Campaigns/{CampaignId}/Models/{ModelId}/ConversionPaths",
    item: false,
    list_key: "ConversionPaths",
    item_element: "ConversionPath",
    id_attr: "Uri",
    parent: Some(Parent {
        capture: "CampaignId",
        attr: "CampaignId",
        resource: Resource::Campaigns,
    }),
    source: "ConversionPath from DOC-B the-conversion-path-object (not in the mirrored OAS), \
             events with the attributes tap-impact reads; models 1 (Last Click) and 2 (Linear) \
             (resources.md 3.21)",
    filters: &[],
    data: Data::Population(conversion_paths),
    ..PHONE_NUMBERS
};
