//! The shape of the resource table: a resource is one row, naming its paths, list key and
//! item element, its attributes (as a generator), filters, rules, page sizes, order and
//! rate-limit group. The rows themselves live in [`crate::resources`].

use serde_json::Value;

use crate::Resource;
use crate::attrs::Cx;
use crate::time::Timestamp;

/// Which API a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Api {
    /// `/Mediapartners/{SID}` (v16).
    Partner,
    /// `/Advertisers/{SID}` (v14). `/Agencies/{SID}` is served the Brand view too.
    Brand,
}

impl Api {
    /// The API of an account root segment.
    pub(crate) fn of_root(root: &str) -> Option<Api> {
        match root {
            "Mediapartners" => Some(Api::Partner),
            "Advertisers" | "Agencies" => Some(Api::Brand),
            _ => None,
        }
    }

    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Api::Partner => "partner",
            Api::Brand => "brand",
        }
    }

    pub(crate) const fn root_segment(self) -> &'static str {
        match self {
            Api::Partner => "Mediapartners",
            Api::Brand => "Advertisers",
        }
    }
}

/// A rate-limit group (`rate-limits.md`): calls are counted per account and group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Group {
    /// Partner "Other" and Brand default: 1,000 an hour.
    Other,
    /// Partner "Performance detail": `/Actions`, `/Clicks`, event-level reports; 500 an hour.
    PerformanceDetail,
    /// Partner "Performance aggregate": aggregate `/Reports`; 250 an hour.
    PerformanceAggregate,
    /// Partner "Product Search": `/Catalogs/ItemSearch`, `/Catalogs/*/Items`; 3,000 an hour.
    ProductSearch,
    /// Brand `/Catalogs`: 3,600 an hour.
    Catalogs,
    /// `/ReportExport`: 100 a day.
    ReportExport,
    /// `/ClickExport`: 10 a day.
    ClickExport,
    /// Brand `POST /Conversions` is not limited.
    Unlimited,
}

impl Group {
    /// The name `GET /_mock/quota` reports.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Group::Other => "Other",
            Group::PerformanceDetail => "PerformanceDetail",
            Group::PerformanceAggregate => "PerformanceAggregate",
            Group::ProductSearch => "ProductSearch",
            Group::Catalogs => "Catalogs",
            Group::ReportExport => "ReportExport",
            Group::ClickExport => "ClickExport",
            Group::Unlimited => "Unlimited",
        }
    }

    /// The API's own limit: calls per window and the window in seconds.
    pub(crate) const fn real_limit(self) -> Option<(u64, u64)> {
        match self {
            Group::Other => Some((1_000, 3_600)),
            Group::PerformanceDetail => Some((500, 3_600)),
            Group::PerformanceAggregate => Some((250, 3_600)),
            Group::ProductSearch => Some((3_000, 3_600)),
            Group::Catalogs => Some((3_600, 3_600)),
            Group::ReportExport => Some((100, 86_400)),
            Group::ClickExport => Some((10, 86_400)),
            Group::Unlimited => None,
        }
    }

    /// Whether the group counts calls per day rather than per hour.
    pub(crate) const fn is_daily(self) -> bool {
        matches!(self, Group::ReportExport | Group::ClickExport)
    }
}

/// How a filter compares an item's attribute with the parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// Equal (case-insensitive); a comma-separated value or a repeated parameter matches any.
    Eq,
    /// The attribute contains the text (case-insensitive).
    Contains,
    /// A date on or after the value.
    From,
    /// A date on or before the value.
    To,
}

/// A documented query parameter (with its older names) and what it filters on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Filter {
    /// The names the parameter is accepted under, the current one first.
    pub(crate) params: &'static [&'static str],
    /// The attribute it compares, dotted for nested ones (`Program.Id`). Streams also know
    /// attributes that are not in the item (`LastUpdated` of an action).
    pub(crate) attr: &'static str,
    pub(crate) op: Op,
}

pub(crate) const fn eq(params: &'static [&'static str], attr: &'static str) -> Filter {
    Filter {
        params,
        attr,
        op: Op::Eq,
    }
}

pub(crate) const fn contains(params: &'static [&'static str], attr: &'static str) -> Filter {
    Filter {
        params,
        attr,
        op: Op::Contains,
    }
}

pub(crate) const fn from(params: &'static [&'static str], attr: &'static str) -> Filter {
    Filter {
        params,
        attr,
        op: Op::From,
    }
}

pub(crate) const fn to(params: &'static [&'static str], attr: &'static str) -> Filter {
    Filter {
        params,
        attr,
        op: Op::To,
    }
}

/// A documented rule of a list, with what the API refuses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rule {
    /// A Start/End pair: the start may not come without the end (nor the end without the
    /// start), and they may be at most `max_days` apart.
    Window {
        start: &'static str,
        end: &'static str,
        max_days: i64,
    },
    /// The parameter may not be more than three years before now.
    Floor(&'static str),
    /// With none of `params`, only items whose `attr` is within the last `days` are listed.
    Recent {
        params: &'static [&'static str],
        attr: &'static str,
        days: i64,
    },
    /// Without the parameter, the list holds only items whose `attr` is `value` (Contracts
    /// list only `ACTIVE` ones unless a `Status` is asked for).
    Default {
        param: &'static str,
        attr: &'static str,
        value: &'static str,
    },
    /// The parameter must be given.
    Required(&'static str),
    /// `PageSize` may not be smaller than this.
    MinPageSize(u64),
    /// More than this many pages of the requested size are refused.
    MaxPages(u64),
    /// Items past this position cannot be reached.
    MaxReachable(u64),
}

impl Rule {
    /// Whether the rule is one of August 2024's, which `Rules::Legacy` does not enforce.
    pub(crate) const fn is_documented_only(self) -> bool {
        !matches!(
            self,
            Rule::Required(_) | Rule::MaxReachable(_) | Rule::Default { .. }
        )
    }
}

/// Default and largest page sizes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pages {
    pub(crate) default: u64,
    pub(crate) max: u64,
}

/// The generic default page size ("1,000 results per page (though this may differ by
/// resource)", DOC-P and DOC-B pagination pages) and the largest a list is served with.
pub(crate) const PAGES: Pages = Pages {
    default: 1_000,
    max: 20_000,
};

/// The page sizes of Actions and ActionUpdates: default 20,000 (DOC-P list-actions-1).
pub(crate) const ACTION_PAGES: Pages = Pages {
    default: 20_000,
    max: 20_000,
};

/// A parameter value a filter compares with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// Any of these texts (one unless the value was a list).
    Texts(Vec<String>),
    /// A date.
    At(Timestamp),
}

/// A filter with the value a request gave it.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    pub(crate) attr: &'static str,
    pub(crate) op: Op,
    pub(crate) wanted: Wanted,
}

impl Applied {
    /// Whether a text attribute passes.
    pub(crate) fn accepts_text(&self, value: &str) -> bool {
        match (&self.wanted, self.op) {
            (Wanted::Texts(texts), Op::Eq) => texts.iter().any(|t| t.eq_ignore_ascii_case(value)),
            (Wanted::Texts(texts), Op::Contains) => {
                let value = value.to_ascii_lowercase();
                texts
                    .iter()
                    .any(|t| value.contains(t.to_ascii_lowercase().as_str()))
            }
            (Wanted::At(_), _) => match Timestamp::parse_api(value) {
                Ok(at) => self.accepts_time(Some(at)),
                Err(_) => false,
            },
            (Wanted::Texts(_), _) => true,
        }
    }

    /// Whether a date attribute passes (an empty date never passes a date filter).
    pub(crate) fn accepts_time(&self, at: Option<Timestamp>) -> bool {
        match (&self.wanted, self.op, at) {
            (Wanted::At(bound), Op::From, Some(at)) => at >= *bound,
            (Wanted::At(bound), Op::To, Some(at)) => at <= *bound,
            (Wanted::At(_), _, None) => false,
            _ => true,
        }
    }
}

/// Every item of a population at one instant, in the list's order, and the first instant
/// at which that may change (`None`: only writes change it).
#[derive(Debug, Default)]
pub(crate) struct Generated {
    pub(crate) items: Vec<Value>,
    /// Facts filters may read that the items do not show (an ad's last update in the
    /// Partner view), by item; empty when there are none.
    pub(crate) facts: Vec<Vec<(&'static str, String)>>,
    pub(crate) valid_until: Option<Timestamp>,
}

impl Generated {
    /// Adds an item with the facts filters may read beside its attributes.
    pub(crate) fn push(&mut self, item: Value, facts: Vec<(&'static str, String)>) {
        if !facts.is_empty() {
            self.facts.resize(self.items.len(), Vec::new());
            self.facts.push(facts);
        }
        self.items.push(item);
    }

    /// Notes that the answer changes at `at`, if that is after `now`.
    pub(crate) fn changes_at(&mut self, at: Option<Timestamp>, now: Timestamp) {
        if let Some(at) = at.filter(|at| *at > now) {
            self.valid_until = Some(self.valid_until.map_or(at, |until| until.min(at)));
        }
    }
}

/// A resource too large to hold (actions, their updates and items, clicks): items are made
/// from keys, and a query maps to the keys it selects.
pub(crate) trait Stream: Sync {
    /// The keys of the items that pass `filters` at `cx.now`, in the list's order, and the
    /// first instant at which the answer may change.
    fn select(&self, cx: &Cx<'_>, filters: &[Applied]) -> (Vec<u64>, Option<Timestamp>);
    /// The item of a key.
    fn item(&self, cx: &Cx<'_>, key: u64) -> Option<Value>;
    /// The key of the item with this id (under the parent the filters name, for nested
    /// lists), if it exists at `cx.now`.
    fn find(&self, cx: &Cx<'_>, parent: &[Applied], id: &str) -> Option<u64>;
}

/// The captures of a path (`CampaignId` → `1000`).
pub(crate) type Captures = [(&'static str, String)];

/// Makes one object from the captures of its path.
pub(crate) type MakeSingle = fn(&Cx<'_>, &Captures) -> Option<Value>;

/// Where a row's items come from.
#[derive(Clone, Copy)]
pub(crate) enum Data {
    /// A population, made whole and cached until it changes.
    Population(fn(&Cx<'_>) -> Generated),
    /// A stream made on demand.
    Stream(&'static dyn Stream),
    /// One object, made from the path's captures (`CompanyInformation`, report metadata).
    Single(MakeSingle),
}

/// A path capture that names the parent of a nested list (`Campaigns/{CampaignId}/Deals`):
/// the parent must exist, and the list holds the items whose `attr` is the captured id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parent {
    pub(crate) capture: &'static str,
    pub(crate) attr: &'static str,
    pub(crate) resource: Resource,
}

/// One row of the table: one resource as one API serves it.
pub(crate) struct Row {
    pub(crate) resource: Resource,
    pub(crate) api: Api,
    /// The list path under the account root, captures in braces.
    pub(crate) path: &'static str,
    /// Whether the path itself is a list (else only items under it are served).
    pub(crate) list: bool,
    /// Whether `{path}/{id}` serves one item.
    pub(crate) item: bool,
    /// The JSON list key and XML list element (for most rows, the resource's own).
    pub(crate) list_key: &'static str,
    /// The XML element of one item.
    pub(crate) item_element: &'static str,
    /// The attribute that identifies an item.
    pub(crate) id_attr: &'static str,
    pub(crate) parent: Option<Parent>,
    /// Where the attribute list, filters and rules come from.
    pub(crate) source: &'static str,
    pub(crate) filters: &'static [Filter],
    pub(crate) rules: &'static [Rule],
    pub(crate) pages: Pages,
    pub(crate) group: Group,
    pub(crate) data: Data,
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row")
            .field("resource", &self.resource)
            .field("api", &self.api)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}
