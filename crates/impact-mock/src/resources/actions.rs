//! Actions, their items and their updates: streams made on demand from the action timeline.
//!
//! Attributes: Partner `Action` (33), `Item` (13), `ActionUpdate` (40) from OAS
//! `impact-partner-actions-v16.yaml`; Brand `Action` (39), `ActionItem` (13), `ActionUpdate`
//! (38) from OAS `impact-brand-actions-v14.yaml` (`resources.md` §3.10, §3.11), plus `CallerId`
//! on Brand updates, which tap-impact's schema reads (`connectors.md` §1.10). Filters and rules
//! from DOC-P list-actions-1, DOC-B list-all-actions and list-all-action-updates and the OAS
//! (the August 2024 rules; `resources.md` §3.10 rules 1 to 7).

use serde_json::Value;

use crate::Resource;
use crate::attrs::{Attr, Cx, Entity, also, build, cents, date, empty, lit, pick, text};
use crate::rng::{Draw, mix, tag};
use crate::table::{
    ACTION_PAGES, Api, Applied, Data, Filter, Group, PAGES, Parent, Row, Rule, Stream, eq, from, to,
};
use crate::time::{DAY, Timestamp};
use crate::world::actions::{Action, MAX_BACKDATE, MAX_LIFE, STRIDE, Status, Step, Update};
use crate::world::entities::{Campaign, FIRST_PARTNER_ID};
use crate::world::names;
use crate::world::overlay::WRITTEN_BASE;
use crate::world::timeline::THREE_YEARS;

/// An action as seen at one instant.
pub(crate) struct Seen {
    pub(crate) action: Action,
    pub(crate) status: Status,
}

impl Entity for Seen {
    fn draw(&self) -> Draw {
        self.action.draw
    }
}

fn campaign<'a>(action: &Action, cx: &Cx<'a>) -> &'a Campaign {
    cx.world.campaign(action.campaign)
}

/// The customer's place: city, region, country, area, consistent across attributes.
fn place(action: &Action) -> (&'static str, &'static str, &'static str, &'static str) {
    let cities = names::CITIES;
    let index = action.draw.fork(tag("place")).below(cities.len() as u64) as usize;
    cities[index % cities.len()]
}

fn order_id(action: &Action) -> String {
    action.order.clone()
}

fn sub_id(action: &Action, which: u64) -> String {
    let mut draw = action.draw.fork(tag("SubId") ^ which);
    match (which, draw.below(4)) {
        (1, 0 | 1) => ["Blog", "Newsletter", "Homepage"][draw.below(3) as usize].to_owned(),
        (2, 0) => ["Website", "App"][draw.below(2) as usize].to_owned(),
        _ => String::new(),
    }
}

fn shared_id(action: &Action) -> String {
    let mut draw = action.draw.fork(tag("SharedId"));
    if draw.chance(30) {
        format!("RT-{}", 19_000_000 + draw.below(1_000_000))
    } else {
        String::new()
    }
}

fn promo_code(action: &Action, cx: &Cx<'_>) -> String {
    let mut draw = action.draw.fork(tag("PromoCode"));
    if draw.chance(15) {
        let name = &campaign(action, cx).name;
        format!(
            "{}{}",
            crate::world::names::slug(name).to_ascii_uppercase(),
            5 * (1 + draw.below(6))
        )
    } else {
        String::new()
    }
}

fn referring_type(action: &Action) -> &'static str {
    let mut draw = action.draw.fork(tag("ReferringType"));
    match draw.below(20) {
        0..=14 => "CLICK_COOKIE",
        15 | 16 => "CLICK_FINGERPRINT",
        17 => "PROMOCODE",
        18 => "IMPRESSION_COOKIE",
        _ => "REPORTED_PARTNER_ID",
    }
}

fn uri(action: &Action, cx: &Cx<'_>) -> String {
    format!("{}/Actions/{}", cx.root, action.id())
}

/// The partner of an action, as the Brand API names it.
fn partner_name(action: &Action, cx: &Cx<'_>) -> String {
    cx.world.partner(action.partner).name
}

/// The attributes both APIs' actions share (in the Partner reference's order; objects are
/// served in alphabetical order).
static ACTION: &[Attr<Seen>] = &[
    text("Id", |a, _| a.action.id()),
    text("CampaignId", |a, cx| campaign(&a.action, cx).id.to_string()),
    text("CampaignName", |a, cx| campaign(&a.action, cx).name.clone()),
    text("ActionTrackerId", |a, cx| {
        campaign(&a.action, cx)
            .tracker_id(a.action.tracker)
            .to_string()
    }),
    text("ActionTrackerName", |a, _| {
        Campaign::tracker_name(a.action.tracker).to_owned()
    }),
    text("State", |a, _| a.status.state.to_owned()),
    text("AdId", |a, _| (500_000 + a.action.ad).to_string()),
    text("Payout", |a, _| cents(a.status.payout)),
    text("Amount", |a, _| cents(a.status.amount)),
    text("Currency", |a, _| a.action.currency.to_owned()),
    text("EventDate", |a, _| a.action.event.to_string()),
    text("LockingDate", |a, _| a.action.locking.to_string()),
    text("Oid", |a, _| order_id(&a.action)),
    empty("EventCode"),
    text("SharedId", |a, _| shared_id(&a.action)),
    text("DeltaPayout", |a, _| cents(a.status.delta_payout)),
    text("IntendedPayout", |a, _| cents(a.action.payout)),
    text("DeltaAmount", |a, _| cents(a.status.delta_amount)),
    text("IntendedAmount", |a, _| cents(a.action.amount)),
    text("ReferringDate", |a, _| a.action.referring.to_string()),
    text("CreationDate", |a, _| a.action.created.to_string()),
    text("ClearedDate", |a, _| date(a.status.cleared)),
    text("ReferringType", |a, _| referring_type(&a.action).to_owned()),
    pick("ReferringDomain", names::DOMAINS),
    text("PromoCode", |a, cx| promo_code(&a.action, cx)),
    text("CustomerArea", |a, _| place(&a.action).3.to_owned()),
    text("CustomerCity", |a, _| place(&a.action).0.to_owned()),
    text("CustomerRegion", |a, _| place(&a.action).1.to_owned()),
    text("CustomerCountry", |a, _| place(&a.action).2.to_owned()),
    text("Uri", |a, cx| uri(&a.action, cx)),
];

/// The Partner action: the shared attributes and its sub-ids.
static PARTNER_ACTION: &[Attr<Seen>] = &[
    also(ACTION),
    text("SubId1", |a, _| sub_id(&a.action, 1)),
    text("SubId2", |a, _| sub_id(&a.action, 2)),
    text("SubId3", |a, _| sub_id(&a.action, 3)),
];

/// The Brand action: the shared attributes, the partner, the customer and the cost.
static BRAND_ACTION: &[Attr<Seen>] = &[
    also(ACTION),
    text("MediaPartnerId", |a, _| {
        (FIRST_PARTNER_ID + a.action.partner).to_string()
    }),
    text("MediaPartnerName", |a, cx| partner_name(&a.action, cx)),
    text("ClientCost", |a, _| {
        cents(a.status.payout + a.status.payout / 5)
    }),
    text("CustomerId", |a, _| customer_id(&a.action)),
    text("CustomerStatus", |a, _| {
        customer_status(&a.action).to_owned()
    }),
    text("CustomerPostCode", |a, _| {
        format!("{:05}", mix(a.action.n ^ 7) % 99_999)
    }),
    text("IpAddress", |a, _| {
        format!("{:016x}{:016x}", mix(a.action.n), mix(!a.action.n))
    }),
    empty("CallerId"),
    empty("Note"),
];

fn customer_id(action: &Action) -> String {
    format!("C{:012X}", mix(action.n ^ 0xC057) % 0xFFFF_FFFF_FFFF)
}

fn customer_status(action: &Action) -> &'static str {
    if action.draw.fork(tag("CustomerStatus")).chance(65) {
        "NEW"
    } else {
        "RETURNING"
    }
}

/// One item of an action.
pub(crate) struct ItemSeen {
    seen: Seen,
    k: u64,
}

impl Entity for ItemSeen {
    fn draw(&self) -> Draw {
        self.seen.action.draw.fork(self.k)
    }
}

/// The product of item `k` of action `n`: name and category.
fn product(n: u64, k: u64) -> (&'static str, &'static str) {
    let products = names::PRODUCTS;
    products[(mix(n * 7 + k) % products.len() as u64) as usize]
}

/// The SKU of item `k` of action `n`.
fn sku(n: u64, k: u64) -> String {
    (10_000 + mix(n * 7 + k) % 90_000).to_string()
}

impl ItemSeen {
    fn product(&self) -> (&'static str, &'static str) {
        product(self.seen.action.n, self.k)
    }

    fn sku(&self) -> String {
        sku(self.seen.action.n, self.k)
    }

    /// This item's share of an amount: equal parts, the remainder on the first item.
    fn share(&self, amount: i64) -> i64 {
        let items = i64::try_from(self.seen.action.items.max(1)).unwrap_or(1);
        let part = amount / items;
        if self.k == 0 {
            amount - part * (items - 1)
        } else {
            part
        }
    }

    /// The last adjustment or reversal by now, if any.
    fn adjustment(&self, cx: &Cx<'_>) -> Option<Update> {
        self.seen
            .action
            .updates_at(cx.now)
            .map(|(_, update)| update)
            .filter(|update| matches!(update.step, Step::Adjusted | Step::Reversed))
            .last()
    }
}

static ITEM: &[Attr<ItemSeen>] = &[
    text("Sku", |i, _| i.sku()),
    text("ItemName", |i, cx| {
        format!(
            "{} {}",
            campaign(&i.seen.action, cx).advertiser,
            i.product().0
        )
    }),
    text("Category", |i, _| i.product().1.to_owned()),
    text("Quantity", |i, _| {
        (1 + mix(i.seen.action.n + i.k) % 3).to_string()
    }),
    text("SaleAmount", |i, _| cents(i.share(i.seen.status.amount))),
    text("SaleAmountCurrency", |i, _| {
        i.seen.action.currency.to_owned()
    }),
    text("Payout", |i, _| cents(i.share(i.seen.status.payout))),
    text("PayoutCurrency", |i, _| i.seen.action.currency.to_owned()),
    lit("Rebate", "0.00"),
    text("RebateCurrency", |i, _| i.seen.action.currency.to_owned()),
    text("AdjustmentDate", |i, cx| {
        date(i.adjustment(cx).map(|update| update.at))
    }),
    text("AdjustmentReason", |i, cx| {
        match i.adjustment(cx).map(|u| u.step) {
            Some(Step::Reversed) => "ITEM_RETURNED".to_owned(),
            Some(_) => "ORDER_UPDATE".to_owned(),
            None => String::new(),
        }
    }),
    text("Uri", |i, cx| {
        format!("{}/Items/{}", uri(&i.seen.action, cx), i.sku())
    }),
];

/// One change of an action.
pub(crate) struct UpdateSeen {
    seen: Seen,
    k: u64,
    update: Update,
}

impl Entity for UpdateSeen {
    fn draw(&self) -> Draw {
        self.seen.action.draw
    }
}

impl UpdateSeen {
    /// When the payout clears, once the action is approved (empty while pending or when
    /// reversed).
    fn clearing(&self) -> String {
        let cleared = self
            .seen
            .action
            .updates()
            .map(|(_, update)| update)
            .find(|update| update.step == Step::Cleared);
        match (self.update.step, cleared) {
            (Step::Approved | Step::Cleared, Some(cleared)) => cleared.at.to_string(),
            _ => String::new(),
        }
    }

    fn contract_id(&self) -> String {
        format!(
            "S-{}",
            7_000_000 + self.seen.action.campaign * 1_000 + self.seen.action.partner % 1_000
        )
    }
}

/// The attributes both APIs' action updates share (in the Partner reference's order).
static ACTION_UPDATE: &[Attr<UpdateSeen>] = &[
    text("Id", |u, _| format!("{}.{}", u.seen.action.id(), u.k + 1)),
    text("ActionId", |u, _| u.seen.action.id()),
    text("CampaignId", |u, cx| {
        campaign(&u.seen.action, cx).id.to_string()
    }),
    text("ActionTrackerId", |u, cx| {
        campaign(&u.seen.action, cx)
            .tracker_id(u.seen.action.tracker)
            .to_string()
    }),
    empty("EventCode"),
    text("State", |u, _| u.update.step.state().to_owned()),
    text("StateDetail", |u, _| u.update.step.detail().0.to_owned()),
    text("StateDetailDescription", |u, _| {
        u.update.step.detail().1.to_owned()
    }),
    text("AdId", |u, _| (500_000 + u.seen.action.ad).to_string()),
    text("DeltaPayout", |u, _| cents(u.update.delta_payout)),
    text("DeltaAmount", |u, _| cents(u.update.delta_amount)),
    text("Currency", |u, _| u.seen.action.currency.to_owned()),
    text("Category", |u, _| product(u.seen.action.n, 0).1.to_owned()),
    text("Sku", |u, _| sku(u.seen.action.n, 0)),
    text("Quantity", |u, _| {
        (1 + mix(u.seen.action.n) % 3).to_string()
    }),
    empty("CatalogName"),
    empty("CatalogCategory"),
    empty("CatalogDescription"),
    empty("CatalogManufacturer"),
    empty("CatalogOriginalFormatCategory"),
    empty("CatalogSubCategory"),
    text("UpdateDate", |u, _| u.update.at.to_string()),
    text("LockingDate", |u, _| u.seen.action.locking.to_string()),
    text("ClearingDate", |u, _| u.clearing()),
    text("ActionDate", |u, _| u.seen.action.event.to_string()),
    text("Oid", |u, _| order_id(&u.seen.action)),
    text("ContractId", |u, _| u.contract_id()),
    text("EventTypeId", |u, cx| {
        campaign(&u.seen.action, cx)
            .tracker_id(u.seen.action.tracker)
            .to_string()
    }),
    text("EventTypeName", |u, _| {
        Campaign::tracker_name(u.seen.action.tracker).to_owned()
    }),
    lit("PayoutLevel", "ORDER"),
    text("SharedId", |u, _| shared_id(&u.seen.action)),
    text("ActionUri", |u, cx| uri(&u.seen.action, cx)),
    text("Uri", |u, cx| {
        format!(
            "{}/ActionUpdates/{}.{}",
            cx.root,
            u.seen.action.id(),
            u.k + 1
        )
    }),
];

/// The Partner action update: the shared attributes, sub-ids, paystub and default payout.
static PARTNER_UPDATE: &[Attr<UpdateSeen>] = &[
    also(ACTION_UPDATE),
    lit("ReportingState", "IR_BLANK"),
    text("SubId1", |u, _| sub_id(&u.seen.action, 1)),
    text("SubId2", |u, _| sub_id(&u.seen.action, 2)),
    text("SubId3", |u, _| sub_id(&u.seen.action, 3)),
    text("PaystubId", |u, _| {
        if u.update.step == Step::Cleared {
            (116_000 + u.update.at.unix_seconds() / (30 * DAY)).to_string()
        } else {
            String::new()
        }
    }),
    text("DefaultPayout", |u, _| cents(u.seen.action.payout)),
    text("DefaultPayoutCurrency", |u, _| {
        u.seen.action.currency.to_owned()
    }),
];

/// The Brand action update: the shared attributes, the partner, the disposition and the customer.
static BRAND_UPDATE: &[Attr<UpdateSeen>] = &[
    also(ACTION_UPDATE),
    text("MediaPartnerId", |u, _| {
        (FIRST_PARTNER_ID + u.seen.action.partner).to_string()
    }),
    text("Disposition", |u, _| {
        match u.update.step {
            Step::Adjusted => "ORDER_UPDATE",
            Step::Reversed => "ITEM_RETURNED",
            _ => "IR_BLANK",
        }
        .to_owned()
    }),
    text("DefaultPayoutRate", |_, _| "2".to_owned()),
    text("CustomerId", |u, _| customer_id(&u.seen.action)),
    text("CustomerStatus", |u, _| {
        customer_status(&u.seen.action).to_owned()
    }),
    // tap-impact's schema reads it (not in the v14 reference).
    empty("CallerId"),
];

/// The span of creation times whose actions can pass the filters at `now`.
fn creation_span(cx: &Cx<'_>, filters: &[Applied], life: i64) -> (Timestamp, Timestamp) {
    let mut low = cx.now.plus(-THREE_YEARS);
    let mut high = cx.now;
    for filter in filters {
        let crate::table::Wanted::At(at) = filter.wanted else {
            continue;
        };
        let from = filter.op == crate::table::Op::From;
        match (filter.attr, from) {
            ("CreationDate", true) => low = low.max(at),
            ("CreationDate", false) => high = high.min(at),
            ("EventDate", true) => low = low.max(at),
            ("EventDate", false) => high = high.min(at.plus(MAX_BACKDATE)),
            ("LastUpdated" | "UpdateDate", true) => low = low.max(at.plus(-life)),
            ("LastUpdated" | "UpdateDate", false) => high = high.min(at),
            ("LockingDate", true) => low = low.max(at.plus(-47 * DAY)),
            ("LockingDate", false) => high = high.min(at),
            _ => {}
        }
    }
    (low, high)
}

/// Whether an action (as of now) passes the filters that concern the action itself.
fn action_passes(seen: &Seen, filters: &[Applied], cx: &Cx<'_>) -> bool {
    filters.iter().all(|filter| match filter.attr {
        "CampaignId" => filter.accepts_text(&campaign(&seen.action, cx).id.to_string()),
        "State" => filter.accepts_text(seen.status.state),
        "EventDate" => filter.accepts_time(Some(seen.action.event)),
        "LastUpdated" => filter.accepts_time(Some(seen.status.updated)),
        "LockingDate" => filter.accepts_time(Some(seen.action.locking)),
        "CreationDate" => filter.accepts_time(Some(seen.action.created)),
        "MediaPartnerId" => {
            filter.accepts_text(&(FIRST_PARTNER_ID + seen.action.partner).to_string())
        }
        "ActionTrackerId" => filter.accepts_text(
            &campaign(&seen.action, cx)
                .tracker_id(seen.action.tracker)
                .to_string(),
        ),
        "Oid" => filter.accepts_text(&order_id(&seen.action)),
        "ActionId" => filter.accepts_text(&seen.action.id()),
        _ => true,
    })
}

/// Calls `visit` with every action that exists at `now` and was created in the span, newest
/// first, with the earliest instant after `now` at which any of them changes.
fn scan(
    cx: &Cx<'_>,
    (low, high): (Timestamp, Timestamp),
    mut visit: impl FnMut(Seen),
) -> Option<Timestamp> {
    let world = cx.world;
    let mut next: Option<Timestamp> = None;
    let mut note = |at: Option<Timestamp>| {
        if let Some(at) = at.filter(|at| *at > cx.now) {
            next = Some(next.map_or(at, |next| next.min(at)));
        }
    };
    let written = world.overlay().actions.len() as u64;
    let written = (WRITTEN_BASE..WRITTEN_BASE + written).rev();
    let range = world.timelines.actions.range(world.seed, low, high);
    // The next action to be created also changes the answer when the span reaches now.
    if high >= cx.now {
        note(Some(
            world
                .timelines
                .actions
                .at(world.seed, range.end().wrapping_add(1)),
        ));
    }
    for n in written.chain(range.rev()) {
        let action = world.action(n);
        if action.created < low || action.created > high {
            continue;
        }
        note(action.next_change(cx.now));
        // It drops below the floor three years after its event.
        note(Some(action.event.plus(THREE_YEARS + 1)));
        if !action.exists_at(cx.now) {
            note(Some(action.created));
            continue;
        }
        let status = action.status(cx.now);
        visit(Seen { action, status });
    }
    next
}

/// The actions (as of now) that pass the filters, newest first.
pub(crate) fn matching(cx: &Cx<'_>, filters: &[Applied]) -> Vec<(Action, Status)> {
    let mut out = Vec::new();
    let span = creation_span(cx, filters, MAX_LIFE);
    let _ = scan(cx, span, |seen| {
        if action_passes(&seen, filters, cx) {
            out.push((seen.action, seen.status));
        }
    });
    out
}

/// Actions: newest created first.
struct Actions;

impl Stream for Actions {
    fn select(&self, cx: &Cx<'_>, filters: &[Applied]) -> (Vec<u64>, Option<Timestamp>) {
        let mut keys = Vec::new();
        let span = creation_span(cx, filters, MAX_LIFE);
        let next = scan(cx, span, |seen| {
            if action_passes(&seen, filters, cx) {
                keys.push((seen.action.created, seen.action.n));
            }
        });
        keys.sort_unstable_by(|a, b| b.cmp(a));
        (keys.into_iter().map(|(_, n)| n).collect(), next)
    }

    fn item(&self, cx: &Cx<'_>, key: u64) -> Option<Value> {
        let action = cx.world.action(key);
        if !action.exists_at(cx.now) {
            return None;
        }
        let status = action.status(cx.now);
        let attrs = match cx.api {
            Api::Partner => PARTNER_ACTION,
            Api::Brand => BRAND_ACTION,
        };
        Some(build(attrs, &Seen { action, status }, cx))
    }

    fn find(&self, cx: &Cx<'_>, _parent: &[Applied], id: &str) -> Option<u64> {
        cx.world.action_by_id(id, cx.now).map(|action| action.n)
    }
}

/// The items of actions: in recorded order under their action.
struct ActionItems;

impl ActionItems {
    fn parent(cx: &Cx<'_>, parent: &[Applied]) -> Option<Action> {
        let id = parent.iter().find(|filter| filter.attr == "ActionId")?;
        let crate::table::Wanted::Texts(ids) = &id.wanted else {
            return None;
        };
        cx.world.action_by_id(ids.first()?, cx.now)
    }
}

impl Stream for ActionItems {
    fn select(&self, cx: &Cx<'_>, filters: &[Applied]) -> (Vec<u64>, Option<Timestamp>) {
        if let Some(action) = ActionItems::parent(cx, filters) {
            let keys = (0..action.items).map(|k| action.n * STRIDE + k).collect();
            return (keys, action.next_change(cx.now));
        }
        let mut keys = Vec::new();
        let span = creation_span(cx, filters, MAX_LIFE);
        let next = scan(cx, span, |seen| {
            keys.extend((0..seen.action.items).map(|k| seen.action.n * STRIDE + k));
        });
        (keys, next)
    }

    fn item(&self, cx: &Cx<'_>, key: u64) -> Option<Value> {
        let (n, k) = (key / STRIDE, key % STRIDE);
        let action = cx.world.action(n);
        if !action.exists_at(cx.now) || k >= action.items {
            return None;
        }
        let status = action.status(cx.now);
        let item = ItemSeen {
            seen: Seen { action, status },
            k,
        };
        Some(build(ITEM, &item, cx))
    }

    fn find(&self, cx: &Cx<'_>, parent: &[Applied], wanted: &str) -> Option<u64> {
        let action = ActionItems::parent(cx, parent)?;
        (0..action.items)
            .find(|k| sku(action.n, *k) == wanted)
            .map(|k| action.n * STRIDE + k)
    }
}

/// Action updates: newest first.
struct ActionUpdates;

impl Stream for ActionUpdates {
    fn select(&self, cx: &Cx<'_>, filters: &[Applied]) -> (Vec<u64>, Option<Timestamp>) {
        let mut keys = Vec::new();
        let span = creation_span(cx, filters, MAX_LIFE);
        let (action_filters, update_filters): (Vec<_>, Vec<_>) = filters
            .iter()
            .cloned()
            .partition(|filter| filter.attr != "UpdateDate");
        let next = scan(cx, span, |seen| {
            if !action_passes(&seen, &action_filters, cx) {
                return;
            }
            for (k, update) in seen.action.updates_at(cx.now) {
                if update_filters
                    .iter()
                    .all(|filter| filter.accepts_time(Some(update.at)))
                {
                    keys.push((update.at, seen.action.n * STRIDE + k));
                }
            }
        });
        keys.sort_unstable_by(|a, b| b.cmp(a));
        (keys.into_iter().map(|(_, key)| key).collect(), next)
    }

    fn item(&self, cx: &Cx<'_>, key: u64) -> Option<Value> {
        let (n, k) = (key / STRIDE, key % STRIDE);
        let action = cx.world.action(n);
        if !action.exists_at(cx.now) {
            return None;
        }
        let (_, update) = action.updates_at(cx.now).find(|(kk, _)| *kk == k)?;
        let status = action.status(cx.now);
        let attrs = match cx.api {
            Api::Partner => PARTNER_UPDATE,
            Api::Brand => BRAND_UPDATE,
        };
        let seen = UpdateSeen {
            seen: Seen { action, status },
            k,
            update,
        };
        Some(build(attrs, &seen, cx))
    }

    fn find(&self, cx: &Cx<'_>, _parent: &[Applied], id: &str) -> Option<u64> {
        let (action_id, k) = id.rsplit_once('.')?;
        let k: u64 = k.parse().ok()?;
        let action = cx.world.action_by_id(action_id, cx.now)?;
        let k = k.checked_sub(1)?;
        action
            .updates_at(cx.now)
            .any(|(kk, _)| kk == k)
            .then_some(action.n * STRIDE + k)
    }
}

/// The filters of Actions, current names first (DOC-P list-actions-1, OAS).
const ACTION_FILTERS: &[Filter] = &[
    eq(&["CampaignId"], "CampaignId"),
    eq(&["State"], "State"),
    from(&["ActionDateStart"], "EventDate"),
    to(&["ActionDateEnd"], "EventDate"),
    from(&["StartDate"], "LastUpdated"),
    to(&["EndDate"], "LastUpdated"),
    from(&["LockingDateStart"], "LockingDate"),
    to(&["LockingDateEnd"], "LockingDate"),
    eq(&["MediaPartnerId"], "MediaPartnerId"),
    eq(&["ActionTrackerId"], "ActionTrackerId"),
];

/// The rules of Actions and ActionUpdates (the August 2024 rules, `resources.md` §3.10),
/// after any rules given first.
macro_rules! window_rules {
    ($($first:expr),*) => {
        &[
            $($first,)*
            Rule::Window { start: "StartDate", end: "EndDate", max_days: 45 },
            Rule::Window { start: "ActionDateStart", end: "ActionDateEnd", max_days: 45 },
            Rule::Window { start: "LockingDateStart", end: "LockingDateEnd", max_days: 45 },
            Rule::Floor("StartDate"),
            Rule::Floor("ActionDateStart"),
            Rule::Recent {
                params: &[
                    "StartDate",
                    "EndDate",
                    "ActionDateStart",
                    "ActionDateEnd",
                    "LockingDateStart",
                    "LockingDateEnd",
                ],
                attr: "CreationDate",
                days: 7,
            },
            Rule::MinPageSize(2_000),
            Rule::MaxPages(10),
        ]
    };
}

const WINDOW_RULES: &[Rule] = window_rules!();

/// The Brand rules: the same, and `CampaignId` is required.
const BRAND_WINDOW_RULES: &[Rule] = window_rules!(Rule::Required("CampaignId"));

const UPDATE_FILTERS: &[Filter] = &[
    eq(&["CampaignId"], "CampaignId"),
    eq(&["State"], "State"),
    from(&["StartDate"], "UpdateDate"),
    to(&["EndDate"], "UpdateDate"),
    from(&["ActionDateStart"], "EventDate"),
    to(&["ActionDateEnd"], "EventDate"),
    from(&["LockingDateStart"], "LockingDate"),
    to(&["LockingDateEnd"], "LockingDate"),
    eq(&["MediaPartnerId"], "MediaPartnerId"),
];

const ACTIONS_SOURCE: &str = "Partner Action (33) from OAS impact-partner-actions-v16.yaml; \
    Brand Action (39) from OAS impact-brand-actions-v14.yaml; filters and the August 2024 \
    rules from DOC-P list-actions-1 and DOC-B list-all-actions (resources.md 3.10)";

pub(crate) const PARTNER: Row = Row {
    resource: Resource::Actions,
    api: Api::Partner,
    path: "Actions",
    list: true,
    item: true,
    list_key: "Actions",
    item_element: "Action",
    id_attr: "Id",
    parent: None,
    source: ACTIONS_SOURCE,
    filters: ACTION_FILTERS,
    rules: WINDOW_RULES,
    pages: ACTION_PAGES,
    group: Group::PerformanceDetail,
    data: Data::Stream(&Actions),
};

pub(crate) const BRAND: Row = Row {
    api: Api::Brand,
    rules: BRAND_WINDOW_RULES,
    group: Group::Other,
    ..PARTNER
};

const ITEMS_SOURCE: &str = "Partner Item (13) from OAS impact-partner-actions-v16.yaml, Brand \
    ActionItem (13) from OAS impact-brand-actions-v14.yaml; list key ActionItems, recorded \
    order (resources.md 3.10)";

pub(crate) const PARTNER_ITEMS: Row = Row {
    resource: Resource::ActionItems,
    api: Api::Partner,
    path: "Actions/{ActionId}/Items",
    list: true,
    item: true,
    list_key: "ActionItems",
    item_element: "ActionItem",
    id_attr: "Sku",
    parent: Some(Parent {
        capture: "ActionId",
        attr: "ActionId",
        resource: Resource::Actions,
    }),
    source: ITEMS_SOURCE,
    filters: &[],
    rules: &[],
    pages: PAGES,
    group: Group::PerformanceDetail,
    data: Data::Stream(&ActionItems),
};

pub(crate) const BRAND_ITEMS: Row = Row {
    api: Api::Brand,
    group: Group::Other,
    ..PARTNER_ITEMS
};

const UPDATES_SOURCE: &str = "Partner ActionUpdate (40) from OAS impact-partner-actions-v16.yaml; \
    Brand ActionUpdate (38) from OAS impact-brand-actions-v14.yaml plus CallerId (tap-impact); \
    filters and rules from DOC-B list-all-action-updates and the OAS (resources.md 3.11)";

pub(crate) const PARTNER_UPDATES: Row = Row {
    resource: Resource::ActionUpdates,
    api: Api::Partner,
    path: "ActionUpdates",
    list: true,
    item: true,
    list_key: "ActionUpdates",
    item_element: "ActionUpdate",
    id_attr: "Id",
    parent: None,
    source: UPDATES_SOURCE,
    filters: UPDATE_FILTERS,
    rules: WINDOW_RULES,
    pages: ACTION_PAGES,
    group: Group::PerformanceDetail,
    data: Data::Stream(&ActionUpdates),
};

pub(crate) const BRAND_UPDATES: Row = Row {
    api: Api::Brand,
    rules: BRAND_WINDOW_RULES,
    group: Group::Other,
    ..PARTNER_UPDATES
};
