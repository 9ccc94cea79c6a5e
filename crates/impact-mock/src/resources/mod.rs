//! The resource table: every resource of the Partner and Brand APIs the mock serves, one row
//! per resource and API. Each module holds its rows, the attribute lists they generate, and
//! in its first lines where those lists, filters and rules were taken from.
//!
//! Adding a resource is adding a row here (and its attributes in a module).

pub(crate) mod actions;
mod ads;
mod campaigns;
mod catalogs;
pub(crate) mod clicks;
mod common;
mod company;
mod contracts;
mod deals;
mod exceptions;
mod inquiries;
mod invoices;
mod jobs;
mod partners;
mod promocodes;
pub(crate) mod reports;
mod submissions;
mod tracking;

use crate::Resource;
use crate::table::{Api, Row};

/// Every row. Order matters only for path matching: a literal segment beats a capture, so
/// `Catalogs/ItemSearch` is found before `Catalogs/{Id}`.
pub(crate) static TABLE: &[&Row] = &[
    &company::PARTNER,
    &company::BRAND,
    &campaigns::PARTNER,
    &campaigns::BRAND,
    &ads::PARTNER,
    &ads::BRAND,
    &deals::PARTNER,
    &deals::BRAND,
    &promocodes::PARTNER,
    &promocodes::BRAND,
    &catalogs::PARTNER,
    &catalogs::BRAND,
    &catalogs::PARTNER_ITEMS,
    &catalogs::PARTNER_SEARCH,
    &catalogs::BRAND_ITEMS,
    &partners::MEDIA_PARTNERS,
    &partners::GROUPS,
    &partners::CONTACTS,
    &partners::NOTES,
    &contracts::PARTNER,
    &contracts::BRAND,
    &actions::PARTNER,
    &actions::BRAND,
    &actions::PARTNER_ITEMS,
    &actions::BRAND_ITEMS,
    &actions::PARTNER_UPDATES,
    &actions::BRAND_UPDATES,
    &inquiries::PARTNER,
    &inquiries::BRAND,
    &invoices::PARTNER,
    &invoices::BRAND,
    &submissions::API,
    &submissions::FTP,
    &exceptions::PARTNER,
    &exceptions::BRAND,
    &exceptions::PARTNER_ITEMS,
    &exceptions::BRAND_ITEMS,
    &tracking::PHONE_NUMBERS,
    &tracking::UNIQUE_URLS,
    &tracking::TRACKING_VALUE_REQUESTS,
    &tracking::CONVERSION_PATHS,
    &clicks::PARTNER,
    &clicks::PARTNER_LEGACY_LIST,
    &clicks::BRAND,
    &reports::PARTNER,
    &reports::BRAND,
    &reports::PARTNER_METADATA,
    &reports::BRAND_METADATA,
    &jobs::PARTNER,
    &jobs::BRAND,
];

/// The row that lists a resource for an API (the top-level one when there are several), and
/// its index.
pub(crate) fn row_of(resource: Resource, api: Api) -> Option<(usize, &'static Row)> {
    let mut rows = TABLE
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, row)| row.resource == resource && row.api == api);
    let first = rows.next()?;
    Some(
        std::iter::once(first)
            .chain(rows)
            .find(|(_, row)| row.parent.is_none())
            .unwrap_or(first),
    )
}

/// The id of the `index`th action inquiry a write filed.
pub(crate) fn written_inquiry_id(index: usize) -> String {
    (16_000_000 + index).to_string()
}
