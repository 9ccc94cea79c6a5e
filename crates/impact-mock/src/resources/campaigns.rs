//! Campaigns (programs): the Partner API's joined programs and the Brand API's own.
//!
//! Attributes: Partner `Program` (18) from OAS `impact-partner-campaigns-v16.yaml`; Brand
//! `Program` (29) from OAS `impact-brand-programs-v14.yaml` (`resources.md` §3.2), plus the
//! older `IdentityCollapsing` and `DirectTrackingSettings.UnidentifiedSourceName` that
//! tap-impact's schema reads (`connectors.md` §1.10).

use serde_json::json;

use crate::Resource;
use crate::attrs::{
    Attr, Cx, Entity, build, empty, flag, int, json, lit, object, pick, strings, text,
};
use crate::rng::Draw;
use crate::table::{Api, Data, Generated, Group, PAGES, Row, contains, eq};
use crate::world::entities::Campaign;
use crate::world::names::slug;

impl Entity for Campaign {
    fn draw(&self) -> Draw {
        self.draw
    }
}

const SHIPPING: &[&str] = &[
    "US",
    "UK",
    "CANADA",
    "AUSTRALIA",
    "GERMANY",
    "FRANCE",
    "SOUTHAFRICA",
];

fn shipping_regions(campaign: &Campaign) -> Vec<&'static str> {
    let count = 1 + campaign.n as usize % 3;
    SHIPPING
        .iter()
        .copied()
        .skip(campaign.n as usize % 4)
        .take(count)
        .collect()
}

fn description(campaign: &Campaign) -> String {
    format!(
        "{} delivers {} to customers in {} countries.",
        campaign.name,
        [
            "everyday essentials",
            "premium gear",
            "seasonal collections",
            "curated bundles"
        ][campaign.n as usize % 4],
        1 + campaign.n % 9
    )
}

static PARTNER_PROGRAM: &[Attr<Campaign>] = &[
    text("AdvertiserId", |c, _| c.advertiser_id.to_string()),
    text("AdvertiserName", |c, _| c.advertiser.clone()),
    text("AdvertiserUrl", |c, _| c.url()),
    text("CampaignId", |c, _| c.id.to_string()),
    text("CampaignName", |c, _| c.name.clone()),
    text("CampaignUrl", |c, _| c.url()),
    text("CampaignDescription", |c, _| description(c)),
    pick(
        "Type",
        &[
            "Performance",
            "Performance",
            "Performance",
            "Creator",
            "Seller",
        ],
    ),
    json("ShippingRegions", |c, _| strings(shipping_regions(c))),
    text("CampaignLogoUri", |c, cx| {
        format!("{}/Campaigns/{}/Logo", cx.root, c.id)
    }),
    text("PublicTermsUri", |c, cx| {
        format!("{}/Campaigns/{}/PublicTerms", cx.root, c.id)
    }),
    text("ContractStatus", |c, _| contract_status(c).to_owned()),
    text("ContractUri", |c, cx| {
        format!(
            "{}/Campaigns/{}/Contracts/{}",
            cx.root,
            c.id,
            contract_status(c)
        )
    }),
    text("TrackingLink", |c, _| {
        format!("https://{}.sjv.io/c/1924609/650971/{}", slug(&c.name), c.id)
    }),
    flag("HasStandDownPolicy", 30),
    flag("AllowsDeeplinking", 80),
    json("DeeplinkDomains", |c, _| {
        let domain = c.host.trim_start_matches("www.").to_owned();
        json!([domain.clone(), format!("*.{domain}")])
    }),
    text("Uri", |c, cx| format!("{}/Campaigns/{}", cx.root, c.id)),
];

fn contract_status(campaign: &Campaign) -> &'static str {
    if campaign.expired {
        "Expired"
    } else {
        "Active"
    }
}

static CATEGORIES: &[Attr<Campaign>] = &[
    pick(
        "PrimaryCategory",
        &["Retail", "Travel", "Finance", "Health & Beauty"],
    ),
    json("PrimarySubCategories", |_, _| {
        strings(["Apparel", "Accessories"])
    }),
    pick("AdditionalCategory", &["", "Home & Garden", "Sports"]),
    json("AdditionalSubCategories", |_, _| strings([])),
];

static RESOURCES: &[Attr<Campaign>] = &[
    text("CompanyHomepage", |c, _| c.url()),
    text("ExampleLandingPage", |c, _| format!("{}/new", c.url())),
    text("InformationPage", |c, _| format!("{}/partners", c.url())),
    json("AdditionalRelatedLinks", |c, _| {
        json!([{"LinkType": "URL", "LinkDisplayName": "Brand guidelines",
                "LinkUrl": format!("{}/brand-guidelines", c.url())}])
    }),
];

static GATEWAY: &[Attr<Campaign>] = &[
    text("DefaultLandingPage", |c, _| c.url()),
    lit("MediaPartnerTrackingTemplate", ""),
    lit(
        "CampaignTrackingTemplate",
        "utm_source=impact&utm_medium=affiliate",
    ),
    lit("SSLSupport", "true"),
    flag("DeepLinking", 80),
    text("DeepLinkDomains", |c, _| c.host.clone()),
    empty("ThirdPartyGatewayUrl"),
    empty("ThirdPartyGatewayQueryStringParameters"),
    pick(
        "UniqueClickWindowLength",
        &["1m", "5m", "15m", "30m", "1h", "6h", "12h", "24h"],
    ),
    pick("UniqueClickWindowType", &["FIXED", "ROLLING"]),
];

static DIRECT: &[Attr<Campaign>] = &[
    lit("UnidentifiedName", "Direct"),
    int("SessionWindowLength", 1, 30),
    // Older name (tap-impact's schema).
    lit("UnidentifiedSourceName", "Direct"),
];

static BRAND_PROGRAM: &[Attr<Campaign>] = &[
    text("Id", |c, _| c.id.to_string()),
    text("Name", |c, _| c.name.clone()),
    text("State", |c, _| {
        if c.expired { "DEACTIVATED" } else { "ACTIVE" }.to_owned()
    }),
    pick("Type", &["Performance", "Performance", "Creator", "Seller"]),
    object("Categories", CATEGORIES),
    text("ShortDescription", |c, _| {
        format!("{} affiliate program", c.name)
    }),
    text("LongDescription", |c, _| description(c)),
    flag("ListInMarketplace", 70),
    flag("DisplayServicingAgency", 20),
    int("Rating", 1, 5),
    text("SearchKeywords", |c, _| slug(&c.name)),
    json("ShippingRegions", |c, _| strings(shipping_regions(c))),
    object("Resources", RESOURCES),
    json("CompanyContacts", |c, _| {
        json!([{"FirstName": "Hazel", "LastName": "Nutt",
                "EmailAddress": format!("partners@{}", c.host.trim_start_matches("www.")),
                "PhoneNumber": "2065550100"}])
    }),
    flag("GiftCardPayouts", 10),
    flag("TrademarkBidding", 20),
    empty("ThirdPartyImpressionPixel"),
    flag("MobileReadyAds", 80),
    flag("DisplayFutureAds", 50),
    flag("PromoCodeTracking", 60),
    text("TrackingDomain", |c, _| format!("{}.sjv.io", slug(&c.name))),
    lit("SiteDefinition", "Domain"),
    flag("ImpressionTracking", 40),
    flag("ViewThroughCrediting", 10),
    pick("IdentityMatching", &["NONE", "ACCOUNT", "IR_CONSORTIUM"]),
    // Older name of IdentityMatching (tap-impact's schema).
    pick("IdentityCollapsing", &["NONE", "ACCOUNT"]),
    flag("HasStandDownPolicy", 30),
    object("GatewayTrackingSettings", GATEWAY),
    object("DirectTrackingSettings", DIRECT),
    text("Uri", |c, cx| format!("{}/Campaigns/{}", cx.root, c.id)),
];

fn campaigns(cx: &Cx<'_>) -> Generated {
    let attrs = match cx.api {
        Api::Partner => PARTNER_PROGRAM,
        Api::Brand => BRAND_PROGRAM,
    };
    let items = cx
        .world
        .campaigns()
        .filter(|campaign| campaign.created <= cx.now)
        .map(|campaign| build(attrs, campaign, cx))
        .collect();
    let mut generated = Generated {
        items,
        ..Generated::default()
    };
    let next = cx
        .world
        .campaigns()
        .map(|c| c.created)
        .filter(|at| *at > cx.now)
        .min();
    generated.changes_at(next, cx.now);
    generated
}

pub(crate) const PARTNER: Row = Row {
    resource: Resource::Campaigns,
    api: Api::Partner,
    path: "Campaigns",
    list: true,
    item: true,
    list_key: "Campaigns",
    item_element: "Campaign",
    id_attr: "CampaignId",
    parent: None,
    source: "Partner Program (18 attributes): OAS impact-partner-campaigns-v16.yaml; filter \
             InsertionOrderStatus (resources.md 3.2)",
    filters: &[eq(&["InsertionOrderStatus"], "ContractStatus")],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(campaigns),
};

pub(crate) const BRAND: Row = Row {
    resource: Resource::Campaigns,
    api: Api::Brand,
    path: "Campaigns",
    list: true,
    item: true,
    list_key: "Campaigns",
    item_element: "Campaign",
    id_attr: "Id",
    parent: None,
    source: "Brand Program (29 attributes): OAS impact-brand-programs-v14.yaml, sorted by \
             Program ID; plus IdentityCollapsing and DirectTrackingSettings.\
             UnidentifiedSourceName read by tap-impact (connectors.md 1.10)",
    filters: &[contains(&["Name"], "Name"), eq(&["State"], "State")],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(campaigns),
};
