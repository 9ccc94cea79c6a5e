//! Ads (creatives): banners, text links and coupons of the campaigns, some tied to a deal.
//!
//! Attributes: Partner `Ad` (68) with `DealProducts` from OAS `impact-partner-ads-v16.yaml`;
//! Brand `Ad` (75) with `MobileFallbacks` from OAS `impact-brand-ads-v14.yaml`
//! (`resources.md` §3.3); tap-impact's `ads` schema reads 72 of the Brand names. Brand ads
//! are listed newest created first (the reference); Partner ads by id.

use serde_json::{Value, json};

use super::common::Thing;
use super::deals::{Deal, REPEATED_TERMS, deal_of_campaign};
use crate::Resource;
use crate::attrs::{
    Attr, Cx, Entity, also, empty, flag, json, lit, named, named_each, pick, strings, text,
};
use crate::rng::Draw;
use crate::table::{Api, Data, Generated, Group, PAGES, Row, eq, from, to};
use crate::time::Timestamp;
use crate::world::names::slug;

/// An ad as of one instant, with the deal it carries, if any.
pub(crate) struct Ad {
    thing: Thing,
    deal: Option<Deal>,
    now: Timestamp,
}

impl Entity for Ad {
    fn draw(&self) -> Draw {
        self.thing.draw
    }
}

impl Ad {
    fn id(&self) -> u64 {
        500_000 + self.thing.n
    }

    fn kind(&self) -> &'static str {
        match (&self.deal, self.thing.n % 2) {
            (Some(_), _) => "COUPON",
            (None, 0) => "BANNER",
            (None, _) => "TEXT_LINK",
        }
    }

    fn tracking_link(&self, cx: &Cx<'_>) -> String {
        let campaign = self.thing.campaign(cx);
        format!(
            "https://{}.sjv.io/c/1924609/{}/{}",
            slug(&campaign.name),
            self.id(),
            campaign.id
        )
    }

    fn updated(&self) -> Timestamp {
        self.thing.updated(self.now, 120)
    }
}

/// A deal attribute repeated on the ad: `DealName` is the deal's `Name`, `DiscountType` its
/// `DiscountType`; empty for ads without a deal.
fn deal_field(ad: &Ad, cx: &Cx<'_>, name: &'static str) -> String {
    ad.deal
        .as_ref()
        .map(|deal| deal.repeated_field(cx, name))
        .unwrap_or_default()
}

fn deal_products(ad: &Ad, cx: &Cx<'_>) -> Value {
    ad.deal
        .as_ref()
        .map_or_else(|| json!([]), |deal| deal.products(cx))
}

const LANGUAGES: &[&str] = &[
    "ENGLISH", "ENGLISH", "ENGLISH", "SPANISH", "FRENCH", "GERMAN",
];

/// The attributes both APIs' ads share.
static AD: &[Attr<Ad>] = &[
    text("Id", |a, _| a.id().to_string()),
    text("Name", |a, cx| {
        format!("{} {}", a.thing.campaign(cx).advertiser, ad_label(a))
    }),
    text("Description", |a, cx| {
        format!("{} for {}.", ad_label(a), a.thing.campaign(cx).name)
    }),
    text("CampaignId", |a, cx| a.thing.campaign(cx).id.to_string()),
    text("CampaignName", |a, cx| a.thing.campaign(cx).name.clone()),
    empty("Labels"),
    flag("AllowDeepLinking", 80),
    flag("MobileReady", 70),
    pick("Language", LANGUAGES),
    pick(
        "Season",
        &["SPRING", "SUMMER", "WINTER", "BACK_TO_SCHOOL", "OTHER"],
    ),
    flag("TopSeller", 20),
    named_each(REPEATED_TERMS, deal_field),
    json("DealProducts", deal_products),
    text("Uri", |a, cx| format!("{}/Ads/{}", cx.root, a.id())),
];

/// The Partner ad.
static PARTNER_AD: &[Attr<Ad>] = &[
    also(AD),
    text("Type", |a, _| a.kind().to_owned()),
    text("TrackingLink", |a, cx| a.tracking_link(cx)),
    text("LandingPageUrl", |a, cx| {
        format!("{}/landing/{}", a.thing.campaign(cx).url(), a.thing.n)
    }),
    text("AdvertiserId", |a, cx| {
        a.thing.campaign(cx).advertiser_id.to_string()
    }),
    text("AdvertiserName", |a, cx| {
        a.thing.campaign(cx).advertiser.clone()
    }),
    text("Code", |a, cx| {
        format!(
            "<a href=\"{}\" target=\"_top\" id=\"{}\">{}</a>",
            a.tracking_link(cx),
            a.id(),
            ad_label(a)
        )
    }),
    text("IFrameCode", |a, cx| {
        format!(
            "<iframe id=\"iframe_{}\" src=\"//a.impactradius-go.com/gen-ad-code/1924609/{}/{}/\"></iframe>",
            a.id(),
            a.id(),
            a.thing.campaign(cx).id
        )
    }),
    text("Width", |a, _| size(a).0),
    text("Height", |a, _| size(a).1),
    text("CreativeUrl", |a, cx| {
        format!(
            "//a.impactradius-go.com/display-ad/{}-{}",
            a.thing.campaign(cx).id,
            a.id()
        )
    }),
    text("StartDate", |a, _| {
        a.thing.created.local_midnight().to_string()
    }),
    empty("EndDate"),
    empty("SubjectLines"),
    empty("FromAddresses"),
    empty("UnsubscribeLink"),
    named("DealPublic", deal_field),
    named("DealDateCreated", deal_field),
    named("DealDateLastUpdated", deal_field),
];

fn ad_label(ad: &Ad) -> String {
    match ad.kind() {
        "BANNER" => format!("Banner {}x{}", size(ad).0, size(ad).1),
        "COUPON" => "Coupon".to_owned(),
        _ => format!("Text link {}", ad.thing.n + 1),
    }
}

fn size(ad: &Ad) -> (String, String) {
    match ad.kind() {
        "BANNER" => {
            let sizes = [
                ("300", "250"),
                ("728", "90"),
                ("160", "600"),
                ("250", "250"),
            ];
            let (w, h) = sizes[(ad.thing.n / 2 % 4) as usize];
            (w.to_owned(), h.to_owned())
        }
        _ => (String::new(), String::new()),
    }
}

static MOBILE_FALLBACKS: &[Attr<Ad>] = &[empty("Android"), empty("IOS")];

/// The Brand ad.
static BRAND_AD: &[Attr<Ad>] = &[
    also(AD),
    text("AdType", |a, _| a.kind().to_owned()),
    text("LandingPage", |a, cx| {
        format!("{}/landing/{}", a.thing.campaign(cx).url(), a.thing.n)
    }),
    crate::attrs::object("MobileFallbacks", MOBILE_FALLBACKS),
    text("DateCreated", |a, _| a.thing.created.to_string()),
    text("DateLastUpdated", |a, _| a.updated().to_string()),
    empty("CustomAdServingUrl"),
    lit("IabAdUnit", "CUSTOM"),
    text("ThirdPartyServableAdCreativeHeight", |a, _| size(a).1),
    text("ThirdPartyServableAdCreativeWidth", |a, _| size(a).0),
    text("BannerAlternativeTag", |a, _| ad_label(a)),
    text("LinkText", |a, _| {
        if a.kind() == "TEXT_LINK" {
            ad_label(a)
        } else {
            String::new()
        }
    }),
    text("CouponLinkName", |a, _| {
        if a.kind() == "COUPON" {
            "Get the code".to_owned()
        } else {
            String::new()
        }
    }),
    lit("GetHtmlCodeType", "HTML_AND_IFRAME"),
    text("LimitedTimeStartDate", |a, _| a.thing.created.to_string()),
    empty("LimitedTimeEndDate"),
    json("RestrictedMediaPartners", |_, _| strings([])),
    json("RestrictedMediaPartnerGroups", |_, _| strings([])),
    empty("AdCodeTemplate"),
    lit("CouponAllowCustomPromoCode", "false"),
    lit("CustomisationCharge", "0.00"),
    lit("PhoneTracking", "false"),
    flag("PromoCodeTracking", 40),
    lit("SynchAdsPromoCodes", "false"),
    json("DealRestrictedMediaPartners", |_, _| strings([])),
    json("DealRestrictedMediaPartnerGroups", |_, _| strings([])),
];

/// Ad `n` as of `now`.
fn ad(cx: &Cx<'_>, n: u64) -> Ad {
    let thing = Thing::new(cx.world, "Ad", n);
    let campaigns = cx.world.counts.campaigns.max(1);
    // One ad in four is a coupon for one of its campaign's deals.
    let deal = if n.is_multiple_of(4) {
        deal_of_campaign(cx.world, thing.campaign, n / campaigns % 2, cx.now)
    } else {
        None
    };
    Ad {
        thing,
        deal,
        now: cx.now,
    }
}

fn ads(cx: &Cx<'_>) -> Generated {
    let count = cx.world.counts.ads;
    let mut numbers: Vec<u64> = (0..count).collect();
    let attrs = match cx.api {
        Api::Partner => PARTNER_AD,
        Api::Brand => {
            // Newest created first.
            numbers
                .sort_by_key(|n| std::cmp::Reverse((Thing::new(cx.world, "Ad", *n).created, *n)));
            BRAND_AD
        }
    };
    let mut generated = Generated::default();
    for n in numbers {
        let ad = ad(cx, n);
        // The Partner view has no update date: its `UpdatedDate` filters see this one.
        let updated = match &ad.deal {
            Some(deal) => ad.updated().max(deal.run.start),
            None => ad.updated(),
        };
        generated.push(
            crate::attrs::build(attrs, &ad, cx),
            vec![("LastUpdated", updated.to_string())],
        );
        generated.changes_at(ad.deal.as_ref().map(|deal| deal.run.next_change), cx.now);
    }
    // The Brand `DateLastUpdated` moves every 120 days.
    generated.changes_at(Some(cx.now.plus(crate::time::DAY)), cx.now);
    generated
}

const SOURCE: &str = "Partner Ad (68) from OAS impact-partner-ads-v16.yaml; Brand Ad (75) from \
    OAS impact-brand-ads-v14.yaml (resources.md 3.3)";

pub(crate) const PARTNER: Row = Row {
    resource: Resource::Ads,
    api: Api::Partner,
    path: "Ads",
    list: true,
    item: true,
    list_key: "Ads",
    item_element: "Ad",
    id_attr: "Id",
    parent: None,
    source: SOURCE,
    filters: &[
        eq(&["Type"], "Type"),
        eq(&["CampaignId"], "CampaignId"),
        eq(&["DealId"], "DealId"),
        eq(&["MobileReady"], "MobileReady"),
        from(&["UpdatedDateStart"], "LastUpdated"),
        to(&["UpdatedDateEnd"], "LastUpdated"),
    ],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(ads),
};

pub(crate) const BRAND: Row = Row {
    api: Api::Brand,
    filters: &[
        eq(&["CampaignId"], "CampaignId"),
        eq(&["Type"], "AdType"),
        eq(&["DealId"], "DealId"),
        eq(&["MobileReady"], "MobileReady"),
        from(&["DateCreatedStart"], "DateCreated"),
        to(&["DateCreatedEnd"], "DateCreated"),
        from(&["DateLastUpdatedStart"], "DateLastUpdated"),
        to(&["DateLastUpdatedEnd"], "DateLastUpdated"),
    ],
    ..PARTNER
};
