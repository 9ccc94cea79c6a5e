//! What the smaller resources share: a numbered thing of a campaign, made at a fixed point
//! of the world's first year, and the few facts their attributes are made from.

use crate::attrs::{Attr, Cx, Entity, build};
use crate::rng::{Draw, tag};
use crate::table::Generated;
use crate::time::{DAY, Timestamp};
use crate::world::World;
use crate::world::entities::Campaign;
use crate::world::timeline::EPOCH;

/// Thing `n` of a population: which campaign it belongs to, when it was made, its draws.
#[derive(Debug, Clone)]
pub(crate) struct Thing {
    pub(crate) n: u64,
    pub(crate) campaign: u64,
    pub(crate) created: Timestamp,
    pub(crate) draw: Draw,
}

impl Entity for Thing {
    fn draw(&self) -> Draw {
        self.draw
    }
}

impl Thing {
    /// Thing `n` of the population `kind`, of campaign `n` modulo the campaigns, made within
    /// the world's first year (so every `now` after it sees the whole population).
    pub(crate) fn new(world: &World, kind: &str, n: u64) -> Thing {
        let mut draw = Draw::new(world.seed, tag(kind) ^ n);
        let campaigns = world.counts.campaigns.max(1);
        let created = EPOCH.plus(draw.between(DAY, 365 * DAY));
        Thing {
            n,
            campaign: n % campaigns,
            created,
            draw,
        }
    }

    pub(crate) fn campaign<'a>(&self, cx: &Cx<'a>) -> &'a Campaign {
        cx.world.campaign(self.campaign)
    }

    /// A draw of this thing for one purpose, the same wherever it is asked for.
    pub(crate) fn draw_for(&self, purpose: &str) -> Draw {
        self.draw.fork(tag(purpose))
    }

    /// When the thing was last changed, by `now`: every `every` days after its creation.
    pub(crate) fn updated(&self, now: Timestamp, every: i64) -> Timestamp {
        let age = now.since(self.created).max(0);
        let period = every.max(1) * DAY;
        self.created.plus(age / period * period)
    }
}

/// A period that repeats: runs of `active` days every `period` days from a fixed offset, so
/// that a deal or a code is renewed as time passes, the same way whatever the path to `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    pub(crate) start: Timestamp,
    pub(crate) end: Timestamp,
    /// Whether `now` is within the run.
    pub(crate) active: bool,
    /// When the answer about this run next changes.
    pub(crate) next_change: Timestamp,
}

/// The current (or last) run of a repeating period at `now`.
pub(crate) fn run(draw: Draw, now: Timestamp, (period_days, active_days): (i64, i64)) -> Run {
    let mut draw = draw;
    let period = period_days.max(1) * DAY;
    // Runs start at 08:00 UTC, midnight in Pacific winter time, on a drawn day of the period.
    let offset = draw.between(0, period_days.max(1) - 1) * DAY + 8 * 3_600;
    let since = now.since(EPOCH.plus(offset));
    let cycle = since.div_euclid(period);
    let start = EPOCH.plus(offset + cycle * period);
    let end = start.plus(active_days * DAY - 1);
    let active = now >= start && now <= end;
    let next_change = if now <= end {
        end.plus(1)
    } else {
        start.plus(period)
    };
    Run {
        start,
        end,
        active,
        next_change,
    }
}

/// Builds the items of a population, in order, noting when any of them next changes.
pub(crate) fn population<E: Entity>(
    cx: &Cx<'_>,
    attrs: &'static [Attr<E>],
    things: impl IntoIterator<Item = (E, Option<Timestamp>)>,
) -> Generated {
    let mut generated = Generated::default();
    for (thing, next_change) in things {
        generated.items.push(build(attrs, &thing, cx));
        generated.changes_at(next_change, cx.now);
    }
    generated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_repeat_and_say_when_they_change() {
        let draw = Draw::new(1, 2);
        let now = EPOCH.plus(1_000 * DAY);
        let run_now = run(draw, now, (90, 30));
        assert!(run_now.start <= now.plus(DAY));
        assert!(run_now.next_change > now);
        let later = run(draw, run_now.next_change, (90, 30));
        assert_ne!(later.active, run_now.active);
        // The same instant gives the same run, however it is reached.
        assert_eq!(run(draw, now, (90, 30)), run_now);
    }
}
