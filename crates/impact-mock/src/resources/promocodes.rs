//! Promo codes: codes partners use, each valid 60 days in every 120 (renewed), tied to one
//! of its campaign's deals when it has one.
//!
//! Attributes: Partner `PromoCode` (12) with `Program`, `Advertiser`, `Deal` from OAS
//! `impact-partner-promo-codes-v16.yaml`; Brand `PromoCode` (33) from OAS
//! `impact-brand-promocodes-v14.yaml` (`resources.md` §3.5), plus the 21 older deal fields
//! tap-impact's `promo_codes` schema reads (`connectors.md` §1.10).

use serde_json::json;

use super::common::{Run, Thing, run};
use super::deals::{Deal, REPEATED_TERMS, deal_of_campaign};
use crate::Resource;
use crate::attrs::{Attr, Cx, Entity, build, json, named_each, pick, strings, text};
use crate::rng::Draw;
use crate::table::{Api, Data, Generated, Group, PAGES, Row, contains, eq, from, to};
use crate::world::entities::FIRST_PARTNER_ID;
use crate::world::names::slug;

/// A promo code as of one instant.
pub(crate) struct Code {
    thing: Thing,
    deal: Option<Deal>,
    run: Run,
}

impl Entity for Code {
    fn draw(&self) -> Draw {
        self.thing.draw
    }
}

impl Code {
    fn id(&self) -> u64 {
        8_111_000 + self.thing.n
    }

    fn code(&self, cx: &Cx<'_>) -> String {
        let base: String = slug(&self.thing.campaign(cx).advertiser)
            .to_ascii_uppercase()
            .chars()
            .take(6)
            .collect();
        format!("{base}{}", 10 + self.thing.n % 40)
    }

    fn partner(&self, cx: &Cx<'_>) -> u64 {
        let mut draw = self.thing.draw_for("partner");
        cx.world.partner_of(self.thing.campaign, &mut draw)
    }
}

fn deal_field(code: &Code, cx: &Cx<'_>, name: &'static str) -> String {
    code.deal
        .as_ref()
        .map(|deal| deal.repeated_field(cx, name))
        .unwrap_or_default()
}

static PARTNER_CODE: &[Attr<Code>] = &[
    text("Id", |c, _| c.id().to_string()),
    text("Code", Code::code),
    text("State", |c, _| {
        if c.run.active { "ACTIVE" } else { "EXPIRED" }.to_owned()
    }),
    json("Program", |c, cx| {
        let campaign = c.thing.campaign(cx);
        json!({"Id": campaign.id.to_string(), "Name": campaign.name,
               "Uri": format!("{}/Campaigns/{}", cx.root, campaign.id),
               "LogoUri": format!("{}/Campaigns/{}/Logo", cx.root, campaign.id)})
    }),
    json("Advertiser", |c, cx| {
        let campaign = c.thing.campaign(cx);
        json!({"Id": campaign.advertiser_id.to_string(), "Name": campaign.advertiser,
               "Uri": format!("{}/Advertisers/{}", cx.root, campaign.advertiser_id),
               "LogoUri": format!("{}/Advertisers/{}/Logo", cx.root, campaign.advertiser_id)})
    }),
    json("Deal", |c, cx| match &c.deal {
        Some(deal) => json!({"Id": deal.id().to_string(), "Name": deal.field(cx, "Name"),
            "Uri": format!("{}/Campaigns/{}/Deals/{}", cx.root, c.thing.campaign(cx).id, deal.id())}),
        None => json!({"Id": "", "Name": "", "Uri": ""}),
    }),
    pick("MatchMode", &["LI", "LI", "RE"]),
    pick("CreditRule", &["WINNER", "WINNER", "ALWAYS", "INVOLVED"]),
    text("CreatedDate", |c, _| c.thing.created.to_string()),
    text("StartDate", |c, _| c.run.start.to_string()),
    text("EndDate", |c, _| c.run.end.to_string()),
    text("Uri", |c, cx| format!("{}/PromoCodes/{}", cx.root, c.id())),
];

static BRAND_CODE: &[Attr<Code>] = &[
    text("Id", |c, _| c.id().to_string()),
    text("Code", Code::code),
    pick("Type", &["LI", "LI", "RE"]),
    pick("CreditPolicy", &["WINNER", "WINNER", "ALWAYS", "INVOLVED"]),
    text("CampaignId", |c, cx| c.thing.campaign(cx).id.to_string()),
    text("CampaignName", |c, cx| c.thing.campaign(cx).name.clone()),
    text("AssignedPartnerId", |c, cx| {
        (FIRST_PARTNER_ID + c.partner(cx)).to_string()
    }),
    text("AssignedPartnerName", |c, cx| {
        cx.world.partner(c.partner(cx)).name
    }),
    text("CreatedDate", |c, _| c.thing.created.to_string()),
    text("StartDate", |c, _| c.run.start.to_string()),
    text("EndDate", |c, _| c.run.end.to_string()),
    text("State", |c, _| {
        if c.run.active { "ACTIVE" } else { "INACTIVE" }.to_owned()
    }),
    // The deal's terms: the reference lists 19 of them (DealId ... BogoGetDiscountType); the
    // others, and the three deal lists below, are older fields tap-impact's schema reads.
    named_each(REPEATED_TERMS, deal_field),
    text("SynchAdsPromoCodes", |_, _| "false".to_owned()),
    text("Uri", |c, cx| format!("{}/PromoCodes/{}", cx.root, c.id())),
    json("DealProducts", |c, cx| {
        c.deal
            .as_ref()
            .map_or_else(|| json!([]), |d| d.products(cx))
    }),
    json("DealRestrictedMediaPartnerGroups", |_, _| strings([])),
    json("DealRestrictedMediaPartners", |_, _| strings([])),
];

fn codes(cx: &Cx<'_>) -> Generated {
    let attrs = match cx.api {
        Api::Partner => PARTNER_CODE,
        Api::Brand => BRAND_CODE,
    };
    let mut generated = Generated::default();
    for n in 0..cx.world.counts.promo_codes {
        let thing = Thing::new(cx.world, "PromoCode", n);
        let deal = if n % 3 == 0 {
            deal_of_campaign(cx.world, thing.campaign, n % 2, cx.now)
        } else {
            None
        };
        let run = run(thing.draw_for("run"), cx.now, (120, 60));
        let code = Code { thing, deal, run };
        generated.items.push(build(attrs, &code, cx));
        generated.changes_at(Some(code.run.next_change), cx.now);
        if let Some(deal) = &code.deal {
            generated.changes_at(Some(deal.run.next_change), cx.now);
        }
    }
    generated
}

const SOURCE: &str = "Partner PromoCode (12) from OAS impact-partner-promo-codes-v16.yaml; Brand \
    PromoCode (33) from OAS impact-brand-promocodes-v14.yaml, plus 21 older deal fields read \
    by tap-impact (resources.md 3.5, connectors.md 1.10)";

pub(crate) const PARTNER: Row = Row {
    resource: Resource::PromoCodes,
    api: Api::Partner,
    path: "PromoCodes",
    list: true,
    item: true,
    list_key: "PromoCodes",
    item_element: "PromoCode",
    id_attr: "Id",
    parent: None,
    source: SOURCE,
    filters: &[
        contains(&["SearchString"], "Code"),
        eq(&["ProgramId"], "Program.Id"),
        eq(&["AdvertiserId"], "Advertiser.Id"),
        eq(&["DealId"], "Deal.Id"),
        eq(&["CreditRule"], "CreditRule"),
        eq(&["MatchMode"], "MatchMode"),
        from(&["CreatedDateStart"], "CreatedDate"),
        to(&["CreatedDateEnd"], "CreatedDate"),
        from(&["StartDateStart"], "StartDate"),
        to(&["StartDateEnd"], "StartDate"),
        from(&["EndDateStart"], "EndDate"),
        to(&["EndDateEnd"], "EndDate"),
    ],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(codes),
};

pub(crate) const BRAND: Row = Row {
    api: Api::Brand,
    filters: &[
        eq(&["CampaignId"], "CampaignId"),
        eq(&["Code"], "Code"),
        from(&["StartDate"], "StartDate"),
        to(&["EndDate"], "EndDate"),
        eq(&["State"], "State"),
    ],
    ..PARTNER
};
