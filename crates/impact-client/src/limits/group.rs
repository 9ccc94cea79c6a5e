//! The rate-limit groups of SPEC 2.6 and the client's own table from a request path to its
//! group (the mock keeps a table of its own: the two share no code).

use std::fmt;
use std::time::Duration;

/// A group of endpoints that share one rate limit on an account (SPEC 2.6).
///
/// The API counts calls per account and per group: most endpoints share the default hourly
/// limit, while event-level data, aggregate reports and product search have hourly limits of
/// their own, and the export endpoints daily ones. The client paces each group apart (a
/// `Remaining: 0` on reports does not hold campaign reads back) and keys shared limits by
/// account and group ([`LimitKey`](crate::LimitKey)).
///
/// ```
/// use std::time::Duration;
/// use impact_client::RateGroup;
///
/// assert_eq!(RateGroup::of_path("/Mediapartners/IRw4Tz9Kc2Ve7Nq5Lx8Bh3Pm6Dj1Gs0Fy4/Actions"), RateGroup::EventData);
/// assert_eq!(RateGroup::of_path("/Campaigns/1000"), RateGroup::Default);
/// assert_eq!(RateGroup::of_path("/Advertisers/IR1/ReportExport/mp_action_listing.json"), RateGroup::ReportExport);
/// assert_eq!(RateGroup::ClickExport.documented_limit(), (10, Duration::from_secs(86_400)));
/// assert_eq!(RateGroup::AggregateReports.as_str(), "aggregate_reports");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RateGroup {
    /// Every endpoint without a limit of its own: 1,000 calls an hour on the Partner API.
    Default,
    /// Event-level data (actions, action updates and inquiries, clicks): 500 an hour.
    EventData,
    /// Aggregate reports: 250 an hour.
    AggregateReports,
    /// Product search in catalogs: 3,000 an hour.
    ProductSearch,
    /// Report exports: 100 a day.
    ReportExport,
    /// Click exports: 10 a day.
    ClickExport,
}

/// How many groups there are, for per-group state kept in arrays.
pub(crate) const GROUP_COUNT: usize = 6;

const HOUR: Duration = Duration::from_secs(3_600);
const DAY: Duration = Duration::from_secs(86_400);

/// The first path segment under the account root of the endpoints that have a limit of their
/// own, and their group; any other segment is [`RateGroup::Default`]. Matched without regard to
/// letter case and without a `.json` or `.xml` suffix.
const PATH_GROUPS: [(&str, RateGroup); 9] = [
    ("Actions", RateGroup::EventData),
    ("ActionUpdates", RateGroup::EventData),
    ("ActionInquiries", RateGroup::EventData),
    ("Clicks", RateGroup::EventData),
    ("Reports", RateGroup::AggregateReports),
    ("Catalogs", RateGroup::ProductSearch),
    ("ItemSearch", RateGroup::ProductSearch),
    ("ReportExport", RateGroup::ReportExport),
    ("ClickExport", RateGroup::ClickExport),
];

/// The account roots of the three APIs, which a full path starts with before the SID.
const API_ROOTS: [&str; 3] = ["Mediapartners", "Advertisers", "Agencies"];

impl RateGroup {
    /// Every group, in declaration order.
    pub const ALL: [RateGroup; GROUP_COUNT] = [
        RateGroup::Default,
        RateGroup::EventData,
        RateGroup::AggregateReports,
        RateGroup::ProductSearch,
        RateGroup::ReportExport,
        RateGroup::ClickExport,
    ];

    /// The group of a request path: a full path under `/Mediapartners/{SID}`,
    /// `/Advertisers/{SID}` or `/Agencies/{SID}`, or a path relative to the account root. The
    /// query, if any, is ignored.
    pub fn of_path(path: &str) -> RateGroup {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let mut segments = path.split('/').filter(|segment| !segment.is_empty());
        let mut first = segments.next().unwrap_or_default();
        if API_ROOTS
            .iter()
            .any(|root| root.eq_ignore_ascii_case(first))
        {
            // Skip the account SID after the root.
            first = segments.nth(1).unwrap_or_default();
        }
        let name = strip_format_suffix(first);
        PATH_GROUPS
            .iter()
            .find(|(segment, _)| segment.eq_ignore_ascii_case(name))
            .map_or(RateGroup::Default, |(_, group)| *group)
    }

    /// A snake_case name for keys and logs: `default`, `event_data`, `aggregate_reports`,
    /// `product_search`, `report_export` or `click_export`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RateGroup::Default => "default",
            RateGroup::EventData => "event_data",
            RateGroup::AggregateReports => "aggregate_reports",
            RateGroup::ProductSearch => "product_search",
            RateGroup::ReportExport => "report_export",
            RateGroup::ClickExport => "click_export",
        }
    }

    /// The limit impact.com documents for the group on the Partner API (SPEC 2.6): calls per
    /// window. An account's real limit comes in the responses' headers and wins; this is what
    /// a shared store may assume before it has seen any.
    pub const fn documented_limit(self) -> (u32, Duration) {
        match self {
            RateGroup::Default => (1_000, HOUR),
            RateGroup::EventData => (500, HOUR),
            RateGroup::AggregateReports => (250, HOUR),
            RateGroup::ProductSearch => (3_000, HOUR),
            RateGroup::ReportExport => (100, DAY),
            RateGroup::ClickExport => (10, DAY),
        }
    }

    /// The group's place in [`RateGroup::ALL`].
    pub(crate) const fn index(self) -> usize {
        match self {
            RateGroup::Default => 0,
            RateGroup::EventData => 1,
            RateGroup::AggregateReports => 2,
            RateGroup::ProductSearch => 3,
            RateGroup::ReportExport => 4,
            RateGroup::ClickExport => 5,
        }
    }
}

impl fmt::Display for RateGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A path segment without the `.json` or `.xml` suffix that also selects the format.
fn strip_format_suffix(segment: &str) -> &str {
    for suffix in [".json", ".xml"] {
        if let Some(cut) = segment.len().checked_sub(suffix.len())
            && segment.is_char_boundary(cut)
            && segment[cut..].eq_ignore_ascii_case(suffix)
        {
            return &segment[..cut];
        }
    }
    segment
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expect: RateGroup) {
        assert_eq!(RateGroup::of_path(path), expect, "{path:?}");
    }

    #[test]
    fn paths_map_to_their_groups() {
        let sid = "IRw4Tz9Kc2Ve7Nq5Lx8Bh3Pm6Dj1Gs0Fy4";
        check("", RateGroup::Default);
        check("/", RateGroup::Default);
        check(&format!("/Mediapartners/{sid}"), RateGroup::Default);
        check(
            &format!("/Mediapartners/{sid}/Campaigns"),
            RateGroup::Default,
        );
        check(
            &format!("/Mediapartners/{sid}/Actions?PageSize=20000"),
            RateGroup::EventData,
        );
        check(
            &format!("/Mediapartners/{sid}/Actions.json"),
            RateGroup::EventData,
        );
        check(
            &format!("/advertisers/{sid}/actionupdates"),
            RateGroup::EventData,
        );
        check(&format!("/Agencies/{sid}/Clicks/77"), RateGroup::EventData);
        check(
            &format!("/Mediapartners/{sid}/Reports/partner_performance"),
            RateGroup::AggregateReports,
        );
        check(
            &format!("/Mediapartners/{sid}/Catalogs/ItemSearch"),
            RateGroup::ProductSearch,
        );
        check(
            &format!("/Mediapartners/{sid}/ReportExport/x.csv"),
            RateGroup::ReportExport,
        );
        check(
            &format!("/Mediapartners/{sid}/ClickExport.xml"),
            RateGroup::ClickExport,
        );
        check(
            &format!("/Mediapartners/{sid}/Jobs/9/Download"),
            RateGroup::Default,
        );
        check("/Actions", RateGroup::EventData);
        check("Reports", RateGroup::AggregateReports);
        check("/ActionsX", RateGroup::Default);
        check("/Actions.jsonx", RateGroup::Default);
        check("/É.json", RateGroup::Default);
    }

    #[test]
    fn indexes_follow_the_declaration_order() {
        for (index, group) in RateGroup::ALL.into_iter().enumerate() {
            assert_eq!(group.index(), index);
        }
    }
}
