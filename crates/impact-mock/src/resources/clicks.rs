//! Clicks: by id (Partner `/Clicks/{Id}`, Brand `/Campaigns/{Id}/Clicks/{ClickId}`), the
//! rows of `ClickExport` jobs, and the legacy Partner `/Clicks` list that
//! tap-impactradius still reads (served under `Rules::Legacy` only).
//!
//! Attributes: Partner and Brand `Click` (36 each, with `BrandRelated` and `PartnerRelated`)
//! from OAS `impact-partner-clicks-v16.yaml` and `impact-brand-clicks-v14.yaml`
//! (`resources.md` §3.24); the legacy list's 37 flat attributes are the ones
//! tap-impactradius requires (`connectors.md` §2.5).

use serde_json::{Value, json};

use crate::Resource;
use crate::attrs::{Attr, Cx, Entity, also, build, empty, json, lit, pick, text};
use crate::rng::{Draw, mix, tag};
use crate::table::{Api, Applied, Data, Group, Parent, Row, Stream, Wanted, eq, from, to};
use crate::time::Timestamp;
use crate::world::entities::FIRST_PARTNER_ID;
use crate::world::names;
use crate::world::timeline::THREE_YEARS;

/// One click.
pub(crate) struct Click {
    pub(crate) n: u64,
    pub(crate) at: Timestamp,
    pub(crate) campaign: u64,
    pub(crate) partner: u64,
    pub(crate) ad: u64,
    pub(crate) unique: bool,
    draw: Draw,
}

impl Entity for Click {
    fn draw(&self) -> Draw {
        self.draw
    }
}

impl Click {
    pub(crate) fn id(&self) -> String {
        format!("{:06X}{}", mix(self.n ^ 0xC11C) & 0xFF_FFFF, self.n)
    }

    fn place(&self) -> (&'static str, &'static str, &'static str, &'static str) {
        let cities = names::CITIES;
        cities[(mix(self.n ^ 0x91AC) % cities.len() as u64) as usize]
    }

    fn referring_domain(&self) -> &'static str {
        let domains = &names::DOMAINS[..names::DOMAINS.len() - 1];
        domains[(mix(self.n ^ 0x0D0) % domains.len() as u64) as usize]
    }
}

/// Click number `n`.
pub(crate) fn click(cx: &Cx<'_>, n: u64) -> Click {
    let world = cx.world;
    let at = world.timelines.clicks.at(world.seed, n);
    let mut draw = Draw::new(world.seed, tag("Click") ^ n);
    let campaigns = world.counts.campaigns.max(1);
    let campaign = draw.below(campaigns);
    let partner = world.partner_of(campaign, &mut draw);
    let ads = world.counts.ads.max(1);
    let ad = (campaign + campaigns * draw.below(ads.div_ceil(campaigns).max(1))) % ads;
    Click {
        n,
        at,
        campaign,
        partner,
        ad,
        unique: draw.chance(80),
        draw,
    }
}

fn click_by_id(cx: &Cx<'_>, id: &str) -> Option<Click> {
    let n: u64 = id.get(6..)?.parse().ok()?;
    let click = click(cx, n);
    (click.id() == id && exists(&click, cx.now)).then_some(click)
}

fn exists(click: &Click, now: Timestamp) -> bool {
    click.at <= now && click.at >= now.plus(-THREE_YEARS)
}

fn campaign_id(click: &Click, cx: &Cx<'_>) -> String {
    cx.world.campaign(click.campaign).id.to_string()
}

fn landing(click: &Click, cx: &Cx<'_>) -> String {
    format!("{}/?irgwc=1", cx.world.campaign(click.campaign).url())
}

const AD_TYPES: &[&str] = &["BANNER", "TEXT_LINK", "COUPON"];
const DEVICES: &[&str] = &["DESKTOP", "PHONE", "TABLET"];
const BROWSERS: &[&str] = &["CHROME", "CHROME_MOBILE", "SAFARI", "FIREFOX", "EDGE"];
const SYSTEMS: &[&str] = &["ANDROID", "IOS", "WINDOWS_10", "LINUX"];

static BRAND_RELATED: &[Attr<Click>] = &[
    empty("AdCampaign"),
    empty("AdGroup"),
    empty("Keyword"),
    empty("MatchType"),
    pick("Channel", &["", "GOOGLE_SHOPPING"]),
];

/// Where a click came from: the attributes all three click shapes share.
static CLICK_SOURCE: &[Attr<Click>] = &[
    text("Id", |c, _| c.id()),
    text("CampaignId", campaign_id),
    text("CampaignName", |c, cx| {
        cx.world.campaign(c.campaign).name.clone()
    }),
    text("ProfileId", |c, _| {
        format!("{:08x}-{:04x}", mix(c.n), c.n % 0xFFFF)
    }),
    text("EventDate", |c, _| c.at.to_string()),
    text("MediaId", |c, _| (FIRST_PARTNER_ID + c.partner).to_string()),
    text("MediaName", |c, cx| cx.world.partner(c.partner).name),
    text("AdId", |c, _| (500_000 + c.ad).to_string()),
    text("AdName", |c, _| format!("Ad {}", c.ad + 1)),
    pick("AdType", AD_TYPES),
    empty("ProductSku"),
    empty("DealName"),
    empty("DealType"),
    empty("DealScope"),
];

/// Who clicked and where they landed: the attributes all three click shapes share.
static CLICK_VISIT: &[Attr<Click>] = &[
    text("CustomerArea", |c, _| c.place().3.to_owned()),
    text("CustomerCity", |c, _| c.place().0.to_owned()),
    text("CustomerRegion", |c, _| c.place().1.to_owned()),
    text("CustomerCountry", |c, _| c.place().2.to_owned()),
    pick("DeviceType", DEVICES),
    pick(
        "DeviceFamily",
        &["WINDOWS_MACHINE", "APPLE_MAC", "IPHONE", "UNKNOWN"],
    ),
    pick("Browser", BROWSERS),
    pick("Os", SYSTEMS),
    text("ReferringUrl", |c, _| {
        format!("https://{}/", c.referring_domain())
    }),
    text("ReferringDomain", |c, _| c.referring_domain().to_owned()),
    text("LandingPageUrl", landing),
    empty("SharedId"),
    empty("BidKeyword"),
    empty("SearchText"),
    lit("Payout", "0.00"),
    text("UniqueClick", |c, _| {
        crate::attrs::bool_text(c.unique).to_owned()
    }),
];

/// The Partner click (the shared runs stand where the reference starts them).
static PARTNER_CLICK: &[Attr<Click>] = &[
    also(CLICK_SOURCE),
    empty("IpAddress"),
    json("BrandRelated", |c, cx| {
        Value::Array(vec![build(BRAND_RELATED, c, cx)])
    }),
    also(CLICK_VISIT),
    lit("TrafficCategory", "Content"),
    text("TrafficSource", |c, _| c.referring_domain().to_owned()),
    json(
        "PartnerRelated",
        |_, _| json!([{"SubId1": "", "SubId2": "", "SubId3": ""}]),
    ),
    empty("CpcBid"),
];

/// The Brand click: the visitor's address is hashed, the related objects are single objects.
static BRAND_CLICK: &[Attr<Click>] = &[
    also(CLICK_SOURCE),
    text("IpAddress", |c, _| {
        format!(
            "{:032x}",
            u128::from(mix(c.n)) << 64 | u128::from(mix(!c.n))
        )
    }),
    json("BrandRelated", |c, cx| build(BRAND_RELATED, c, cx)),
    also(CLICK_VISIT),
    lit("CpcBid", "0.0"),
    json(
        "PartnerRelated",
        |_, _| json!({"SubId1": "", "SubId2": "", "SubId3": ""}),
    ),
    lit("TrafficCategory", "AFFILIATE"),
    lit("TrafficSource", "CONTENT"),
];

/// The flat click of the legacy list (tap-impactradius's 37 required attributes).
static LEGACY_CLICK: &[Attr<Click>] = &[
    also(CLICK_SOURCE),
    empty("IpAddress"),
    also(CLICK_VISIT),
    empty("SubId1"),
    empty("SubId2"),
    empty("SubId3"),
    lit("TrafficCategory", "Content"),
    text("TrafficSource", |c, _| c.referring_domain().to_owned()),
    lit("CpcBid", "0.00"),
];

/// The clicks of a span that pass the filters, newest first.
pub(crate) fn select_clicks(cx: &Cx<'_>, filters: &[Applied]) -> Vec<u64> {
    let mut low = cx.now.plus(-THREE_YEARS);
    let mut high = cx.now;
    for filter in filters {
        if let (Wanted::At(at), "EventDate") = (&filter.wanted, filter.attr) {
            match filter.op {
                crate::table::Op::From => low = low.max(*at),
                _ => high = high.min(*at),
            }
        }
    }
    let world = cx.world;
    let range = world.timelines.clicks.range(world.seed, low, high);
    range
        .rev()
        .filter(|n| {
            let click = click(cx, *n);
            filters.iter().all(|filter| match filter.attr {
                "CampaignId" => filter.accepts_text(&campaign_id(&click, cx)),
                "MediaId" => filter.accepts_text(&(FIRST_PARTNER_ID + click.partner).to_string()),
                "AdId" => filter.accepts_text(&(500_000 + click.ad).to_string()),
                "UniqueClick" => filter.accepts_text(crate::attrs::bool_text(click.unique)),
                _ => true,
            })
        })
        .collect()
}

/// A click as an export row (the legacy flat form, `ProgramId` for `CampaignId`).
pub(crate) fn export_row(cx: &Cx<'_>, n: u64) -> Value {
    let click = click(cx, n);
    let mut row = build(LEGACY_CLICK, &click, cx);
    if let Value::Object(map) = &mut row {
        if let Some(id) = map.remove("CampaignId") {
            map.insert("ProgramId".into(), id);
        }
        if let Some(name) = map.remove("CampaignName") {
            map.insert("ProgramName".into(), name);
        }
    }
    row
}

/// Clicks made on demand.
struct Clicks {
    legacy: bool,
}

impl Stream for Clicks {
    fn select(&self, cx: &Cx<'_>, filters: &[Applied]) -> (Vec<u64>, Option<Timestamp>) {
        let keys = select_clicks(cx, filters);
        let world = cx.world;
        let next = world.timelines.clicks.at(
            world.seed,
            world
                .timelines
                .clicks
                .range(world.seed, cx.now, cx.now.plus(1))
                .start()
                .to_owned(),
        );
        (keys, Some(next.max(cx.now.plus(1))))
    }

    fn item(&self, cx: &Cx<'_>, key: u64) -> Option<Value> {
        let click = click(cx, key);
        if !exists(&click, cx.now) {
            return None;
        }
        let attrs = match (self.legacy, cx.api) {
            (true, _) => LEGACY_CLICK,
            (false, Api::Partner) => PARTNER_CLICK,
            (false, Api::Brand) => BRAND_CLICK,
        };
        Some(build(attrs, &click, cx))
    }

    fn find(&self, cx: &Cx<'_>, parent: &[Applied], id: &str) -> Option<u64> {
        let click = click_by_id(cx, id)?;
        let id = campaign_id(&click, cx);
        parent
            .iter()
            .all(|filter| filter.accepts_text(&id))
            .then_some(click.n)
    }
}

const SOURCE: &str = "Partner and Brand Click (36) from OAS impact-partner-clicks-v16.yaml and \
    impact-brand-clicks-v14.yaml (resources.md 3.24)";

pub(crate) const PARTNER: Row = Row {
    resource: Resource::Clicks,
    api: Api::Partner,
    path: "Clicks",
    list: false,
    item: true,
    list_key: "Clicks",
    item_element: "Click",
    id_attr: "Id",
    parent: None,
    source: SOURCE,
    filters: &[],
    rules: &[],
    pages: crate::table::PAGES,
    group: Group::PerformanceDetail,
    data: Data::Stream(&Clicks { legacy: false }),
};

/// The legacy list, flat attributes, `StartDate`/`EndDate` on the click's date.
pub(crate) const PARTNER_LEGACY_LIST: Row = Row {
    list: true,
    item: false,
    source: "the legacy Partner /Clicks list: the 37 flat attributes tap-impactradius requires \
             (connectors.md 2.5); served under Rules::Legacy only",
    filters: &[
        from(&["StartDate"], "EventDate"),
        to(&["EndDate"], "EventDate"),
        eq(&["CampaignId"], "CampaignId"),
    ],
    data: Data::Stream(&Clicks { legacy: true }),
    ..PARTNER
};

pub(crate) const BRAND: Row = Row {
    api: Api::Brand,
    path: "Campaigns/{CampaignId}/Clicks",
    parent: Some(Parent {
        capture: "CampaignId",
        attr: "CampaignId",
        resource: Resource::Campaigns,
    }),
    group: Group::Other,
    ..PARTNER
};
