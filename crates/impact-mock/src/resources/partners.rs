//! The Brand API's partners and what hangs off its campaigns: media partners, partner
//! groups, contacts and notes.
//!
//! Attributes: `Partner` (25) with its nested objects from OAS `impact-brand-partners-v14.yaml`
//! and DOC-B `brand-api-reference/reference/partners/partners`, plus the older flat fields
//! tap-impact's `media_partners` schema reads (`AddressLine1`, `Campaigns`, `Groups`,
//! `MpValue1`..., `connectors.md` §1.10); `PartnerGroup` (4) from OAS
//! `impact-brand-partnergroups-v14.yaml`; `Contact` (14) from OAS
//! `impact-brand-contacts-v14.yaml`; `Note` (10) from OAS `impact-brand-notes-v14.yaml`
//! (`resources.md` §3.7, 3.8, 3.15, 3.16). Partners are listed under `MediaPartners` (what
//! tap-impact reads) unless a request pins `IR-Version: 14`, which lists them under
//! `Partners` as the v14 reference does.

use serde_json::{Value, json};

use super::common::Thing;
use crate::Resource;
use crate::attrs::{Attr, Cx, Entity, build, empty, json, lit, pick, strings, text};
use crate::rng::{Draw, tag};
use crate::table::{Api, Data, Generated, Group, PAGES, Parent, Row, eq, from, to};
use crate::time::{DAY, Timestamp};
use crate::world::entities::{FIRST_CAMPAIGN_ID, FIRST_PARTNER_ID, Partner};
use crate::world::names::{self, slug};
use crate::world::timeline::EPOCH;

impl Entity for Partner {
    fn draw(&self) -> Draw {
        self.draw
    }
}

fn website(partner: &Partner) -> String {
    format!("https://www.{}.example", slug(&partner.name))
}

fn updated(partner: &Partner, now: Timestamp) -> Timestamp {
    let age = now.since(partner.created).max(0);
    partner.created.plus(age / (90 * DAY) * (90 * DAY))
}

fn state(partner: &Partner) -> &'static str {
    if partner.n % 11 == 10 {
        "DEACTIVATED"
    } else {
        "ACTIVE"
    }
}

fn joined(partner: &Partner, cx: &Cx<'_>) -> Vec<u64> {
    cx.world.partner_campaigns(partner.n)
}

fn group_of_partner(partner: &Partner, campaign: u64, cx: &Cx<'_>) -> u64 {
    70_000
        + campaign * 10
        + partner.n / cx.world.counts.campaigns.max(1) % cx.world.counts.groups_per_campaign.max(1)
}

const GROUP_NAMES: &[&str] = &[
    "Top Partners",
    "Content Partners",
    "Coupon Sites",
    "Loyalty",
    "Influencers",
];

static PARTNER: &[Attr<Partner>] = &[
    text("Id", |p, _| p.id.to_string()),
    text("Name", |p, _| p.name.clone()),
    text("Description", |p, _| {
        format!("{} recommends products to its readers.", p.name)
    }),
    text("Website", |p, _| website(p)),
    text("State", |p, _| state(p).to_owned()),
    json("Address", |p, _| {
        let (city, region, country, _) = place(p);
        json!({"Country": country, "Address1": "123 Main St", "Address2": "",
               "City": city, "State": region, "PostalCode": "93101"})
    }),
    json(
        "Phone",
        |_, _| json!({"Country": "US", "Number": "8051234567"}),
    ),
    lit("Currency", "USD"),
    lit("Timezone", "America/Los_Angeles"),
    json("IndirectTax", |_, _| json!({"Country": "", "Number": ""})),
    pick("PartnerType", &["MARKETPLACE", "MARKETPLACE", "DIRECT"]),
    json(
        "PromotionalMethods",
        |p, _| json!([{"Type": method(p), "IsPrimary": "true"}]),
    ),
    json("PromotionalCountries", |_, _| strings(["US"])),
    json("Properties", |p, _| {
        json!([{"Id": format!("P-{}", p.n + 1), "Name": format!("{} site", p.name),
                "Type": "WEBSITE", "Platform": "WEB", "Url": website(p)}])
    }),
    json("PromotionalCategories", |_, _| strings(["Retail"])),
    json("Programs", |p, cx| {
        Value::Array(
            joined(p, cx)
                .into_iter()
                .map(|n| {
                    let campaign = cx.world.campaign(n);
                    json!({"Id": campaign.id.to_string(), "Name": campaign.name,
                           "ContractId": contract_id(n, p.n), "ContractName": "Public Terms",
                           "JoinDate": p.created.to_string(), "ExpirationDate": ""})
                })
                .collect(),
        )
    }),
    json("Contacts", |p, _| {
        json!([{"FirstName": p.name.split(' ').next().unwrap_or(""), "LastName": "Partner",
                "Email": format!("hello@{}.example", slug(&p.name)), "IsPrimary": "true"}])
    }),
    json("LinkedAccounts", |_, _| json!([])),
    json(
        "PartnerValues",
        |_, _| json!({"Value1": "", "Value2": "", "Value3": ""}),
    ),
    empty("AccountManager"),
    text("DateCreated", |p, _| p.created.to_string()),
    text("DateLastUpdated", |p, cx| updated(p, cx.now).to_string()),
    empty("CreatedBy"),
    empty("LastUpdatedBy"),
    text("Uri", |p, cx| format!("{}/MediaPartners/{}", cx.root, p.id)),
    // The older flat fields tap-impact's schema reads.
    lit("AddressLine1", "123 Main St"),
    empty("AddressLine2"),
    text("City", |p, _| place(p).0.to_owned()),
    text("Country", |p, _| place(p).2.to_owned()),
    text("CountryState", |p, _| place(p).1.to_owned()),
    lit("PostalCode", "93101"),
    lit("PhoneNumber", "8051234567"),
    json("Contact", |p, _| {
        json!({"EmailAddress": format!("hello@{}.example", slug(&p.name)),
               "FirstName": p.name.split(' ').next().unwrap_or(""), "LastName": "Partner",
               "PhoneNumber": "8051234567"})
    }),
    json("Campaigns", |p, cx| {
        Value::Array(
            joined(p, cx)
                .into_iter()
                .map(|n| {
                    let campaign = cx.world.campaign(n);
                    json!({"CampaignId": campaign.id.to_string(), "CampaignName": campaign.name,
                           "InsertionOrderId": contract_id(n, p.n).trim_start_matches("S-"),
                           "InsertionOrderName": "Public Terms",
                           "JoinDate": p.created.to_string()})
                })
                .collect(),
        )
    }),
    json("Groups", |p, cx| {
        Value::Array(
            joined(p, cx)
                .into_iter()
                .map(|n| {
                    let id = group_of_partner(p, n, cx);
                    json!({"GroupId": id.to_string(),
                           "GroupName": GROUP_NAMES[(id % 10 % GROUP_NAMES.len() as u64) as usize]})
                })
                .collect(),
        )
    }),
    empty("MpValue1"),
    empty("MpValue2"),
    empty("MpValue3"),
    text("PrimaryPromotionalMethod", |p, _| method(p).to_owned()),
    lit("PromotingCountries", "US"),
    text("Rating", |p, _| (1 + p.n % 5).to_string()),
    text("RelationshipState", |p, _| {
        if state(p) == "ACTIVE" {
            "ACTIVE"
        } else {
            "INACTIVE"
        }
        .to_owned()
    }),
];

fn method(partner: &Partner) -> &'static str {
    [
        "CONTENT",
        "COUPON",
        "LOYALTY",
        "EMAIL",
        "SOCIAL_MEDIA_INFLUENCER",
    ][(partner.n % 5) as usize]
}

fn place(partner: &Partner) -> (&'static str, &'static str, &'static str, &'static str) {
    let cities = names::CITIES;
    cities[(partner.n % cities.len() as u64) as usize]
}

/// The id of the contract between campaign `campaign` and partner `partner`.
pub(crate) fn contract_id(campaign: u64, partner: u64) -> String {
    format!(
        "S-{}",
        7_000_000_000 + campaign * 10_000_000 + partner % 10_000_000
    )
}

fn partners(cx: &Cx<'_>) -> Generated {
    let mut generated = Generated::default();
    let world = cx.world;
    for n in 0..world.counts.media_partners {
        let partner = world.partner(n);
        if partner.created > cx.now {
            generated.changes_at(Some(partner.created), cx.now);
            continue;
        }
        let campaigns: Vec<String> = joined(&partner, cx)
            .into_iter()
            .map(|c| (FIRST_CAMPAIGN_ID + c).to_string())
            .collect();
        let groups: Vec<String> = joined(&partner, cx)
            .into_iter()
            .map(|c| group_of_partner(&partner, c, cx).to_string())
            .collect();
        let next_update = updated(&partner, cx.now).plus(90 * DAY);
        generated.changes_at(Some(next_update), cx.now);
        let item = build(PARTNER, &partner, cx);
        generated.push(
            item,
            vec![
                ("CampaignId", campaigns.join(",")),
                ("GroupId", groups.join(",")),
            ],
        );
    }
    generated
}

/// A partner group of a campaign.
pub(crate) struct PartnerGroup {
    campaign: u64,
    k: u64,
    draw: Draw,
}

impl Entity for PartnerGroup {
    fn draw(&self) -> Draw {
        self.draw
    }
}

impl PartnerGroup {
    fn id(&self) -> u64 {
        70_000 + self.campaign * 10 + self.k
    }
}

static GROUP: &[Attr<PartnerGroup>] = &[
    text("Id", |g, _| g.id().to_string()),
    text("Name", |g, _| {
        GROUP_NAMES[(g.k % GROUP_NAMES.len() as u64) as usize].to_owned()
    }),
    json("MediaPartners", |g, cx| {
        let world = cx.world;
        let members: Vec<Value> = (0..world.counts.media_partners)
            .map(|n| world.partner(n))
            .filter(|p| p.created <= cx.now)
            .filter(|p| {
                joined(p, cx)
                    .into_iter()
                    .any(|c| c == g.campaign && group_of_partner(p, c, cx) == g.id())
            })
            .take(200)
            .map(|p| {
                json!({"PartnerId": p.id.to_string(), "PartnerName": p.name,
                       "PartnerUri": format!("{}/MediaPartners/{}", cx.root, p.id)})
            })
            .collect();
        Value::Array(members)
    }),
    text("Uri", |g, cx| {
        format!(
            "{}/Campaigns/{}/MediaPartnerGroups/{}",
            cx.root,
            FIRST_CAMPAIGN_ID + g.campaign,
            g.id()
        )
    }),
];

fn groups(cx: &Cx<'_>) -> Generated {
    let world = cx.world;
    let mut generated = Generated::default();
    for campaign in 0..world.counts.campaigns {
        for k in 0..world.counts.groups_per_campaign {
            let group = PartnerGroup {
                campaign,
                k,
                draw: Draw::new(world.seed, tag("Group") ^ (campaign << 8 | k)),
            };
            let campaign_id = (FIRST_CAMPAIGN_ID + campaign).to_string();
            generated.push(build(GROUP, &group, cx), vec![("CampaignId", campaign_id)]);
        }
    }
    generated.changes_at(Some(cx.now.plus(DAY)), cx.now);
    generated
}

static CONTACT: &[Attr<Thing>] = &[
    text("Id", |c, _| contact_id(c)),
    text("FirstName", |c, _| {
        c.draw_for("first").pick(names::FIRST_NAMES).to_owned()
    }),
    text("LastName", |c, _| {
        c.draw_for("last").pick(names::LAST_NAMES).to_owned()
    }),
    text("EmailAddress", |c, cx| {
        format!(
            "{}@{}",
            c.draw_for("first")
                .pick(names::FIRST_NAMES)
                .to_ascii_lowercase(),
            c.campaign(cx).host.trim_start_matches("www.")
        )
    }),
    pick("Title", &["Partnership Manager", "Marketing Director", ""]),
    text("ProfileImage", |c, cx| {
        format!(
            "{}/Campaigns/{}/Contacts/{}/ProfileImage",
            cx.root,
            c.campaign(cx).id,
            contact_id(c)
        )
    }),
    lit("WorkPhoneNumberCountry", "US"),
    text("WorkPhoneNumber", |c, _| {
        format!("805{:07}", 1_234_567 + c.n)
    }),
    lit("CellphoneNumberCountry", "US"),
    empty("CellphoneNumber"),
    text("Editable", |c, _| {
        if c.n % 2 == 0 { "true" } else { "false" }.to_owned()
    }),
    json("Labels", |_, _| strings(["Billing"])),
    json("Accounts", |c, cx| {
        let campaign = c.campaign(cx);
        json!([{"Id": campaign.advertiser_id.to_string(), "Name": campaign.advertiser}])
    }),
    text("Uri", |c, cx| {
        format!(
            "{}/Campaigns/{}/Contacts/{}",
            cx.root,
            c.campaign(cx).id,
            contact_id(c)
        )
    }),
];

fn contact_id(contact: &Thing) -> String {
    // System-created contacts have `M` ids and cannot be edited.
    if contact.n.is_multiple_of(2) {
        (2_750 + contact.n).to_string()
    } else {
        format!("M{}", 1_369_520 + contact.n)
    }
}

fn contacts(cx: &Cx<'_>) -> Generated {
    let world = cx.world;
    let total = world.counts.campaigns * world.counts.contacts_per_campaign;
    let mut generated = Generated::default();
    for n in 0..total {
        let contact = Thing::new(world, "Contact", n);
        let campaign_id = contact.campaign(cx).id.to_string();
        generated.push(
            build(CONTACT, &contact, cx),
            vec![("CampaignId", campaign_id)],
        );
    }
    generated
}

/// A note about a partner, arriving over time.
pub(crate) struct Note {
    n: u64,
    campaign: u64,
    partner: u64,
    created: Timestamp,
    modified: Timestamp,
    draw: Draw,
}

impl Entity for Note {
    fn draw(&self) -> Draw {
        self.draw
    }
}

fn note(cx: &Cx<'_>, n: u64) -> Note {
    let world = cx.world;
    let created = world.timelines.notes.at(world.seed, n);
    let mut draw = Draw::new(world.seed, tag("Note") ^ n);
    let campaign = n % world.counts.campaigns.max(1);
    let partner = world.partner_of(campaign, &mut draw);
    let modified = created.plus(draw.between(0, 10) * DAY);
    Note {
        n,
        campaign,
        partner,
        created,
        modified,
        draw,
    }
}

static NOTE: &[Attr<Note>] = &[
    text("Id", |n, _| (123_000 + n.n).to_string()),
    text("MediaId", |n, _| (FIRST_PARTNER_ID + n.partner).to_string()),
    text("MediaName", |n, cx| cx.world.partner(n.partner).name),
    text("Creator", |n, _| {
        n.draw.fork(1).pick(names::FIRST_NAMES).to_owned()
    }),
    text("CreationDate", |n, _| n.created.to_string()),
    text("ModificationDate", |n, cx| {
        if cx.now >= n.modified {
            n.modified
        } else {
            n.created
        }
        .to_string()
    }),
    pick(
        "Content",
        &[
            "Discussed the holiday promotion.",
            "Sent new creatives.",
            "Asked for a higher rate.",
            "Meep Meep",
        ],
    ),
    pick("Type", &["EMAIL", "PHONE", "IM", "NONE"]),
    json("Attachments", |_, _| strings([])),
    text("Uri", |n, cx| {
        format!(
            "{}/Campaigns/{}/Notes/{}",
            cx.root,
            FIRST_CAMPAIGN_ID + n.campaign,
            123_000 + n.n
        )
    }),
];

fn notes(cx: &Cx<'_>) -> Generated {
    let world = cx.world;
    let timeline = world.timelines.notes;
    let range = timeline.range(world.seed, EPOCH, cx.now);
    let mut generated = Generated::default();
    for n in range.clone() {
        let note = note(cx, n);
        generated.changes_at(Some(note.modified), cx.now);
        let campaign_id = (FIRST_CAMPAIGN_ID + note.campaign).to_string();
        generated.push(build(NOTE, &note, cx), vec![("CampaignId", campaign_id)]);
    }
    generated.changes_at(
        Some(timeline.at(world.seed, range.end().wrapping_add(1))),
        cx.now,
    );
    generated
}

pub(crate) const MEDIA_PARTNERS: Row = Row {
    resource: Resource::MediaPartners,
    api: Api::Brand,
    path: "MediaPartners",
    list: true,
    item: true,
    list_key: "MediaPartners",
    item_element: "MediaPartner",
    id_attr: "Id",
    parent: None,
    source: "Partner (25) from OAS impact-brand-partners-v14.yaml plus the older flat fields \
             tap-impact reads; sorted by creation date (resources.md 3.7, connectors.md 1.10)",
    filters: &[
        eq(&["Id"], "Id"),
        eq(&["CampaignId"], "CampaignId"),
        eq(&["GroupId"], "GroupId"),
        eq(&["Country"], "Address.Country"),
        from(&["startDate", "StartDate"], "DateLastUpdated"),
        to(&["endDate", "EndDate"], "DateLastUpdated"),
        eq(&["State"], "State"),
        eq(&["RelationshipState"], "RelationshipState"),
    ],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(partners),
};

pub(crate) const GROUPS: Row = Row {
    resource: Resource::MediaPartnerGroups,
    path: "Campaigns/{CampaignId}/MediaPartnerGroups",
    list_key: "Groups",
    item_element: "Group",
    parent: Some(Parent {
        capture: "CampaignId",
        attr: "CampaignId",
        resource: Resource::Campaigns,
    }),
    source: "PartnerGroup (4) from OAS impact-brand-partnergroups-v14.yaml; list key Groups \
             (resources.md 3.8)",
    filters: &[],
    data: Data::Population(groups),
    ..MEDIA_PARTNERS
};

pub(crate) const CONTACTS: Row = Row {
    resource: Resource::Contacts,
    path: "Campaigns/{CampaignId}/Contacts",
    list_key: "Contacts",
    item_element: "Contact",
    source: "Contact (14) from OAS impact-brand-contacts-v14.yaml (resources.md 3.15)",
    filters: &[eq(&["AccountId"], "Accounts.Id"), eq(&["Title"], "Title")],
    data: Data::Population(contacts),
    ..GROUPS
};

pub(crate) const NOTES: Row = Row {
    resource: Resource::Notes,
    path: "Campaigns/{CampaignId}/Notes",
    list_key: "Notes",
    item_element: "Note",
    source: "Note (10) from OAS impact-brand-notes-v14.yaml; sorted chronologically by \
             creation date (resources.md 3.16)",
    filters: &[
        eq(&["MediaId"], "MediaId"),
        from(&["StartDate"], "CreationDate"),
        to(&["EndDate"], "CreationDate"),
    ],
    data: Data::Population(notes),
    ..GROUPS
};
