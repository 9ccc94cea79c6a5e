//! Deals: the Partner API's deals of a joined campaign, the Brand API's own. Deals are
//! renewed: each runs 30 days in every 90, `ACTIVE` while it runs, `EXPIRED` between runs.
//!
//! Attributes: Partner `Deal` (43) with `DealProduct` (6) from OAS
//! `impact-partner-deals-v16.yaml` and DOC-P `partner-api-reference/reference/deals/deals`;
//! Brand `Deal` (43) with `Products` (6) from OAS `impact-brand-deals-v14.yaml`
//! (`resources.md` §3.4). tap-impact's `deals` schema reads the Brand names.

use serde_json::{Value, json};

use super::common::{Run, Thing, population, run};
use crate::Resource;
use crate::attrs::{Attr, Cx, also, cents, json, named, strings, text};
use crate::table::{Api, Data, Generated, Group, PAGES, Parent, Row, eq};
use crate::world::World;
use crate::world::names::slug;

/// A deal: its thing, and the kind of offer it makes.
pub(crate) struct Deal {
    pub(crate) thing: Thing,
    pub(crate) kind: &'static str,
    pub(crate) scope: &'static str,
    pub(crate) percent: i64,
    pub(crate) run: Run,
}

impl crate::attrs::Entity for Deal {
    fn draw(&self) -> crate::rng::Draw {
        self.thing.draw
    }
}

const KINDS: &[&str] = &[
    "GENERAL_SALE",
    "GENERAL_SALE",
    "FREE_SHIPPING",
    "GIFT_WITH_PURCHASE",
    "REBATE",
    "BOGO",
];
const SCOPES: &[&str] = &["ENTIRE_STORE", "ENTIRE_STORE", "CATEGORY", "PRODUCT"];

/// Deal number `n` as of `now`.
pub(crate) fn deal(world: &World, n: u64, now: crate::time::Timestamp) -> Deal {
    let thing = Thing::new(world, "Deal", n);
    let mut draw = thing.draw_for("kind");
    let kind = draw.pick(KINDS);
    let scope = draw.pick(SCOPES);
    let percent = 5 * draw.between(1, 6);
    let run = run(thing.draw_for("run"), now, (90, 30));
    Deal {
        thing,
        kind,
        scope,
        percent,
        run,
    }
}

/// The deal of a campaign numbered `k` among its deals, if the world has it.
pub(crate) fn deal_of_campaign(
    world: &World,
    campaign: u64,
    k: u64,
    now: crate::time::Timestamp,
) -> Option<Deal> {
    let campaigns = world.counts.campaigns.max(1);
    let n = campaign + campaigns * k;
    (n < world.counts.deals).then(|| deal(world, n, now))
}

impl Deal {
    pub(crate) fn id(&self) -> u64 {
        90_000 + self.thing.n
    }

    fn name(&self, cx: &Cx<'_>) -> String {
        let season = ["Spring", "Summer", "Autumn", "Winter"][(self.thing.n % 4) as usize];
        format!("{} {season} Sale", self.thing.campaign(cx).advertiser)
    }

    fn percent_off(&self) -> bool {
        self.kind == "GENERAL_SALE" && self.thing.n % 3 != 2
    }

    fn fixed_off(&self) -> bool {
        self.kind == "GENERAL_SALE" && self.thing.n % 3 == 2
    }

    pub(crate) fn code(&self, cx: &Cx<'_>) -> String {
        let base = slug(&self.thing.campaign(cx).advertiser).to_ascii_uppercase();
        format!(
            "{}{}",
            base.chars().take(8).collect::<String>(),
            self.percent
        )
    }

    pub(crate) fn products(&self, cx: &Cx<'_>) -> Value {
        if self.scope != "PRODUCT" {
            return json!([]);
        }
        let host = self.thing.campaign(cx).url();
        json!([{
            "ProductName": format!("{} Storage Box", self.thing.campaign(cx).advertiser),
            "ProductImageUrl": format!("{host}/images/box.jpg"),
            "ProductBeforePriceAmount": "50.00",
            "ProductBeforePriceCurrency": "USD",
            "ProductAfterPriceAmount": cents(5_000 - 50 * self.percent),
            "ProductAfterPriceCurrency": "USD",
        }])
    }

    /// A deal attribute as ads, promo codes and tracking value requests repeat it: `DealName`
    /// is the deal's `Name`, `DealDefaultPromoCode` its `DefaultPromoCode`, `DiscountType`
    /// its `DiscountType`.
    pub(crate) fn repeated_field(&self, cx: &Cx<'_>, name: &str) -> String {
        let field = match name {
            "DealDateCreated" => "DateCreated",
            "DealDateLastUpdated" => "DateLastUpdated",
            "DealDefaultPromoCode" => "DefaultPromoCode",
            "DealCategories" => "Categories",
            other => other
                .strip_prefix("Deal")
                .filter(|rest| !rest.is_empty())
                .unwrap_or(other),
        };
        self.field(cx, field)
    }

    /// The value of a deal attribute by its name in the Deal object (`DiscountType`,
    /// `BogoBuyQuantity`, ...); ads and promo codes repeat them, some prefixed with `Deal`.
    pub(crate) fn field(&self, cx: &Cx<'_>, name: &str) -> String {
        let bogo = self.kind == "BOGO";
        let when = |on: bool, text: &str| if on { text.to_owned() } else { String::new() };
        match name {
            "Id" => self.id().to_string(),
            "Name" => self.name(cx),
            "Description" => format!(
                "{}% off at {}.",
                self.percent,
                self.thing.campaign(cx).advertiser
            ),
            "Public" => "true".to_owned(),
            "CampaignId" => self.thing.campaign(cx).id.to_string(),
            "State" => if self.run.active { "ACTIVE" } else { "EXPIRED" }.to_owned(),
            "Type" => self.kind.to_owned(),
            "Scope" => self.scope.to_owned(),
            "Categories" => when(self.scope == "CATEGORY", "Apparel"),
            "DiscountType" => {
                if self.percent_off() {
                    "PERCENT".to_owned()
                } else {
                    when(self.fixed_off(), "FIXED")
                }
            }
            "DiscountAmount" => when(self.fixed_off(), &cents(500 * self.percent / 5)),
            "DiscountCurrency" => when(self.fixed_off(), "USD"),
            "DiscountPercent" => when(self.percent_off(), &self.percent.to_string()),
            "Gift" => when(self.kind == "GIFT_WITH_PURCHASE", "Free tote bag"),
            "RebateAmount" => when(self.kind == "REBATE", "10.00"),
            "RebateCurrency" => when(self.kind == "REBATE", "USD"),
            "DefaultPromoCode" => self.code(cx),
            "MinimumPurchaseAmount" => when(self.kind == "FREE_SHIPPING", "50.00"),
            "MinimumPurchaseAmountCurrency" => when(self.kind == "FREE_SHIPPING", "USD"),
            "BogoBuyQuantity" | "BogoGetQuantity" => when(bogo, "1"),
            "BogoBuyScope" | "BogoGetScope" => when(bogo, "PRODUCT"),
            "BogoBuyName" | "BogoGetName" => when(bogo, "Any item"),
            "BogoGetDiscountType" => when(bogo, "FREE"),
            "PurchaseLimitQuantity" => "0".to_owned(),
            "StartDate" => self.run.start.to_string(),
            "EndDate" => self.run.end.to_string(),
            "DateCreated" => self.thing.created.to_string(),
            "DateLastUpdated" => self.run.start.max(self.thing.created).to_string(),
            "SynchAdsPromoCodes" => "false".to_owned(),
            // DiscountMaximumPercent, the percent range, MaximumSavings*, the Bogo images and
            // discounts: empty for the offers the mock makes.
            _ => String::new(),
        }
    }
}

/// A deal's terms as ads, promo codes and tracking-value requests repeat them, under the
/// Partner Ad reference's names and in its order ([`Deal::repeated_field`] maps each name to
/// the deal's own attribute).
pub(crate) const REPEATED_TERMS: &[&str] = &[
    "DealId",
    "DealName",
    "DealDescription",
    "DealState",
    "DealType",
    "DealScope",
    "DealCategories",
    "DiscountType",
    "DiscountAmount",
    "DiscountCurrency",
    "DiscountPercent",
    "DiscountMaximumPercent",
    "DiscountPercentRangeStart",
    "DiscountPercentRangeEnd",
    "Gift",
    "RebateAmount",
    "RebateCurrency",
    "DealDefaultPromoCode",
    "MinimumPurchaseAmount",
    "MinimumPurchaseAmountCurrency",
    "MaximumSavingsAmount",
    "MaximumSavingsCurrency",
    "BogoBuyQuantity",
    "BogoBuyScope",
    "BogoBuyName",
    "BogoBuyImageUrl",
    "BogoGetQuantity",
    "BogoGetScope",
    "BogoGetDiscountType",
    "BogoGetName",
    "BogoGetImageUrl",
    "BogoGetDiscountAmount",
    "BogoGetDiscountCurrency",
    "BogoGetDiscountPercent",
    "PurchaseLimitQuantity",
    "DealStartDate",
    "DealEndDate",
];

fn field(deal: &Deal, cx: &Cx<'_>, name: &'static str) -> String {
    deal.field(cx, name)
}

/// The attributes both APIs' deals share.
static DEAL: &[Attr<Deal>] = &[
    named("Id", field),
    named("Name", field),
    named("Description", field),
    named("CampaignId", field),
    named("State", field),
    named("Type", field),
    named("Scope", field),
    json("Products", |d, cx| d.products(cx)),
    named("DiscountType", field),
    named("DiscountAmount", field),
    named("DiscountCurrency", field),
    named("DiscountPercent", field),
    named("DiscountMaximumPercent", field),
    named("DiscountPercentRangeStart", field),
    named("DiscountPercentRangeEnd", field),
    named("Gift", field),
    named("RebateAmount", field),
    named("RebateCurrency", field),
    named("DefaultPromoCode", field),
    named("MinimumPurchaseAmount", field),
    named("MinimumPurchaseAmountCurrency", field),
    named("MaximumSavingsAmount", field),
    named("MaximumSavingsCurrency", field),
    named("BogoBuyScope", field),
    named("BogoBuyName", field),
    named("BogoBuyImageUrl", field),
    named("BogoGetScope", field),
    named("BogoGetDiscountType", field),
    named("BogoGetName", field),
    named("BogoGetImageUrl", field),
    named("BogoGetDiscountAmount", field),
    named("BogoGetDiscountCurrency", field),
    named("BogoGetDiscountPercent", field),
    named("PurchaseLimitQuantity", field),
    named("StartDate", field),
    named("EndDate", field),
];

/// The Partner deal.
static PARTNER_DEAL: &[Attr<Deal>] = &[
    also(DEAL),
    named("Public", field),
    json("Categories", |d, _| {
        if d.scope == "CATEGORY" {
            strings(["Apparel"])
        } else {
            strings([])
        }
    }),
    text("BogoBuyQuantity", |d, cx| {
        zero_if_empty(d.field(cx, "BogoBuyQuantity"))
    }),
    text("BogoGetQuantity", |d, cx| {
        zero_if_empty(d.field(cx, "BogoGetQuantity"))
    }),
    named("DateCreated", field),
    named("DateLastUpdated", field),
    text("Uri", |d, cx| {
        format!(
            "{}/Campaigns/{}/Deals/{}",
            cx.root,
            d.thing.campaign(cx).id,
            d.id()
        )
    }),
];

/// The Partner reference shows quantities as `"0"` where a Brand deal has them empty.
fn zero_if_empty(text: String) -> String {
    if text.is_empty() {
        "0".to_owned()
    } else {
        text
    }
}

/// The Brand deal.
static BRAND_DEAL: &[Attr<Deal>] = &[
    also(DEAL),
    named("Categories", field),
    named("SynchAdsPromoCodes", field),
    json("RestrictedMediaPartners", |_, _| strings([])),
    json("RestrictedMediaPartnerGroups", |_, _| strings([])),
    text("Uri", |d, cx| format!("{}/Deals/{}", cx.root, d.id())),
    named("BogoBuyQuantity", field),
    named("BogoGetQuantity", field),
];

fn deals(cx: &Cx<'_>) -> Generated {
    let attrs = match cx.api {
        Api::Partner => PARTNER_DEAL,
        Api::Brand => BRAND_DEAL,
    };
    population(
        cx,
        attrs,
        (0..cx.world.counts.deals).map(|n| {
            let deal = deal(cx.world, n, cx.now);
            let next = deal.run.next_change;
            (deal, Some(next))
        }),
    )
}

const SOURCE: &str = "Partner Deal (43) from OAS impact-partner-deals-v16.yaml; Brand Deal (43) \
    from OAS impact-brand-deals-v14.yaml; filters Scope, State, Type (+ Brand CampaignId) \
    (resources.md 3.4)";

pub(crate) const PARTNER: Row = Row {
    resource: Resource::Deals,
    api: Api::Partner,
    path: "Campaigns/{CampaignId}/Deals",
    list: true,
    item: true,
    list_key: "Deals",
    item_element: "Deal",
    id_attr: "Id",
    parent: Some(Parent {
        capture: "CampaignId",
        attr: "CampaignId",
        resource: Resource::Campaigns,
    }),
    source: SOURCE,
    filters: &[
        eq(&["Scope"], "Scope"),
        eq(&["State"], "State"),
        eq(&["Type"], "Type"),
    ],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(deals),
};

pub(crate) const BRAND: Row = Row {
    api: Api::Brand,
    path: "Deals",
    parent: None,
    filters: &[
        eq(&["CampaignId"], "CampaignId"),
        eq(&["Scope"], "Scope"),
        eq(&["State"], "State"),
        eq(&["Type"], "Type"),
    ],
    ..PARTNER
};
