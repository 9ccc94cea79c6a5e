//! Contracts: the Partner API's contracts with the campaigns it joined, the Brand API's
//! contracts with its partners, per campaign. Their terms carry the payout rate and the
//! locking period the world's actions follow, so a reader can learn how long actions change.
//!
//! Attributes: Partner `Contract` (16) with `Terms` (18) and its nested `EventPayout`,
//! `PayoutGroup`, `Locking`, `PayoutScheduling`, `ValidReferral` from OAS
//! `impact-partner-contracts-v16.yaml`; Brand `Contract` (18) with `TemplateTerms` (7) from
//! OAS `impact-brand-contracts-v14.yaml` (`resources.md` §3.9). Lists hold only `ACTIVE`
//! contracts unless a `Status` is asked for (the reference's default).

use serde_json::{Value, json};

use super::partners::contract_id;
use crate::Resource;
use crate::attrs::{Attr, Cx, Entity, also, build, cents, empty, json, lit, text};
use crate::rng::Draw;
use crate::table::{Api, Data, Generated, Group, PAGES, Parent, Row, Rule, eq, from, to};
use crate::time::{DAY, Timestamp};
use crate::world::entities::{Campaign, FIRST_PARTNER_ID};

/// A contract between a campaign and a partner (the account itself in the Partner view).
pub(crate) struct Contract {
    campaign: u64,
    partner: u64,
    signed: Timestamp,
    draw: Draw,
}

impl Entity for Contract {
    fn draw(&self) -> Draw {
        self.draw
    }
}

impl Contract {
    fn terms<'a>(&self, cx: &Cx<'a>) -> &'a Campaign {
        cx.world.campaign(self.campaign)
    }

    fn id(&self) -> String {
        contract_id(self.campaign, self.partner)
    }

    fn status(&self, cx: &Cx<'_>) -> &'static str {
        if self.terms(cx).expired {
            "EXPIRED"
        } else {
            "ACTIVE"
        }
    }

    fn end(&self, cx: &Cx<'_>) -> String {
        if self.terms(cx).expired {
            self.signed.plus(365 * DAY).local_midnight().to_string()
        } else {
            String::new()
        }
    }

    /// The event payouts: each action tracker's rate and the locking that decides when the
    /// world's actions stop changing.
    fn event_payouts(&self, cx: &Cx<'_>) -> Value {
        let campaign = self.terms(cx);
        let rate = format!("{}", campaign.payout_bp as f64 / 100.0);
        Value::Array(
            (0..campaign.trackers)
                .map(|k| {
                    json!({
                        "EventTypeId": campaign.tracker_id(k).to_string(),
                        "EventTypeName": Campaign::tracker_name(k),
                        "EventCategory": "SALE",
                        "DefaultPayoutRate": rate,
                        "PayoutLevel": "ORDER",
                        "DefaultPayout": "",
                        "PayoutGroups": [],
                        "PayoutRestrictions": [],
                        "Limits": [],
                        "PayoutAdjustments": [],
                        "PerformanceBonus": {"Type": "", "Basis": "", "Period": "", "Tiers": []},
                        "Locking": {"Basis": "TRACKED", "Period": "DAY", "MonthOffset": "0",
                                    "DayOffset": campaign.lock_days.to_string()},
                        "PayoutScheduling": {"Basis": "LOCKED", "Period": "END_OF_DAY"},
                        "CreditPolicy": "LAST_REFERRER",
                        "ValidReferrals": [{"Type": "CLICKS", "Window": "30", "WindowUnit": "DAY"}],
                    })
                })
                .collect(),
        )
    }
}

static TERMS: &[Attr<Contract>] = &[
    lit("TemplateTermName", "Public Terms"),
    lit("Currency", "USD"),
    text("TemplateId", |c, _| (99_000 + c.campaign).to_string()),
    lit("VersionId", "1"),
    lit("Name", "Public Terms"),
    json("Labels", |_, _| json!([])),
    json("EventPayouts", |c, cx| c.event_payouts(cx)),
    json("SpecialTermsList", |_, _| json!([])),
    lit("ChangeNotificationPeriod", "0"),
    lit("ReturnPolicy", "ALWAYS_OK"),
    lit("MaxReturnPercentage", "100"),
    lit("CustomCreativePayer", "ADVERTISER"),
    empty("ActionLimit"),
    empty("ActionLimitPeriod"),
    empty("SpendLimit"),
    empty("SpendLimitPeriod"),
    text("MinEarningPerClick", |_, _| cents(0)),
    text("ContractStartSlottingFee", |_, _| cents(0)),
];

/// The attributes both APIs' contracts share.
static CONTRACT: &[Attr<Contract>] = &[
    text("Id", Contract::id_text),
    text("Status", |c, cx| c.status(cx).to_owned()),
    text("StartDate", |c, _| c.signed.local_midnight().to_string()),
    text("EndDate", |c, cx| c.end(cx)),
    text("BrandSignatoryDate", |c, _| c.signed.to_string()),
    text("PartnerSignatoryDate", |c, _| c.signed.to_string()),
    text("DateCreated", |c, _| c.signed.to_string()),
    text("DateLastUpdated", |c, _| c.signed.to_string()),
    lit("HasCampaignTerms", "false"),
    json("CampaignTerms", |_, _| json!([])),
    text("PdfUri", |c, cx| {
        format!(
            "{}/Campaigns/{}/Contracts/{}/Download",
            cx.root,
            c.terms(cx).id,
            c.id()
        )
    }),
];

/// The Partner contract.
static PARTNER_CONTRACT: &[Attr<Contract>] = &[
    also(CONTRACT),
    text("CampaignId", |c, cx| c.terms(cx).id.to_string()),
    lit("BrandSignatory", "Robin Banks"),
    lit("PartnerSignatory", "Carrie Oakey"),
    crate::attrs::object("Terms", TERMS),
    text("Uri", |c, cx| format!("{}/Contracts/{}", cx.root, c.id())),
];

/// The Brand contract.
static BRAND_CONTRACT: &[Attr<Contract>] = &[
    also(CONTRACT),
    text("PartnerId", |c, _| {
        (FIRST_PARTNER_ID + c.partner).to_string()
    }),
    empty("PartnerValue1"),
    lit("BrandSignatory", "Justin Case"),
    text("PartnerSignatory", |c, cx| cx.world.partner(c.partner).name),
    json("TemplateTerms", |c, cx| {
        json!({"TemplateId": (99_000 + c.campaign).to_string(), "VersionId": "1",
               "Name": "Public Terms", "Labels": [], "Currency": "USD",
               "EventPayouts": c.event_payouts(cx), "PromotionalTerms": []})
    }),
    json("ScheduledTerms", |_, _| json!([])),
    text("Uri", |c, cx| {
        format!(
            "{}/Campaigns/{}/Contracts/{}",
            cx.root,
            c.terms(cx).id,
            c.id()
        )
    }),
];

impl Contract {
    fn id_text(&self, _cx: &Cx<'_>) -> String {
        self.id()
    }
}

fn contracts(cx: &Cx<'_>) -> Generated {
    let world = cx.world;
    let mut generated = Generated::default();
    let mut add = |contract: Contract| {
        if contract.signed > cx.now {
            generated.changes_at(Some(contract.signed), cx.now);
            return;
        }
        let attrs = match cx.api {
            Api::Partner => PARTNER_CONTRACT,
            Api::Brand => BRAND_CONTRACT,
        };
        let campaign_id = contract.terms(cx).id.to_string();
        generated.push(
            build(attrs, &contract, cx),
            vec![("CampaignId", campaign_id)],
        );
    };
    match cx.api {
        // The account is the partner of every campaign it works with.
        Api::Partner => {
            for campaign in world.campaigns() {
                add(Contract {
                    campaign: campaign.n,
                    partner: 0,
                    signed: campaign.created,
                    draw: campaign.draw,
                });
            }
        }
        Api::Brand => {
            for n in 0..world.counts.media_partners {
                let partner = world.partner(n);
                for campaign in world.partner_campaigns(n) {
                    add(Contract {
                        campaign,
                        partner: n,
                        signed: partner.created.max(world.campaign(campaign).created),
                        draw: partner.draw,
                    });
                }
            }
        }
    }
    generated
}

const FILTERS: &[crate::table::Filter] = &[
    eq(&["CampaignId"], "CampaignId"),
    eq(&["Status"], "Status"),
    eq(&["PartnerId"], "PartnerId"),
    eq(&["TemplateId"], "TemplateTerms.TemplateId"),
    from(&["DateLastUpdatedAfter"], "DateLastUpdated"),
    to(&["DateLastUpdatedBefore"], "DateLastUpdated"),
    from(&["StartDateAfter"], "StartDate"),
    to(&["StartDateBefore"], "StartDate"),
    from(&["EndDateAfter"], "EndDate"),
    to(&["EndDateBefore"], "EndDate"),
];

pub(crate) const PARTNER: Row = Row {
    resource: Resource::Contracts,
    api: Api::Partner,
    path: "Contracts",
    list: true,
    item: true,
    list_key: "Contracts",
    item_element: "Contract",
    id_attr: "Id",
    parent: None,
    source: "Partner Contract (16) from OAS impact-partner-contracts-v16.yaml; Brand Contract (18) \
             from OAS impact-brand-contracts-v14.yaml; ACTIVE only by default (resources.md 3.9)",
    filters: FILTERS,
    rules: &[Rule::Default {
        param: "Status",
        attr: "Status",
        value: "ACTIVE",
    }],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(contracts),
};

pub(crate) const BRAND: Row = Row {
    api: Api::Brand,
    path: "Campaigns/{CampaignId}/Contracts",
    parent: Some(Parent {
        capture: "CampaignId",
        attr: "CampaignId",
        resource: Resource::Campaigns,
    }),
    ..PARTNER
};
