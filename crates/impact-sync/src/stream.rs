//! The streams an account can be copied as, per API: what each list is, how it is read in
//! windows and partitions, how changes after the event are caught, and where each fact came
//! from.
//!
//! # Sources
//! Every row cites the documents its facts come from, by these short names:
//! - `oas-partner-X`: impact's OpenAPI file `impact-partner-X-v16.yaml` (Partner API v16), and
//!   `oas-brand-X`: `impact-brand-X-v14.yaml` (Brand API v14), as mirrored in the public
//!   repository `api-evangelist/impact` under `openapi/_original/`.
//! - `ref-actions`: impact's reference pages "List all actions" and "List all action updates"
//!   (integrations.impact.com, `impact-brand/reference/list-all-actions`,
//!   `list-all-action-updates`, and the `impact-publisher` pages of the same names): the rules
//!   in force since 5 August 2024 (a `StartDate` at most three years back, windows of at most
//!   45 days, a default page size of 20,000 and a minimum of 2,000, an error when a query
//!   matches more than ten pages), `CampaignId` required on the Brand API, newest first, and
//!   "state transitions are not updates" (use the locking date).
//! - `ref-pagination`: the reference's "Pagination" page: `Page` from 1, `PageSize`, 1,000 items
//!   a page by default "though this may differ by resource".
//! - `tap-impact`: the streams of the Singer connector `singer-io/tap-impact`
//!   (`tap_impact/streams.py`): which lists a connector reads, their keys and parents.
//! - `spec-2.6`: SPEC 2.6, the rate-limit groups of the Partner API.
//! - `notes-sync`, `notes-resources`, `notes-rates`: the project's research notes on the same
//!   sources (`sync.md`, `resources.md`, `rate-limits.md`), which quote the rate-limit pages
//!   (integrations.impact.com `partner-api-reference/readme/rate-limits`,
//!   `impact-brand/reference/rate-limits`) and collect what the reference leaves unsaid.
//!
//! Where the documents are silent the row says so, and says what was chosen. Unsaid
//! everywhere: the maximum page size of any list (the largest documented value is the
//! actions' default of 20,000; other lists get the documented general default of 1,000), the
//! status and body of a refusal, how soon a change shows in the update filters, and any
//! deletion signal.

use impact_client::ApiKind;

/// How an item's primary key is read, the `Id` column of the stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Key {
    /// One attribute, as a string (`Id`, `BatchId`).
    Field(&'static str),
    /// Several attributes, joined with `/`, where one is unique only within a parent
    /// (Partner deals: `CampaignId/Id`).
    Fields(&'static [&'static str]),
    /// One object per account (`CompanyInformation`): the key is this constant.
    Singleton(&'static str),
}

/// One dimension a stream's reads are fanned out over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FanOut {
    /// One read per id of a parent list (read in full at the start of a run), sent as a query
    /// parameter: Brand actions per `CampaignId`.
    Query {
        /// The parent list's path, relative to the account root.
        parent: &'static str,
        /// The query parameter the id goes in.
        param: &'static str,
    },
    /// One read per id of a parent list, put in the stream's path in place of `{}`:
    /// `Campaigns/{}/Notes`.
    Path {
        /// The parent list's path, relative to the account root.
        parent: &'static str,
    },
    /// One read per value of a parameter whose default hides the other values: contracts are
    /// listed as `ACTIVE` only unless another `Status` is asked for.
    Values {
        /// The query parameter.
        param: &'static str,
        /// Every documented value.
        values: &'static [&'static str],
    },
}

/// How a date filter's bounds are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DateForm {
    /// `2024-05-01T00:00:00Z`.
    DateTime,
    /// `2024-05-01` (report filters).
    Date,
}

/// A pair of query parameters that select items whose date attribute lies in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateFilter {
    pub(crate) attribute: &'static str,
    pub(crate) start: &'static str,
    pub(crate) end: &'static str,
    pub(crate) max_days: u32,
    pub(crate) floor: bool,
    pub(crate) form: DateForm,
}

impl DateFilter {
    /// The item attribute the filter reads (`EventDate`, `LockingDate`, ...).
    pub fn attribute(&self) -> &'static str {
        self.attribute
    }

    /// The parameter of the window's start (`ActionDateStart`).
    pub fn start_param(&self) -> &'static str {
        self.start
    }

    /// The parameter of the window's end (`ActionDateEnd`).
    pub fn end_param(&self) -> &'static str {
        self.end
    }

    /// The longest window the API accepts, in days.
    pub fn max_days(&self) -> u32 {
        self.max_days
    }

    /// Whether the API refuses a start more than three years back.
    pub fn has_floor(&self) -> bool {
        self.floor
    }

    /// How the bounds are written.
    pub fn form(&self) -> DateForm {
        self.form
    }
}

/// How a stream is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Read {
    /// The whole list, every run: small reference lists, where a full read costs a page or two
    /// and is the only way to see every change.
    Full,
    /// One object, not a list (`CompanyInformation`).
    Single,
    /// Date windows. The first run reads `initial` from the start date to now; each later run
    /// reads every filter of `changes` from the end of the last complete run, less the
    /// lookback, to now.
    Windowed {
        /// The filter of the first, complete read: on an attribute that never changes, so
        /// that windows split the items stably while the read goes on.
        initial: DateFilter,
        /// The filters of incremental runs: together they catch new items, changes and
        /// state transitions.
        changes: &'static [DateFilter],
    },
    /// An export job per window: requested once, recorded, polled, downloaded.
    Export {
        /// The window's filter.
        filter: DateFilter,
    },
}

/// The rate-limit group a stream's calls count against (notes-rates, quoting the Partner and
/// Brand rate-limit pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RateGroup {
    /// Partner "Performance detail": event-level data (`/Actions`, `/Clicks`, some
    /// `/Reports`), 500 an hour. `/ActionUpdates` is counted here (inferred: not named).
    PerformanceDetail,
    /// Partner "Product Search": `/Catalogs/*/Items`, 3,000 an hour.
    ProductSearch,
    /// Brand "Catalogs": every `/Catalogs` path, 3,600 an hour.
    Catalogs,
    /// Everything else: 1,000 an hour (Brand actions included: the Brand API has no
    /// performance group).
    Other,
    /// `/ReportExport`: 100 a day, both APIs.
    ReportExport,
}

impl RateGroup {
    /// The documented limit: calls per window of `window_secs` seconds.
    pub fn limit(self) -> (u32, u32) {
        match self {
            RateGroup::PerformanceDetail => (500, 3_600),
            RateGroup::ProductSearch => (3_000, 3_600),
            RateGroup::Catalogs => (3_600, 3_600),
            RateGroup::Other => (1_000, 3_600),
            RateGroup::ReportExport => (100, 86_400),
        }
    }

    /// A short name: `performance_detail`, `product_search`, `catalogs`, `other`,
    /// `report_export`.
    pub fn as_str(self) -> &'static str {
        match self {
            RateGroup::PerformanceDetail => "performance_detail",
            RateGroup::ProductSearch => "product_search",
            RateGroup::Catalogs => "catalogs",
            RateGroup::Other => "other",
            RateGroup::ReportExport => "report_export",
        }
    }
}

/// One stream: a list of an API copied into one table or file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSpec {
    pub(crate) name: &'static str,
    pub(crate) api: ApiKind,
    pub(crate) path: &'static str,
    pub(crate) list_key: &'static str,
    pub(crate) key: Key,
    pub(crate) fan_out: &'static [FanOut],
    pub(crate) read: Read,
    pub(crate) page_size: Option<PageSize>,
    pub(crate) lookback_days: u32,
    pub(crate) group: RateGroup,
    pub(crate) by_default: bool,
    pub(crate) sources: &'static str,
}

/// The page sizes a list accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize {
    pub(crate) max: u32,
    pub(crate) min: u32,
}

impl PageSize {
    /// The largest page the API serves for the list: what the planner asks for.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// The smallest page size the API accepts.
    pub fn min(&self) -> u32 {
        self.min
    }
}

impl StreamSpec {
    /// The stream's name: the table (SQLite) or file (JSONL) it lands in.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Which API the stream belongs to.
    pub fn api(&self) -> ApiKind {
        self.api
    }

    /// The list's path relative to the account root; `{}` stands for a parent's id.
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The JSON key of the list in a page (documentation: pages are read whatever the key).
    pub fn list_key(&self) -> &'static str {
        self.list_key
    }

    /// How the primary key is read.
    pub fn key(&self) -> Key {
        self.key
    }

    /// The dimensions reads are fanned out over, outermost first.
    pub fn fan_out(&self) -> &'static [FanOut] {
        self.fan_out
    }

    /// How the stream is read.
    pub fn read(&self) -> Read {
        self.read
    }

    /// The page sizes, when the list takes `PageSize`.
    pub fn page_size(&self) -> Option<PageSize> {
        self.page_size
    }

    /// The default lookback of incremental runs, in days.
    pub fn lookback_days(&self) -> u32 {
        self.lookback_days
    }

    /// The rate-limit group of its calls.
    pub fn group(&self) -> RateGroup {
        self.group
    }

    /// Whether a sync without `--streams` reads it. Streams that cost a call per item, need a
    /// report handle, or spend a daily export quota are read only when named.
    pub fn is_default(&self) -> bool {
        self.by_default
    }

    /// Where the row's facts came from (see the module docs).
    pub fn sources(&self) -> &'static str {
        self.sources
    }

    /// The stream of this name of an API, exactly as spelled.
    pub fn find(api: ApiKind, name: &str) -> Option<&'static StreamSpec> {
        streams(api).iter().find(|spec| spec.name == name)
    }
}

/// Every stream of an API, parents before the streams fanned out over them. The Agency API
/// has none yet.
pub fn streams(api: ApiKind) -> &'static [StreamSpec] {
    match api {
        ApiKind::Partner => PARTNER,
        ApiKind::Brand => BRAND,
        _ => &[],
    }
}

const FLOOR: bool = true;

/// The event-level filters of actions (ref-actions, oas-partner-actions, oas-brand-actions).
const EVENT_DATE: DateFilter = DateFilter {
    attribute: "EventDate",
    start: "ActionDateStart",
    end: "ActionDateEnd",
    max_days: 45,
    floor: FLOOR,
    form: DateForm::DateTime,
};
const UPDATE_DATE: DateFilter = DateFilter {
    attribute: "UpdateDate",
    start: "StartDate",
    end: "EndDate",
    max_days: 45,
    floor: FLOOR,
    form: DateForm::DateTime,
};
const LOCKING_DATE: DateFilter = DateFilter {
    attribute: "LockingDate",
    start: "LockingDateStart",
    end: "LockingDateEnd",
    max_days: 45,
    floor: FLOOR,
    form: DateForm::DateTime,
};
/// Actions, after the first read: what was updated (new items, amount adjustments,
/// reversals), what reached its locking date (pending to approved, which the API does not
/// count as an update), and what happened recently by event date (backdated items).
const ACTION_CHANGES: &[DateFilter] = &[UPDATE_DATE, LOCKING_DATE, EVENT_DATE];

/// Creation-date windows of lists the API filters by creation only. No window limit is
/// documented; 45 days is kept so that no window is ever refused for its length.
const fn created(attribute: &'static str, start: &'static str, end: &'static str) -> DateFilter {
    DateFilter {
        attribute,
        start,
        end,
        max_days: 45,
        floor: false,
        form: DateForm::DateTime,
    }
}

const ACTIONS_PAGE: Option<PageSize> = Some(PageSize {
    max: 20_000,
    min: 2_000,
});
/// ref-pagination: 1,000 a page by default; no list documents a larger maximum.
const LIST_PAGE: Option<PageSize> = Some(PageSize { max: 1_000, min: 1 });
/// Backdated actions arrive weeks after their event (SPEC 8.1; no document gives a bound).
/// 88 days: with up to two days since the last run, two 45-day windows per filter.
const ACTION_LOOKBACK: u32 = 88;
const CAMPAIGN_QUERY: &[FanOut] = &[FanOut::Query {
    parent: "Campaigns",
    param: "CampaignId",
}];
const PER_CAMPAIGN: &[FanOut] = &[FanOut::Path {
    parent: "Campaigns",
}];
const CONTRACT_STATUSES: &[&str] = &["ACTIVE", "DECLINED", "EXPIRED", "PENDING", "UPCOMING"];

/// A full-read reference list with an `Id`, one page of up to 1,000.
const fn reference(
    api: ApiKind,
    name: &'static str,
    path: &'static str,
    sources: &'static str,
) -> StreamSpec {
    StreamSpec {
        name,
        api,
        path,
        list_key: name,
        key: Key::Field("Id"),
        fan_out: &[],
        read: Read::Full,
        page_size: LIST_PAGE,
        lookback_days: 0,
        group: RateGroup::Other,
        by_default: true,
        sources,
    }
}

const fn company(api: ApiKind, sources: &'static str) -> StreamSpec {
    StreamSpec {
        key: Key::Singleton("CompanyInformation"),
        read: Read::Single,
        page_size: None,
        ..reference(api, "CompanyInformation", "CompanyInformation", sources)
    }
}

/// An event-level list of the actions family: the largest pages of the reference, the
/// actions' lookback.
const fn event_level(
    api: ApiKind,
    name: &'static str,
    read: Read,
    fan_out: &'static [FanOut],
    group: RateGroup,
    sources: &'static str,
) -> StreamSpec {
    StreamSpec {
        fan_out,
        read,
        page_size: ACTIONS_PAGE,
        lookback_days: ACTION_LOOKBACK,
        group,
        ..reference(api, name, name, sources)
    }
}

/// Actions: event-date windows first, then the filters of changes.
const ACTIONS_READ: Read = Read::Windowed {
    initial: EVENT_DATE,
    changes: ACTION_CHANGES,
};

/// Action updates are records of their own that never change: update-date windows, first
/// from the start date, then from the last run less the lookback.
const UPDATES_READ: Read = Read::Windowed {
    initial: UPDATE_DATE,
    changes: &[UPDATE_DATE],
};

/// Inquiries are filtered by creation date only; a resolution changes an inquiry later, so
/// incremental runs re-read creation windows over the lookback (an assumption: no document
/// says how late a resolution comes).
const fn action_inquiries(
    api: ApiKind,
    fan_out: &'static [FanOut],
    sources: &'static str,
) -> StreamSpec {
    const FILTER: DateFilter = created("CreationDate", "StartDate", "EndDate");
    StreamSpec {
        fan_out,
        read: Read::Windowed {
            initial: FILTER,
            changes: &[FILTER],
        },
        lookback_days: ACTION_LOOKBACK,
        ..reference(api, "ActionInquiries", "ActionInquiries", sources)
    }
}

/// Invoices by creation date (their attribute is `CreatedDate`, oas-partner-invoices and
/// oas-brand-invoices). Their line items change status later (PENDING to PAID) and no filter
/// finds that: incremental runs re-read creation windows over the lookback, assumed (not
/// documented) to cover the time to payment.
const fn invoices(api: ApiKind, sources: &'static str) -> StreamSpec {
    const FILTER: DateFilter = created("CreatedDate", "StartDate", "EndDate");
    StreamSpec {
        read: Read::Windowed {
            initial: FILTER,
            changes: &[FILTER],
        },
        lookback_days: ACTION_LOOKBACK,
        ..reference(api, "Invoices", "Invoices", sources)
    }
}

/// A report exported as a job per window; opt-in (it needs a report handle in the path and
/// spends the daily ReportExport quota).
const fn report_export(api: ApiKind, filter: DateFilter, sources: &'static str) -> StreamSpec {
    StreamSpec {
        key: Key::Field("Id"),
        read: Read::Export { filter },
        page_size: None,
        lookback_days: 45,
        group: RateGroup::ReportExport,
        by_default: false,
        ..reference(api, "ReportExport", "ReportExport/{}", sources)
    }
}

const fn per_campaign(
    api: ApiKind,
    name: &'static str,
    path: &'static str,
    sources: &'static str,
) -> StreamSpec {
    StreamSpec {
        fan_out: PER_CAMPAIGN,
        ..reference(api, name, path, sources)
    }
}

/// The Partner API (`/Mediapartners/{SID}`, v16).
static PARTNER: &[StreamSpec] = &[
    company(ApiKind::Partner, "oas-partner-account; tap-impact"),
    StreamSpec {
        key: Key::Field("CampaignId"),
        ..reference(
            ApiKind::Partner,
            "Campaigns",
            "Campaigns",
            "oas-partner-campaigns (joined programs; a Program's id is CampaignId, it has no Id); notes-resources 3.2",
        )
    },
    reference(
        ApiKind::Partner,
        "Ads",
        "Ads",
        "oas-partner-ads (UpdatedDateStart/End exist; a full read is a page or two); tap-impact",
    ),
    StreamSpec {
        key: Key::Fields(&["CampaignId", "Id"]),
        ..per_campaign(
            ApiKind::Partner,
            "Deals",
            "Campaigns/{}/Deals",
            "oas-partner-deals: listed per campaign only; notes-sync (Id unique per campaign, so the key is CampaignId/Id)",
        )
    },
    reference(
        ApiKind::Partner,
        "PromoCodes",
        "PromoCodes",
        "oas-partner-promo-codes",
    ),
    reference(
        ApiKind::Partner,
        "Catalogs",
        "Catalogs",
        "oas-partner-catalogs; tap-impact",
    ),
    StreamSpec {
        list_key: "Items",
        fan_out: &[FanOut::Path { parent: "Catalogs" }],
        group: RateGroup::ProductSearch,
        ..reference(
            ApiKind::Partner,
            "CatalogItems",
            "Catalogs/{}/Items",
            "oas-partner-catalogs: items per catalog, Id = product_{CatalogId}_{CatalogItemId}; notes-rates (Product Search 3,000/h); tap-impact (catalog_items)",
        )
    },
    StreamSpec {
        fan_out: &[FanOut::Values {
            param: "Status",
            values: CONTRACT_STATUSES,
        }],
        ..reference(
            ApiKind::Partner,
            "Contracts",
            "Contracts",
            "oas-partner-contracts: only ACTIVE unless Status names another, so one read per status",
        )
    },
    event_level(
        ApiKind::Partner,
        "Actions",
        ACTIONS_READ,
        &[],
        RateGroup::PerformanceDetail,
        "ref-actions (CampaignId optional for partners); oas-partner-actions (ActionDate, StartDate/EndDate = last updated, LockingDate filters, 45 days, 3-year floor)",
    ),
    event_level(
        ApiKind::Partner,
        "ActionUpdates",
        UPDATES_READ,
        &[],
        RateGroup::PerformanceDetail,
        "ref-actions (action updates: UpdateDate via StartDate/EndDate, CampaignId optional); oas-partner-actions; notes-rates (Performance detail, inferred)",
    ),
    action_inquiries(
        ApiKind::Partner,
        &[],
        "oas-partner-actioninquiries (StartDate/EndDate = CreationDate; no window rule documented; a resolution changes an inquiry with no update filter); notes-sync",
    ),
    invoices(
        ApiKind::Partner,
        "oas-partner-invoices (StartDate/EndDate = created); notes-sync (line items change status, no update filter)",
    ),
    reference(
        ApiKind::Partner,
        "Reports",
        "Reports",
        "oas-partner-reports; tap-impact",
    ),
    report_export(
        ApiKind::Partner,
        DateFilter {
            attribute: "Date",
            start: "START_DATE",
            end: "END_DATE",
            max_days: 31,
            floor: false,
            form: DateForm::Date,
        },
        "oas-partner-reports (ReportExport/{Id}: QueuedUri, ResultUri; START_DATE/END_DATE as YYYY-MM-DD); oas-partner-jobs (QUEUED, RUNNING, COMPLETED, CANCELLED, ERROR, FAILED). No window limit is documented: 31 days chosen",
    ),
];

/// The Brand API (`/Advertisers/{SID}`, v14).
static BRAND: &[StreamSpec] = &[
    company(ApiKind::Brand, "oas-brand-account; tap-impact"),
    reference(
        ApiKind::Brand,
        "Campaigns",
        "Campaigns",
        "oas-brand-programs; tap-impact",
    ),
    reference(ApiKind::Brand, "Ads", "Ads", "oas-brand-ads; tap-impact"),
    reference(
        ApiKind::Brand,
        "Deals",
        "Deals",
        "oas-brand-deals; tap-impact",
    ),
    reference(
        ApiKind::Brand,
        "PromoCodes",
        "PromoCodes",
        "oas-brand-promocodes; tap-impact",
    ),
    StreamSpec {
        group: RateGroup::Catalogs,
        ..reference(
            ApiKind::Brand,
            "Catalogs",
            "Catalogs",
            "oas-brand-catalogs; notes-rates (Catalogs 3,600/h); tap-impact",
        )
    },
    StreamSpec {
        list_key: "Items",
        key: Key::Field("Uri"),
        fan_out: &[FanOut::Path { parent: "Catalogs" }],
        group: RateGroup::Catalogs,
        ..reference(
            ApiKind::Brand,
            "CatalogItems",
            "Catalogs/{}/Items",
            "oas-brand-catalogs (no Id attribute, no CatalogId: the key is Uri, /Advertisers/{SID}/Catalogs/{CatalogId}/Items/{CatalogItemId}; a paging limit of 20,000 records per catalog); notes-rates (Catalogs 3,600/h); tap-impact (catalog_items)",
        )
    },
    StreamSpec {
        list_key: "Partners",
        ..reference(
            ApiKind::Brand,
            "MediaPartners",
            "MediaPartners",
            "oas-brand-partners (list key Partners; tap-impact reads MediaPartners)",
        )
    },
    StreamSpec {
        list_key: "Groups",
        ..per_campaign(
            ApiKind::Brand,
            "MediaPartnerGroups",
            "Campaigns/{}/MediaPartnerGroups",
            "oas-brand-partnergroups; tap-impact (list key Groups, per campaign)",
        )
    },
    StreamSpec {
        fan_out: &[
            FanOut::Path {
                parent: "Campaigns",
            },
            FanOut::Values {
                param: "Status",
                values: CONTRACT_STATUSES,
            },
        ],
        ..reference(
            ApiKind::Brand,
            "Contracts",
            "Campaigns/{}/Contracts",
            "oas-brand-contracts: per campaign, ACTIVE only unless Status names another",
        )
    },
    event_level(
        ApiKind::Brand,
        "Actions",
        ACTIONS_READ,
        CAMPAIGN_QUERY,
        RateGroup::Other,
        "ref-actions (CampaignId required for brands; StartDate/EndDate = last updated; state transitions are not updates: LockingDate); oas-brand-actions; tap-impact (actions per campaign)",
    ),
    event_level(
        ApiKind::Brand,
        "ActionUpdates",
        UPDATES_READ,
        CAMPAIGN_QUERY,
        RateGroup::Other,
        "ref-actions (list all action updates: CampaignId required, UpdateDate via StartDate/EndDate); oas-brand-actions; tap-impact",
    ),
    action_inquiries(
        ApiKind::Brand,
        CAMPAIGN_QUERY,
        "oas-brand-actioninquiries (StartDate/EndDate = created); notes-sync (CampaignId required on the Brand API); tap-impact (per campaign)",
    ),
    invoices(ApiKind::Brand, "oas-brand-invoices; tap-impact"),
    StreamSpec {
        key: Key::Field("BatchId"),
        list_key: "APISubmission",
        ..reference(
            ApiKind::Brand,
            "APISubmissions",
            "APISubmissions",
            "oas-brand-submissions (no filters; list key APISubmission); tap-impact (key batch_id)",
        )
    },
    StreamSpec {
        key: Key::Field("BatchId"),
        ..reference(
            ApiKind::Brand,
            "FTPFileSubmissions",
            "FTPFileSubmissions",
            "oas-brand-submissions (SubmissionDate and CompletedDate filters exist; a full read is chosen because a submission changes when it completes); tap-impact (key batch_id)",
        )
    },
    per_campaign(
        ApiKind::Brand,
        "Contacts",
        "Campaigns/{}/Contacts",
        "oas-brand-contacts; tap-impact",
    ),
    per_campaign(
        ApiKind::Brand,
        "Notes",
        "Campaigns/{}/Notes",
        "oas-brand-notes (StartDate/EndDate = created; notes are few, read in full); tap-impact",
    ),
    reference(
        ApiKind::Brand,
        "ExceptionLists",
        "ExceptionLists",
        "oas-brand-exceptionlists; tap-impact",
    ),
    StreamSpec {
        list_key: "ExceptionListItems",
        fan_out: &[FanOut::Path {
            parent: "ExceptionLists",
        }],
        ..reference(
            ApiKind::Brand,
            "ExceptionListItems",
            "ExceptionLists/{}/Items",
            "oas-brand-exceptionlists; tap-impact (list key ExceptionListItems)",
        )
    },
    reference(
        ApiKind::Brand,
        "PhoneNumbers",
        "PhoneNumbers",
        "oas-brand-phonenumbers; tap-impact",
    ),
    reference(
        ApiKind::Brand,
        "UniqueUrls",
        "UniqueUrls",
        "tap-impact (no OpenAPI file of v14 describes it)",
    ),
    reference(
        ApiKind::Brand,
        "TrackingValueRequests",
        "TrackingValueRequests",
        "oas-brand-trackingvaluerequests; tap-impact",
    ),
    reference(
        ApiKind::Brand,
        "Reports",
        "Reports",
        "oas-brand-reports; tap-impact",
    ),
    report_export(
        ApiKind::Brand,
        DateFilter {
            attribute: "Date",
            start: "StartDate",
            end: "EndDate",
            max_days: 31,
            floor: false,
            form: DateForm::DateTime,
        },
        "oas-brand-reports (ReportExport/{ReportId}: StartDate/EndDate as date-times, QueuedUri, ResultUri); oas-brand-jobs. No window limit is documented: 31 days chosen",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every parent a stream fans out over is a stream of the same API read before it, every
    /// name is unique and a valid table name, and the limits are consistent.
    #[test]
    fn the_tables_hold_together() {
        for api in [ApiKind::Partner, ApiKind::Brand] {
            let table = streams(api);
            for (index, spec) in table.iter().enumerate() {
                assert_eq!(spec.api, api, "{}", spec.name);
                assert!(crate::store::valid_stream_name(spec.name), "{}", spec.name);
                assert_eq!(
                    table.iter().filter(|other| other.name == spec.name).count(),
                    1,
                    "{} twice",
                    spec.name
                );
                for fan_out in spec.fan_out {
                    if let FanOut::Query { parent, .. } | FanOut::Path { parent } = fan_out {
                        let position = table.iter().position(|other| other.path == *parent);
                        assert!(
                            position.is_some_and(|position| position < index),
                            "{}: parent {parent} missing or later",
                            spec.name
                        );
                    }
                }
                let placeholders = spec.path.matches("{}").count();
                let path_fan_outs = spec
                    .fan_out
                    .iter()
                    .filter(|f| matches!(f, FanOut::Path { .. }))
                    .count();
                let export = matches!(spec.read, Read::Export { .. });
                assert_eq!(
                    placeholders,
                    path_fan_outs + usize::from(export),
                    "{}",
                    spec.name
                );
                if let Some(size) = spec.page_size {
                    assert!(size.min <= size.max, "{}", spec.name);
                }
                if let Read::Windowed { initial, changes } = spec.read {
                    assert!(!changes.is_empty(), "{}", spec.name);
                    for filter in changes.iter().chain([&initial]) {
                        assert!(filter.max_days >= 1, "{}", spec.name);
                    }
                    assert!(spec.lookback_days >= 1, "{}", spec.name);
                }
                assert!(!spec.sources.is_empty(), "{}", spec.name);
            }
        }
    }

    #[test]
    fn finds_streams_by_their_exact_name() {
        let actions = StreamSpec::find(ApiKind::Brand, "Actions").expect("brand actions");
        assert_eq!(actions.fan_out(), CAMPAIGN_QUERY);
        assert!(StreamSpec::find(ApiKind::Partner, "actions").is_none());
        assert!(StreamSpec::find(ApiKind::Agency, "Actions").is_none());
    }
}
