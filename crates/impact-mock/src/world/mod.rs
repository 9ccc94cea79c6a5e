//! The generated world of one account: its sizes, its timelines, the facts items are made of,
//! and what writes and export jobs added to it.
//!
//! Nothing large is stored: campaigns, partners and the other small populations are computed
//! from the seed and their number whenever they are needed, and actions, their updates and
//! clicks are computed from their number, which their creation time maps to (see
//! [`timeline`]). What is stored is small: the caches of the last answers and the overlay of
//! writes.

pub(crate) mod actions;
pub(crate) mod entities;
pub(crate) mod names;
pub(crate) mod overlay;
pub(crate) mod timeline;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::Value;

use crate::Resource;
use crate::rng::{mix, tag};
use crate::time::Timestamp;
use overlay::Overlay;
use timeline::Timeline;

/// How big a generated world is (SPEC 8.4): actions over the three years before `now` and
/// the campaigns they belong to, with every other population in proportion.
///
/// ```
/// use impact_mock::Scale;
///
/// let scale: Scale = "large".parse().unwrap();
/// assert_eq!(scale, Scale::Large);
/// assert_eq!(scale.actions(), 1_000_000);
/// assert!("huge".parse::<Scale>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scale {
    /// About 2,000 actions over three years, 5 campaigns (the default of `impact mock`).
    #[default]
    Small,
    /// About 50,000 actions, 20 campaigns.
    Medium,
    /// About 1,000,000 actions, 100 campaigns.
    Large,
}

impl Scale {
    /// About how many actions the three years before `now` hold.
    pub const fn actions(self) -> u64 {
        match self {
            Scale::Small => 2_000,
            Scale::Medium => 50_000,
            Scale::Large => 1_000_000,
        }
    }

    /// How many campaigns the world has.
    pub const fn campaigns(self) -> u64 {
        match self {
            Scale::Small => 5,
            Scale::Medium => 20,
            Scale::Large => 100,
        }
    }

    /// The name `impact mock --scale` takes.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Medium => "medium",
            Scale::Large => "large",
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scale {
    type Err = crate::ConfigError;

    fn from_str(text: &str) -> Result<Scale, crate::ConfigError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "small" => Ok(Scale::Small),
            "medium" => Ok(Scale::Medium),
            "large" => Ok(Scale::Large),
            _ => Err(crate::ConfigError::new(
                crate::ConfigErrorKind::Scale,
                text,
                "expected small, medium or large",
            )),
        }
    }
}

/// How many of each thing a world holds. Populations are totals; timelines are arrivals per
/// three years.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) campaigns: u64,
    pub(crate) ads: u64,
    pub(crate) deals: u64,
    pub(crate) promo_codes: u64,
    pub(crate) catalogs: u64,
    pub(crate) items_per_catalog: u64,
    pub(crate) media_partners: u64,
    pub(crate) groups_per_campaign: u64,
    pub(crate) contacts_per_campaign: u64,
    pub(crate) exception_lists: u64,
    pub(crate) items_per_exception_list: u64,
    pub(crate) phone_numbers: u64,
    pub(crate) unique_urls: u64,
    pub(crate) paths_per_campaign: u64,
    pub(crate) actions: u64,
    pub(crate) clicks: u64,
    pub(crate) inquiries: u64,
    pub(crate) notes: u64,
    pub(crate) api_submissions: u64,
    pub(crate) ftp_submissions: u64,
    pub(crate) tracking_value_requests: u64,
}

impl Counts {
    /// The counts of a scale: everything grows with the number of actions.
    pub(crate) fn of_scale(scale: Scale) -> Counts {
        let factor = match scale {
            Scale::Small => 1,
            Scale::Medium => 4,
            Scale::Large => 20,
        };
        let campaigns = scale.campaigns();
        Counts {
            campaigns,
            ads: campaigns * 8,
            deals: campaigns * 2,
            promo_codes: 20 * factor,
            catalogs: 2 * factor,
            items_per_catalog: 40 * factor,
            media_partners: match scale {
                Scale::Small => 25,
                Scale::Medium => 500,
                Scale::Large => 5_000,
            },
            groups_per_campaign: 3,
            contacts_per_campaign: 3,
            exception_lists: 3 * factor,
            items_per_exception_list: 10,
            phone_numbers: 8 * factor,
            unique_urls: 12 * factor,
            paths_per_campaign: 10,
            actions: scale.actions(),
            clicks: scale.actions() * 5,
            inquiries: scale.actions() / 100,
            notes: 12,
            api_submissions: 156,
            ftp_submissions: 36,
            tracking_value_requests: 60,
        }
    }

    /// The small, fixed world `MockServer::builder()` serves by default: 45 campaigns, ads and
    /// actions (the counts the workspace's own tests were written against), a few of the rest.
    pub(crate) fn fixture() -> Counts {
        Counts {
            campaigns: 45,
            ads: 45,
            deals: 6,
            promo_codes: 6,
            catalogs: 2,
            items_per_catalog: 5,
            media_partners: 6,
            groups_per_campaign: 2,
            contacts_per_campaign: 2,
            exception_lists: 2,
            items_per_exception_list: 3,
            phone_numbers: 3,
            unique_urls: 3,
            paths_per_campaign: 2,
            actions: 45,
            clicks: 200,
            inquiries: 6,
            notes: 4,
            api_submissions: 12,
            ftp_submissions: 6,
            tracking_value_requests: 6,
        }
    }

    /// Sets the count a resource is listed with; false for resources whose number follows
    /// from others (action items, updates, reports, ...).
    pub(crate) fn set(&mut self, resource: Resource, count: u64) -> bool {
        let slot = match resource {
            Resource::Campaigns => &mut self.campaigns,
            Resource::Ads => &mut self.ads,
            Resource::Deals => &mut self.deals,
            Resource::PromoCodes => &mut self.promo_codes,
            Resource::Catalogs => &mut self.catalogs,
            Resource::CatalogItems => &mut self.items_per_catalog,
            Resource::MediaPartners => &mut self.media_partners,
            Resource::MediaPartnerGroups => &mut self.groups_per_campaign,
            Resource::Contacts => &mut self.contacts_per_campaign,
            Resource::ExceptionLists => &mut self.exception_lists,
            Resource::ExceptionListItems => &mut self.items_per_exception_list,
            Resource::PhoneNumbers => &mut self.phone_numbers,
            Resource::UniqueUrls => &mut self.unique_urls,
            Resource::ConversionPaths => &mut self.paths_per_campaign,
            Resource::Actions => &mut self.actions,
            Resource::Clicks => &mut self.clicks,
            Resource::ActionInquiries => &mut self.inquiries,
            Resource::Notes => &mut self.notes,
            Resource::ApiSubmissions => &mut self.api_submissions,
            Resource::FtpFileSubmissions => &mut self.ftp_submissions,
            Resource::TrackingValueRequests => &mut self.tracking_value_requests,
            _ => return false,
        };
        *slot = count;
        true
    }
}

/// What a world is generated from: the seed and the counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorldSpec {
    pub(crate) seed: u64,
    pub(crate) counts: Counts,
}

/// The timelines of everything that keeps arriving.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timelines {
    pub(crate) actions: Timeline,
    pub(crate) clicks: Timeline,
    pub(crate) inquiries: Timeline,
    pub(crate) notes: Timeline,
    pub(crate) api_submissions: Timeline,
    pub(crate) ftp_submissions: Timeline,
    pub(crate) tracking_value_requests: Timeline,
}

/// A cached answer that holds until the world changes it.
#[derive(Debug)]
pub(crate) struct Cached<T> {
    pub(crate) value: T,
    /// The first instant at which the answer may differ (`None`: only writes change it).
    pub(crate) valid_until: Option<Timestamp>,
    /// The overlay generation it was computed from.
    pub(crate) generation: u64,
}

impl<T> Cached<T> {
    pub(crate) fn holds_at(&self, now: Timestamp, generation: u64) -> bool {
        self.generation == generation && self.valid_until.is_none_or(|until| now < until)
    }
}

/// Every item of a population at one instant, in the resource's order.
#[derive(Debug, Default)]
pub(crate) struct Population {
    pub(crate) items: Vec<Value>,
    /// Facts filters read beside the attributes, by item (possibly shorter than `items`).
    pub(crate) facts: Vec<Vec<(&'static str, String)>>,
    pub(crate) by_id: HashMap<String, usize>,
}

/// The most campaigns a world holds (they are kept in memory).
pub(crate) const MAX_CAMPAIGNS: u64 = 100_000;

/// The keys a query selected, cached until the world changes them.
type Selection = Arc<Cached<Vec<u64>>>;

/// Many cached selections are kept per world: a sync fans out over campaigns and windows.
const SELECTIONS_KEPT: usize = 64;

/// The world of one account.
pub(crate) struct World {
    pub(crate) seed: u64,
    pub(crate) counts: Counts,
    pub(crate) timelines: Timelines,
    campaign_cache: Vec<entities::Campaign>,
    pub(crate) partner_cache: Vec<entities::Partner>,
    overlay: RwLock<Overlay>,
    populations: Mutex<HashMap<usize, Arc<Cached<Population>>>>,
    selections: Mutex<Vec<(String, Selection)>>,
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("World")
            .field("seed", &self.seed)
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

impl World {
    /// The world of the account `sid`: the demo account's world is the seed's own; every
    /// other account's is the seed mixed with its SID.
    pub(crate) fn new(spec: &WorldSpec, sid: &str) -> World {
        let seed = if sid == crate::DEMO_ACCOUNT_SID {
            spec.seed
        } else {
            mix(spec.seed ^ tag(sid))
        };
        let counts = spec.counts.clone();
        let timelines = Timelines {
            actions: Timeline::per_three_years(counts.actions, tag("Actions")),
            clicks: Timeline::per_three_years(counts.clicks, tag("Clicks")),
            inquiries: Timeline::per_three_years(counts.inquiries, tag("ActionInquiries")),
            notes: Timeline::per_three_years(
                counts.notes.saturating_mul(counts.campaigns),
                tag("Notes"),
            ),
            api_submissions: Timeline::per_three_years(counts.api_submissions, tag("APISub")),
            ftp_submissions: Timeline::per_three_years(counts.ftp_submissions, tag("FTPSub")),
            tracking_value_requests: Timeline::per_three_years(
                counts.tracking_value_requests,
                tag("TVR"),
            ),
        };
        let campaign_cache = (0..counts.campaigns.clamp(1, MAX_CAMPAIGNS))
            .map(|n| entities::make_campaign(seed, n))
            .collect();
        let partner_cache = (0..counts.media_partners.min(entities::MAX_KEPT_PARTNERS))
            .map(|n| entities::make_partner(seed, counts.media_partners, n))
            .collect();
        World {
            seed,
            counts,
            timelines,
            campaign_cache,
            partner_cache,
            overlay: RwLock::new(Overlay::default()),
            populations: Mutex::new(HashMap::new()),
            selections: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn overlay(&self) -> RwLockReadGuard<'_, Overlay> {
        self.overlay
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The overlay for a write; every cached answer is dropped with it.
    pub(crate) fn overlay_mut(&self) -> RwLockWriteGuard<'_, Overlay> {
        let mut overlay = self
            .overlay
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        overlay.generation += 1;
        overlay
    }

    /// The cached population of a table row, if it still holds at `now`.
    pub(crate) fn cached_population(
        &self,
        row: usize,
        now: Timestamp,
        generation: u64,
    ) -> Option<Arc<Cached<Population>>> {
        lock(&self.populations)
            .get(&row)
            .filter(|cached| cached.holds_at(now, generation))
            .cloned()
    }

    pub(crate) fn keep_population(&self, row: usize, cached: Arc<Cached<Population>>) {
        lock(&self.populations).insert(row, cached);
    }

    /// A cached selection of item keys under `key` (a resource, its filters and its page-less
    /// query), if it still holds at `now`.
    pub(crate) fn cached_selection(
        &self,
        key: &str,
        now: Timestamp,
        generation: u64,
    ) -> Option<Arc<Cached<Vec<u64>>>> {
        lock(&self.selections)
            .iter()
            .find(|(kept, cached)| kept == key && cached.holds_at(now, generation))
            .map(|(_, cached)| Arc::clone(cached))
    }

    pub(crate) fn keep_selection(&self, key: String, cached: Arc<Cached<Vec<u64>>>) {
        let mut selections = lock(&self.selections);
        selections.retain(|(kept, _)| *kept != key);
        if selections.len() >= SELECTIONS_KEPT {
            selections.remove(0);
        }
        selections.push((key, cached));
    }
}
