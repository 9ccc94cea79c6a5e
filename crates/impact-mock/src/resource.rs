//! The resources the mock serves, by the name of their stream (the API's list key).

use std::fmt;

/// A resource of the emulated API, named as its stream: the JSON list key where the API
/// has one (`Campaigns`, `Actions`, ...), a descriptive name otherwise (`CatalogItems` are
/// listed under `Items`, `ActionItems` under `ActionItems`).
///
/// `GET /_mock/world/{name}` streams its ground truth;
/// [`MockServerBuilder::items`](crate::MockServerBuilder::items) sets how many a world holds.
///
/// ```
/// use impact_mock::Resource;
///
/// assert_eq!(Resource::Campaigns.list_key(), "Campaigns");
/// assert_eq!(Resource::Ads.item_element(), "Ad");
/// assert_eq!(Resource::CatalogItems.list_key(), "Items");
/// assert_eq!(Resource::from_name("ActionUpdates"), Some(Resource::ActionUpdates));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// `/CompanyInformation`: the account's own company, one object.
    CompanyInformation,
    /// `/Campaigns`: programs (the Partner API's joined programs, the Brand API's own).
    Campaigns,
    /// `/Ads`: creatives.
    Ads,
    /// `/Deals` (Brand) and `/Campaigns/{Id}/Deals` (Partner).
    Deals,
    /// `/PromoCodes`.
    PromoCodes,
    /// `/Catalogs`.
    Catalogs,
    /// `/Catalogs/{Id}/Items` and `/Catalogs/ItemSearch`.
    CatalogItems,
    /// `/MediaPartners` (Brand): the brand's partners.
    MediaPartners,
    /// `/Campaigns/{Id}/MediaPartnerGroups` (Brand), listed under `Groups`.
    MediaPartnerGroups,
    /// `/Contracts` (Partner) and `/Campaigns/{Id}/Contracts` (Brand).
    Contracts,
    /// `/Actions`: tracked conversions, living in time.
    Actions,
    /// `/Actions/{Id}/Items`: the items of an action.
    ActionItems,
    /// `/ActionUpdates`: every change of every action.
    ActionUpdates,
    /// `/ActionInquiries`: partners' claims for missing or wrong actions.
    ActionInquiries,
    /// `/Invoices`, with their line items nested.
    Invoices,
    /// `/APISubmissions` (Brand), listed under `APISubmission`.
    ApiSubmissions,
    /// `/FTPFileSubmissions` (Brand).
    FtpFileSubmissions,
    /// `/Campaigns/{Id}/Contacts` (Brand).
    Contacts,
    /// `/Campaigns/{Id}/Notes` (Brand).
    Notes,
    /// `/ExceptionLists`.
    ExceptionLists,
    /// `/ExceptionLists/{Id}/Items`.
    ExceptionListItems,
    /// `/PhoneNumbers` (Brand).
    PhoneNumbers,
    /// `/UniqueUrls` (Brand).
    UniqueUrls,
    /// `/TrackingValueRequests` (Brand).
    TrackingValueRequests,
    /// `/Campaigns/{Id}/Models/{ModelId}/ConversionPaths` (Brand).
    ConversionPaths,
    /// `/Reports`: the report catalogue.
    Reports,
    /// `/Reports/{Id}/MetaData`: one object per report.
    ReportMetaData,
    /// `/Jobs`: export jobs.
    Jobs,
    /// `/Clicks/{Id}` and the legacy `/Clicks` list.
    Clicks,
}

impl Resource {
    /// Every resource, in a fixed order.
    pub const ALL: [Resource; 29] = [
        Resource::CompanyInformation,
        Resource::Campaigns,
        Resource::Ads,
        Resource::Deals,
        Resource::PromoCodes,
        Resource::Catalogs,
        Resource::CatalogItems,
        Resource::MediaPartners,
        Resource::MediaPartnerGroups,
        Resource::Contracts,
        Resource::Actions,
        Resource::ActionItems,
        Resource::ActionUpdates,
        Resource::ActionInquiries,
        Resource::Invoices,
        Resource::ApiSubmissions,
        Resource::FtpFileSubmissions,
        Resource::Contacts,
        Resource::Notes,
        Resource::ExceptionLists,
        Resource::ExceptionListItems,
        Resource::PhoneNumbers,
        Resource::UniqueUrls,
        Resource::TrackingValueRequests,
        Resource::ConversionPaths,
        Resource::Reports,
        Resource::ReportMetaData,
        Resource::Jobs,
        Resource::Clicks,
    ];

    /// The stream name: `Actions`, `CatalogItems`, `APISubmissions`, ...
    pub const fn name(self) -> &'static str {
        match self {
            Resource::CompanyInformation => "CompanyInformation",
            Resource::Campaigns => "Campaigns",
            Resource::Ads => "Ads",
            Resource::Deals => "Deals",
            Resource::PromoCodes => "PromoCodes",
            Resource::Catalogs => "Catalogs",
            Resource::CatalogItems => "CatalogItems",
            Resource::MediaPartners => "MediaPartners",
            Resource::MediaPartnerGroups => "MediaPartnerGroups",
            Resource::Contracts => "Contracts",
            Resource::Actions => "Actions",
            Resource::ActionItems => "ActionItems",
            Resource::ActionUpdates => "ActionUpdates",
            Resource::ActionInquiries => "ActionInquiries",
            Resource::Invoices => "Invoices",
            Resource::ApiSubmissions => "APISubmissions",
            Resource::FtpFileSubmissions => "FTPFileSubmissions",
            Resource::Contacts => "Contacts",
            Resource::Notes => "Notes",
            Resource::ExceptionLists => "ExceptionLists",
            Resource::ExceptionListItems => "ExceptionListItems",
            Resource::PhoneNumbers => "PhoneNumbers",
            Resource::UniqueUrls => "UniqueUrls",
            Resource::TrackingValueRequests => "TrackingValueRequests",
            Resource::ConversionPaths => "ConversionPaths",
            Resource::Reports => "Reports",
            Resource::ReportMetaData => "ReportMetaData",
            Resource::Jobs => "Jobs",
            Resource::Clicks => "Clicks",
        }
    }

    /// The JSON list key (and XML list element) the API lists it under.
    pub const fn list_key(self) -> &'static str {
        match self {
            Resource::CatalogItems => "Items",
            Resource::MediaPartnerGroups => "Groups",
            Resource::ApiSubmissions => "APISubmission",
            Resource::ReportMetaData => "MetaData",
            other => other.name(),
        }
    }

    /// The XML element of one item: `Campaign`, `Action`, `Item`, ...
    pub const fn item_element(self) -> &'static str {
        match self {
            Resource::CompanyInformation => "CompanyInformation",
            Resource::Campaigns => "Campaign",
            Resource::Ads => "Ad",
            Resource::Deals => "Deal",
            Resource::PromoCodes => "PromoCode",
            Resource::Catalogs => "Catalog",
            Resource::CatalogItems => "Item",
            Resource::MediaPartners => "MediaPartner",
            Resource::MediaPartnerGroups => "Group",
            Resource::Contracts => "Contract",
            Resource::Actions => "Action",
            Resource::ActionItems => "ActionItem",
            Resource::ActionUpdates => "ActionUpdate",
            Resource::ActionInquiries => "ActionInquiry",
            Resource::Invoices => "Invoice",
            Resource::ApiSubmissions => "APISubmission",
            Resource::FtpFileSubmissions => "FTPFileSubmission",
            Resource::Contacts => "Contact",
            Resource::Notes => "Note",
            Resource::ExceptionLists => "ExceptionList",
            Resource::ExceptionListItems => "ExceptionListItem",
            Resource::PhoneNumbers => "PhoneNumber",
            Resource::UniqueUrls => "UniqueUrl",
            Resource::TrackingValueRequests => "TrackingValueRequest",
            Resource::ConversionPaths => "ConversionPath",
            Resource::Reports => "Report",
            Resource::ReportMetaData => "MetaData",
            Resource::Jobs => "Job",
            Resource::Clicks => "Click",
        }
    }

    /// The resource with this stream name (or list key), compared case-insensitively.
    pub fn from_name(name: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|resource| {
            resource.name().eq_ignore_ascii_case(name)
                || resource.list_key().eq_ignore_ascii_case(name)
        })
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
