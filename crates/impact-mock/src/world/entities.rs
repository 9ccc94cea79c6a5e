//! The facts other things refer to: campaigns (with their advertiser and action trackers)
//! and media partners, computed from their number.

use crate::rng::{Draw, tag};
use crate::time::{DAY, Timestamp};
use crate::world::World;
use crate::world::names::{self, brand_name, slug};
use crate::world::timeline::EPOCH;

/// The first campaign's id; campaigns are numbered from it.
pub(crate) const FIRST_CAMPAIGN_ID: u64 = 1000;
/// The first media partner's id.
pub(crate) const FIRST_PARTNER_ID: u64 = 2_500_000;

/// A campaign (program): its identity, its advertiser and its terms.
#[derive(Debug, Clone)]
pub(crate) struct Campaign {
    pub(crate) n: u64,
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) advertiser_id: u64,
    pub(crate) advertiser: String,
    /// The advertiser's web host, `www.acmeoutfitters.example`.
    pub(crate) host: String,
    /// How many action trackers (event types) the campaign has, 1 or 2.
    pub(crate) trackers: u64,
    /// The payout as a share of the amount, in basis points.
    pub(crate) payout_bp: i64,
    /// Days from an event to its locking date.
    pub(crate) lock_days: i64,
    pub(crate) created: Timestamp,
    /// Whether the partner's contract with it has expired (every fifth campaign).
    pub(crate) expired: bool,
    pub(crate) draw: Draw,
}

/// The names of action trackers (event types), by tracker number.
const TRACKERS: &[&str] = &["Online Sale", "Lead", "App Install"];

impl Campaign {
    /// The id of tracker `k` of this campaign.
    pub(crate) fn tracker_id(&self, k: u64) -> u64 {
        10_000 + self.n * 10 + k
    }

    pub(crate) fn tracker_name(k: u64) -> &'static str {
        TRACKERS[(k % TRACKERS.len() as u64) as usize]
    }

    pub(crate) fn url(&self) -> String {
        format!("https://{}", self.host)
    }
}

/// A media partner of the brand.
#[derive(Debug, Clone)]
pub(crate) struct Partner {
    pub(crate) n: u64,
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) created: Timestamp,
    pub(crate) draw: Draw,
}

/// Campaign number `n` (0-based) of the world of `seed`.
pub(crate) fn make_campaign(seed: u64, n: u64) -> Campaign {
    let mut draw = Draw::new(seed, tag("Campaign") ^ n);
    // The seed decides which names the world's campaigns start from.
    let name = brand_name(seed % names::BRANDS.len() as u64 + n);
    let host = format!("www.{}.example", slug(&name));
    let advertiser_id = 1_804_200 + n * 13 + seed % 7;
    let trackers = 1 + draw.below(2);
    let payout_bp = draw.between(300, 1200);
    let lock_days = draw.between(14, 45);
    let created = EPOCH.plus(draw.between(0, 180) * DAY + draw.between(0, DAY - 1));
    Campaign {
        n,
        id: FIRST_CAMPAIGN_ID + n,
        advertiser: name.clone(),
        name,
        advertiser_id,
        host,
        trackers,
        payout_bp,
        lock_days,
        created,
        expired: n % 5 == 4,
        draw,
    }
}

impl World {
    /// Campaign number `n` (0-based; taken modulo the campaigns the world holds).
    pub(crate) fn campaign(&self, n: u64) -> &Campaign {
        let len = self.campaign_cache.len().max(1) as u64;
        let index = usize::try_from(n % len).unwrap_or(0);
        &self.campaign_cache[index]
    }

    /// The campaign with this id, if the world has it.
    pub(crate) fn campaign_by_id(&self, id: &str) -> Option<&Campaign> {
        let id: u64 = id.trim().parse().ok()?;
        let n = id.checked_sub(FIRST_CAMPAIGN_ID)?;
        (n < self.counts.campaigns).then(|| self.campaign(n))
    }

    /// Every campaign.
    pub(crate) fn campaigns(&self) -> impl Iterator<Item = &Campaign> + '_ {
        (0..self.counts.campaigns).map(|n| self.campaign(n))
    }

    /// Media partner number `n` (kept in memory up to [`MAX_KEPT_PARTNERS`]).
    pub(crate) fn partner(&self, n: u64) -> Partner {
        match usize::try_from(n)
            .ok()
            .and_then(|index| self.partner_cache.get(index))
        {
            Some(partner) => partner.clone(),
            None => make_partner(self.seed, self.counts.media_partners, n),
        }
    }
}

/// How many partners a world keeps made (a large world has 5,000).
pub(crate) const MAX_KEPT_PARTNERS: u64 = 20_000;

/// Media partner number `n` of the world of `seed` with `count` partners.
pub(crate) fn make_partner(seed: u64, count: u64, n: u64) -> Partner {
    let mut draw = Draw::new(seed, tag("Partner") ^ n);
    let first = draw.pick(names::FIRST_NAMES);
    let kind = draw.pick(names::PARTNER_KINDS);
    let name = if n < 200 {
        format!("{first} {kind}")
    } else {
        format!("{first} {kind} {}", n / 200 + 1)
    };
    let count = count.max(1);
    let spread = 365 * DAY / i64::try_from(count).unwrap_or(1).max(1);
    let created = EPOCH.plus(spread * i64::try_from(n).unwrap_or(0) + draw.between(0, 3_600));
    Partner {
        n,
        id: FIRST_PARTNER_ID + n,
        name,
        created,
        draw,
    }
}

impl World {
    /// The campaigns partner `n` has joined: its own (`n` modulo the campaigns) and, for one
    /// partner in three, the next one too.
    pub(crate) fn partner_campaigns(&self, n: u64) -> Vec<u64> {
        let campaigns = self.counts.campaigns.max(1);
        let mut joined = vec![n % campaigns];
        if n.is_multiple_of(3) && campaigns > 1 {
            joined.push((n + 1) % campaigns);
        }
        joined
    }

    /// A partner of campaign `campaign`, drawn: the partners whose own campaign it is.
    pub(crate) fn partner_of(&self, campaign: u64, draw: &mut Draw) -> u64 {
        let campaigns = self.counts.campaigns.max(1);
        let partners = self.counts.media_partners.max(1);
        let per_campaign = partners.div_ceil(campaigns).max(1);
        let n = campaign % campaigns + campaigns * draw.below(per_campaign);
        if n < partners { n } else { campaign % partners }
    }
}
