//! Actions and their lives: each action is made from its number alone, and its state at any
//! instant follows from the changes it went through up to then.
//!
//! The life of an action (SPEC 8.1; the reference's life cycle, `sync.md` §2): it is created
//! `PENDING` at its `CreationDate`, a few hours after its `EventDate` or, for one in eight,
//! weeks after (backdated); one in seven has its amount adjusted while pending; one in twelve
//! is `REVERSED` before its `LockingDate`; the others are `APPROVED` at the locking date and
//! cleared some days later. Every change is an action update with its own time. Writes
//! (Brand `PUT`/`DELETE /Actions`) add changes of their own through the overlay.

use crate::rng::{Draw, tag};
use crate::time::{DAY, HOUR, Timestamp};
use crate::world::World;
use crate::world::overlay::{Change, WRITTEN_BASE};
use crate::world::timeline::THREE_YEARS;

/// No change of an action happens later than this after its creation (locking at most 46
/// days after creation, clearing at most 31 days after locking).
pub(crate) const MAX_LIFE: i64 = 80 * DAY;

/// How long backdated actions can lag their event.
pub(crate) const MAX_BACKDATE: i64 = 60 * DAY;

/// What happened to an action at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Tracked: `PENDING` with its amount.
    Created,
    /// The amount changed while pending.
    Adjusted,
    /// Reversed: nothing is paid.
    Reversed,
    /// Approved at the locking date.
    Approved,
    /// The commission cleared.
    Cleared,
}

impl Step {
    /// The state the action is in after this step.
    pub(crate) const fn state(self) -> &'static str {
        match self {
            Step::Created | Step::Adjusted => "PENDING",
            Step::Reversed => "REVERSED",
            Step::Approved | Step::Cleared => "APPROVED",
        }
    }

    /// Whether the step counts as an update for the `StartDate`/`EndDate` filter of Actions:
    /// state transitions alone do not ("State transitions (e.g., Pending → Approved) are not
    /// considered updates", Brand OAS and DOC-B list-all-actions).
    pub(crate) const fn counts_as_update(self) -> bool {
        matches!(self, Step::Created | Step::Adjusted | Step::Reversed)
    }

    /// The `StateDetail` / `StateDetailDescription` pair of an update.
    pub(crate) const fn detail(self) -> (&'static str, &'static str) {
        match self {
            Step::Created => (
                "",
                "Action comes in DEFAULT and a locking date has not been set yet",
            ),
            Step::Adjusted => ("ORDER_UPDATE", "Action amount was modified by the brand"),
            Step::Reversed => ("ITEM_RETURNED", "Action was reversed by the brand"),
            Step::Approved => ("LOCKED", "Action locked at its locking date and approved"),
            Step::Cleared => ("CLEARED", "Action payout cleared for payment"),
        }
    }
}

/// One change: when, what, and the amounts after it, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Update {
    pub(crate) at: Timestamp,
    pub(crate) step: Step,
    pub(crate) amount: i64,
    pub(crate) payout: i64,
    pub(crate) delta_amount: i64,
    pub(crate) delta_payout: i64,
}

/// The most changes one action goes through (created, adjusted, reversed or approved,
/// cleared, plus writes): update keys are `action * STRIDE + k`.
pub(crate) const STRIDE: u64 = 16;

/// An action's facts: everything but its changes is fixed at creation.
#[derive(Debug, Clone)]
pub(crate) struct Action {
    pub(crate) n: u64,
    pub(crate) campaign: u64,
    pub(crate) tracker: u64,
    pub(crate) partner: u64,
    pub(crate) ad: u64,
    pub(crate) created: Timestamp,
    pub(crate) event: Timestamp,
    pub(crate) referring: Timestamp,
    pub(crate) locking: Timestamp,
    pub(crate) amount: i64,
    pub(crate) payout: i64,
    pub(crate) currency: &'static str,
    pub(crate) items: u64,
    /// The order id the brand gave (`Oid`).
    pub(crate) order: String,
    pub(crate) draw: Draw,
    updates: [Option<Update>; STRIDE as usize],
}

/// What an action looks like at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Status {
    pub(crate) state: &'static str,
    pub(crate) amount: i64,
    pub(crate) payout: i64,
    pub(crate) delta_amount: i64,
    pub(crate) delta_payout: i64,
    /// The last change that counts as an update.
    pub(crate) updated: Timestamp,
    pub(crate) cleared: Option<Timestamp>,
}

impl Action {
    /// The id the API shows: `{CampaignId}.{4000 + tracker}.{n}`.
    pub(crate) fn id(&self) -> String {
        format!(
            "{}.{}.{}",
            crate::world::entities::FIRST_CAMPAIGN_ID + self.campaign,
            4000 + self.tracker,
            self.n
        )
    }

    /// Every change, in time order (at most [`STRIDE`]).
    pub(crate) fn updates(&self) -> impl Iterator<Item = (u64, Update)> + '_ {
        self.updates
            .iter()
            .enumerate()
            .filter_map(|(k, update)| update.map(|update| (k as u64, update)))
    }

    /// The changes made by `now`.
    pub(crate) fn updates_at(&self, now: Timestamp) -> impl Iterator<Item = (u64, Update)> + '_ {
        self.updates().filter(move |(_, update)| update.at <= now)
    }

    /// Whether the action exists at `now`: created by then, and its event within the three
    /// years the API keeps (the floor below which nothing can be read).
    pub(crate) fn exists_at(&self, now: Timestamp) -> bool {
        self.created <= now && self.event >= now.plus(-THREE_YEARS)
    }

    /// The action as of `now` (which must not be before its creation).
    pub(crate) fn status(&self, now: Timestamp) -> Status {
        let mut status = Status {
            state: "PENDING",
            amount: self.amount,
            payout: self.payout,
            delta_amount: self.amount,
            delta_payout: self.payout,
            updated: self.created,
            cleared: None,
        };
        for (_, update) in self.updates_at(now) {
            status.state = update.step.state();
            status.amount = update.amount;
            status.payout = update.payout;
            if update.step.counts_as_update() {
                status.updated = update.at;
                status.delta_amount = update.delta_amount;
                status.delta_payout = update.delta_payout;
            }
            if update.step == Step::Cleared {
                status.cleared = Some(update.at);
            }
        }
        status
    }

    /// When the action next changes after `now`, if it does.
    pub(crate) fn next_change(&self, now: Timestamp) -> Option<Timestamp> {
        self.updates()
            .map(|(_, update)| update.at)
            .find(|at| *at > now)
    }
}

impl World {
    /// Action number `n`, with the changes writes made to it. Numbers from
    /// [`WRITTEN_BASE`] on are the actions writes created.
    pub(crate) fn action(&self, n: u64) -> Action {
        let mut draw = Draw::new(self.seed, tag("Action") ^ n);
        let written = if n >= WRITTEN_BASE {
            self.overlay().written_action(n).cloned()
        } else {
            None
        };
        let campaigns = self.counts.campaigns.max(1);
        let (campaign, created, event, amount) = match &written {
            Some(written) => (
                written.campaign,
                written.created,
                written.event,
                written.amount,
            ),
            None => {
                let created = self.timelines.actions.at(self.seed, n);
                // Campaigns differ in size: the first ones get more actions.
                let campaign = (draw.below(campaigns) * draw.below(campaigns + 1)) / campaigns;
                let event = if draw.chance(12) {
                    created.plus(-draw.between(7 * DAY, MAX_BACKDATE))
                } else {
                    created.plus(-draw.between(60, 6 * HOUR))
                };
                (campaign, created, event, draw.between(500, 50_000))
            }
        };
        let terms = self.campaign(campaign);
        let tracker = match &written {
            Some(written) => written.tracker,
            None => draw.below(terms.trackers),
        };
        let partner = self.partner_of(campaign, &mut draw);
        let ads = self.counts.ads.max(1);
        let ad = (campaign + campaigns * draw.below(ads.div_ceil(campaigns).max(1))) % ads;
        let referring = event.plus(-draw.between(60, 3 * DAY));
        let mut locking = event.plus(terms.lock_days * DAY).local_midnight();
        if locking <= created.plus(DAY) {
            locking = created.plus(2 * DAY).local_midnight();
        }
        let currency = if draw.chance(85) {
            "USD"
        } else {
            draw.pick(crate::world::names::CURRENCIES)
        };
        let items = 1 + draw.below(3);
        let order = match &written {
            Some(written) => written.order_id.clone(),
            None => (9_217_374_000_000u64 + crate::rng::mix(n) % 1_000_000).to_string(),
        };
        let mut action = Action {
            n,
            campaign,
            tracker,
            partner,
            ad,
            created,
            event,
            referring,
            locking,
            amount,
            payout: amount * terms.payout_bp / 10_000,
            currency,
            items,
            order,
            draw,
            updates: [None; STRIDE as usize],
        };
        let life = Life {
            draw: draw.fork(tag("life")),
            own: written.is_none(),
            payout_bp: terms.payout_bp,
        };
        let changes = self.overlay().changes_of(n);
        live(&mut action, life, &changes);
        action
    }

    /// The action with this id, if it exists at `now`.
    pub(crate) fn action_by_id(&self, id: &str, now: Timestamp) -> Option<Action> {
        let n: u64 = id.rsplit('.').next()?.parse().ok()?;
        let action = self.action(n);
        (action.id() == id && action.exists_at(now)).then_some(action)
    }
}

/// How an action lives: its draws, whether it has a life of its own (generated actions are
/// adjusted and reversed at random; written ones only by later writes), its payout rate.
struct Life {
    draw: Draw,
    own: bool,
    payout_bp: i64,
}

/// Fills in the changes of an action: its own life, cut short by the writes made to it.
fn live(action: &mut Action, life: Life, writes: &[Change]) {
    let Life {
        mut draw,
        own,
        payout_bp,
    } = life;
    let mut steps: Vec<(Timestamp, Step, i64)> =
        vec![(action.created, Step::Created, action.amount)];
    let pending_span = action.locking.since(action.created).max(2 * HOUR);
    if own && draw.chance(14) {
        let at = action.created.plus(draw.between(HOUR, pending_span - HOUR));
        let kept = action.amount * draw.between(40, 90) / 100;
        steps.push((at, Step::Adjusted, kept));
    }
    if own && draw.chance(8) {
        let after = steps.last().map_or(action.created, |step| step.0);
        let at = after.plus(draw.between(HOUR, action.locking.since(after).max(2 * HOUR) - HOUR));
        steps.push((at, Step::Reversed, 0));
    }
    // Writes replace whatever the action's own life would have done after them, as long as
    // the action is still pending when they arrive.
    for write in writes {
        let pending = steps
            .iter()
            .take_while(|step| step.0 <= write.at)
            .all(|step| step.1 != Step::Reversed);
        if pending && write.at >= action.created && write.at < action.locking {
            steps.retain(|step| step.0 <= write.at);
            let step = if write.amount == 0 {
                Step::Reversed
            } else {
                Step::Adjusted
            };
            steps.push((write.at, step, write.amount));
        }
    }
    if steps.iter().all(|step| step.1 != Step::Reversed) {
        steps.push((action.locking, Step::Approved, -1));
        let clears = action
            .locking
            .plus(draw.between(5, 30) * DAY)
            .local_midnight();
        steps.push((clears, Step::Cleared, -1));
    }
    let (mut amount, mut payout) = (0, 0);
    for (k, (at, step, new_amount)) in steps.into_iter().enumerate().take(STRIDE as usize) {
        let new_amount = if new_amount < 0 { amount } else { new_amount };
        let new_payout = if step == Step::Reversed {
            0
        } else {
            new_amount * payout_bp / 10_000
        };
        action.updates[k] = Some(Update {
            at,
            step,
            amount: new_amount,
            payout: new_payout,
            delta_amount: new_amount - amount,
            delta_payout: new_payout - payout,
        });
        amount = new_amount;
        payout = new_payout;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{Counts, Scale, WorldSpec};

    fn world() -> World {
        World::new(
            &WorldSpec {
                seed: 3,
                counts: Counts::of_scale(Scale::Small),
            },
            crate::DEMO_ACCOUNT_SID,
        )
    }

    #[test]
    fn every_life_is_ordered_bounded_and_ends_settled() {
        let world = world();
        for n in 0..3_000 {
            let action = world.action(n);
            let updates: Vec<_> = action.updates().map(|(_, update)| update).collect();
            assert_eq!(updates[0].step, Step::Created);
            assert!(
                updates.windows(2).all(|pair| pair[0].at <= pair[1].at),
                "{n}"
            );
            let last = updates.last().unwrap();
            assert!(last.at.since(action.created) <= MAX_LIFE, "{n}");
            assert!(matches!(last.step, Step::Cleared | Step::Reversed), "{n}");
            assert!(action.event <= action.created);
            assert!(action.created.since(action.event) <= MAX_BACKDATE);
            assert!(action.locking > action.created);
            let end = action.status(last.at);
            assert_eq!(end.amount, last.amount);
            assert_eq!(action.status(action.created).state, "PENDING");
            assert!(world.action_by_id(&action.id(), last.at).is_some());
        }
    }

    #[test]
    fn the_same_number_makes_the_same_action() {
        let world = world();
        let a = world.action(77);
        let b = world.action(77);
        assert_eq!(a.id(), b.id());
        assert_eq!(a.updates, b.updates);
        assert!(world.action_by_id("1000.4000.77x", a.created).is_none());
    }
}
