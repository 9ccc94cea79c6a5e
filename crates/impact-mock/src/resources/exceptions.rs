//! Exception lists and their items: SKUs or categories a campaign does not pay for. The
//! Partner API reads lists only by id (their ids come from contracts); the Brand API lists
//! them.
//!
//! Attributes: Partner `ExceptionList` (10) and `ExceptionListItem` (7) from OAS
//! `impact-partner-exceptionlists-v16.yaml`; Brand `ExceptionList` (11) with `ActionTrackers`
//! and `ExceptionListItem` (7) from OAS `impact-brand-exceptionlists-v14.yaml`
//! (`resources.md` §3.17).

use serde_json::json;

use super::common::Thing;
use crate::Resource;
use crate::attrs::{Attr, Cx, also, build, empty, json, pick, text};
use crate::table::{Api, Data, Generated, Group, PAGES, Parent, Row, eq};
use crate::world::entities::Campaign;

fn list_id(n: u64) -> u64 {
    5_000 + n
}

fn kind(list: &Thing) -> &'static str {
    if list.n.is_multiple_of(2) {
        "SKU"
    } else {
        "CATEGORY"
    }
}

/// The Partner exception list; the Brand list has these and one more.
static PARTNER_LIST: &[Attr<Thing>] = &[
    text("Id", |l, _| list_id(l.n).to_string()),
    text("Name", |l, cx| {
        format!("{} {} Exclusions", l.campaign(cx).advertiser, kind(l))
    }),
    text("State", |l, _| {
        if l.n % 5 == 4 {
            "DEACTIVATED"
        } else {
            "ACTIVE"
        }
        .to_owned()
    }),
    text("CampaignId", |l, cx| l.campaign(cx).id.to_string()),
    text("Type", |l, _| kind(l).to_owned()),
    text("CreatedDate", |l, _| l.created.to_string()),
    empty("DeactivationDate"),
    text("NumberOfItems", |_, cx| {
        cx.world.counts.items_per_exception_list.to_string()
    }),
    text("ItemsUri", |l, cx| {
        format!("{}/ExceptionLists/{}/Items", cx.root, list_id(l.n))
    }),
    text("Uri", |l, cx| {
        format!("{}/ExceptionLists/{}", cx.root, list_id(l.n))
    }),
];

/// The Brand list also names the action trackers it applies to.
static BRAND_LIST: &[Attr<Thing>] = &[
    also(PARTNER_LIST),
    json("ActionTrackers", |l, cx| {
        let campaign = l.campaign(cx);
        json!([{"Id": campaign.tracker_id(0).to_string(), "Name": Campaign::tracker_name(0)}])
    }),
];

/// Item `k` of a list.
pub(crate) struct ListItem {
    list: Thing,
    k: u64,
}

impl crate::attrs::Entity for ListItem {
    fn draw(&self) -> crate::rng::Draw {
        self.list.draw.fork(self.k)
    }
}

impl ListItem {
    fn id(&self) -> u64 {
        list_id(self.list.n) * 1_000 + self.k + 1
    }

    fn value(&self) -> String {
        match kind(&self.list) {
            "SKU" => format!("SKU-EX-{:04}", self.k + 1),
            _ => ["Gift Cards", "Electronics", "Clearance", "Tobacco"][(self.k % 4) as usize]
                .to_owned(),
        }
    }
}

static ITEM: &[Attr<ListItem>] = &[
    text("Id", |i, _| i.id().to_string()),
    text("ListId", |i, _| list_id(i.list.n).to_string()),
    text("Name", |i, _| i.value()),
    text("Value", |i, _| i.value()),
    pick("MatchMode", &["EQ", "EQ", "REGEX"]),
    text("CreatedDate", |i, _| i.list.created.to_string()),
    text("Uri", |i, cx| {
        format!(
            "{}/ExceptionLists/{}/Items/{}",
            cx.root,
            list_id(i.list.n),
            i.id()
        )
    }),
];

fn lists(cx: &Cx<'_>) -> Generated {
    let attrs = match cx.api {
        Api::Partner => PARTNER_LIST,
        Api::Brand => BRAND_LIST,
    };
    Generated {
        items: (0..cx.world.counts.exception_lists)
            .map(|n| build(attrs, &Thing::new(cx.world, "ExceptionList", n), cx))
            .collect(),
        ..Generated::default()
    }
}

fn items(cx: &Cx<'_>) -> Generated {
    let mut generated = Generated::default();
    for n in 0..cx.world.counts.exception_lists {
        let list = Thing::new(cx.world, "ExceptionList", n);
        for k in 0..cx.world.counts.items_per_exception_list {
            let item = ListItem {
                list: list.clone(),
                k,
            };
            generated.items.push(build(ITEM, &item, cx));
        }
    }
    generated
}

pub(crate) const PARTNER: Row = Row {
    resource: Resource::ExceptionLists,
    api: Api::Partner,
    path: "ExceptionLists",
    list: false,
    item: true,
    list_key: "ExceptionLists",
    item_element: "ExceptionList",
    id_attr: "Id",
    parent: None,
    source: "Partner ExceptionList (10) from OAS impact-partner-exceptionlists-v16.yaml (no list \
             endpoint); Brand ExceptionList (11) from OAS impact-brand-exceptionlists-v14.yaml \
             (resources.md 3.17)",
    filters: &[],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(lists),
};

pub(crate) const BRAND: Row = Row {
    api: Api::Brand,
    list: true,
    filters: &[
        eq(&["CampaignId"], "CampaignId"),
        eq(&["State"], "State"),
        eq(&["Type"], "Type"),
    ],
    ..PARTNER
};

pub(crate) const PARTNER_ITEMS: Row = Row {
    resource: Resource::ExceptionListItems,
    api: Api::Partner,
    path: "ExceptionLists/{ListId}/Items",
    list: true,
    item: true,
    list_key: "ExceptionListItems",
    item_element: "ExceptionListItem",
    id_attr: "Id",
    parent: Some(Parent {
        capture: "ListId",
        attr: "ListId",
        resource: Resource::ExceptionLists,
    }),
    source: "ExceptionListItem (7) from OAS impact-partner-exceptionlists-v16.yaml and \
             impact-brand-exceptionlists-v14.yaml (resources.md 3.17)",
    filters: &[eq(&["Value"], "Value")],
    rules: &[],
    pages: PAGES,
    group: Group::Other,
    data: Data::Population(items),
};

pub(crate) const BRAND_ITEMS: Row = Row {
    api: Api::Brand,
    ..PARTNER_ITEMS
};
