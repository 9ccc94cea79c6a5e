//! Reading a resource through the API in legal windows and pages gives exactly its ground
//! truth (`GET /_mock/world/{Resource}`): every item, once, with the same attributes.

use std::collections::BTreeMap;

use impact_mock::{MockServer, Quota, Resource, Timestamp};
use serde_json::Value;

use crate::raw::Req;
use crate::{read_all_pages, truth};

const DAY: i64 = 86_400;
const THREE_YEARS: i64 = 3 * 365 * DAY + DAY;

/// Items by their key, refusing two different items under one key.
fn by_key(items: impl IntoIterator<Item = Value>, key: &str) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    for item in items {
        let id = item[key].as_str().unwrap().to_owned();
        if let Some(seen) = map.insert(id.clone(), item.clone()) {
            assert_eq!(seen, item, "two versions of {id}");
        }
    }
    map
}

/// The 45-day windows (both ends included, so neighbours share an instant) from the
/// three-year floor to now.
fn windows(server: &MockServer) -> Vec<(String, String)> {
    let now = server.now().unix_seconds();
    let mut start = now - THREE_YEARS;
    let mut out = Vec::new();
    while start < now {
        let end = (start + 45 * DAY).min(now);
        let text = |at| Timestamp::from_unix_seconds(at).to_rfc3339_utc();
        out.push((text(start), text(end)));
        start = end;
    }
    out
}

async fn world(actions: usize, campaigns: usize) -> MockServer {
    MockServer::builder()
        .quota(Quota::disabled())
        .items(Resource::Actions, actions)
        .items(Resource::Campaigns, campaigns)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn actions_and_updates_read_in_windows_and_pages_are_the_ground_truth() {
    // About 2,500 actions (5,500 updates) a window: pages of 2,000 take two or three.
    let server = world(60_000, 45).await;
    for (path, params, key) in [
        ("/Actions", ("ActionDateStart", "ActionDateEnd"), "Actions"),
        ("/ActionUpdates", ("StartDate", "EndDate"), "ActionUpdates"),
    ] {
        let mut read = Vec::new();
        let mut pages_read = 0;
        for (start, end) in windows(&server) {
            let first = Req::get(&format!(
                "{path}?{}={start}&{}={end}&PageSize=2000",
                params.0, params.1
            ));
            let items = read_all_pages(&server, first, key).await;
            pages_read += items.len().div_ceil(2000);
            read.extend(items);
        }
        assert!(pages_read > 40, "{path}: {pages_read} pages");
        let want = by_key(truth(&server, key, "partner").await, "Id");
        assert_eq!(by_key(read, "Id"), want, "{path}");
        assert!(want.len() > 45_000, "{path}: {}", want.len());
    }
}

#[tokio::test]
async fn brand_actions_and_updates_read_per_campaign_are_the_ground_truth() {
    let server = world(6_000, 4).await;
    for (path, params, key) in [
        ("/Actions", ("ActionDateStart", "ActionDateEnd"), "Actions"),
        ("/ActionUpdates", ("StartDate", "EndDate"), "ActionUpdates"),
    ] {
        let mut read = Vec::new();
        for campaign in 1000..1004 {
            for (start, end) in windows(&server) {
                let first = Req::brand(&format!(
                    "{path}?CampaignId={campaign}&{}={start}&{}={end}&PageSize=2000",
                    params.0, params.1
                ));
                read.extend(read_all_pages(&server, first, key).await);
            }
        }
        let want = by_key(truth(&server, key, "brand").await, "Id");
        assert!(want.len() > 5_000, "{path}: {}", want.len());
        assert_eq!(by_key(read, "Id"), want, "{path}");
    }
}

#[tokio::test]
async fn items_of_every_action_are_the_ground_truth() {
    let server = world(300, 5).await;
    let actions = truth(&server, "Actions", "partner").await;
    let mut read = Vec::new();
    for action in &actions {
        let id = action["Id"].as_str().unwrap();
        let path = format!("/Actions/{id}/Items");
        read.extend(read_all_pages(&server, Req::get(&path), "ActionItems").await);
    }
    let want = truth(&server, "ActionItems", "partner").await;
    assert_eq!(by_key(read, "Uri"), by_key(want, "Uri"));
}

/// A list and the parent paths it is read under (`None`: the list itself).
struct Listed {
    api: &'static str,
    resource: &'static str,
    list_key: &'static str,
    paths: Vec<String>,
    key: &'static str,
}

fn listed(
    api: &'static str,
    resource: &'static str,
    paths: Vec<String>,
    key: &'static str,
) -> Listed {
    let list_key = match resource {
        "CatalogItems" => "Items",
        "MediaPartnerGroups" => "Groups",
        "APISubmissions" => "APISubmission",
        other => other,
    };
    Listed {
        api,
        resource,
        list_key,
        paths,
        key,
    }
}

fn each(template: &str, ids: impl IntoIterator<Item = String>) -> Vec<String> {
    ids.into_iter()
        .map(|id| template.replace("{}", &id))
        .collect()
}

#[tokio::test]
async fn every_population_read_page_by_page_is_the_ground_truth() {
    let server = MockServer::builder()
        .quota(Quota::disabled())
        .items(Resource::Campaigns, 6)
        .start()
        .await
        .unwrap();
    for case in population_cases() {
        let mut read = Vec::new();
        for path in &case.paths {
            let joiner = if path.contains('?') { '&' } else { '?' };
            let path = format!("{path}{joiner}PageSize=2");
            let first = if case.api == "brand" {
                Req::brand(&path)
            } else {
                Req::get(&path)
            };
            read.extend(read_all_pages(&server, first, case.list_key).await);
        }
        let want = truth(&server, case.resource, case.api).await;
        assert!(!want.is_empty(), "{} {}", case.api, case.resource);
        assert_eq!(
            read.len(),
            want.len(),
            "{} {}: once each",
            case.api,
            case.resource
        );
        assert_eq!(
            by_key(read, case.key),
            by_key(want, case.key),
            "{} {}",
            case.api,
            case.resource
        );
    }
}

/// Every population the API lists, with the paths that together list all of it (six campaigns,
/// two catalogs, two exception lists in the fixture world) and the attribute that tells items
/// apart.
fn population_cases() -> Vec<Listed> {
    let campaigns: Vec<String> = (1000..1006).map(|id| id.to_string()).collect();
    let catalogs = vec!["24000".to_owned(), "24001".to_owned()];
    let lists = vec!["5000".to_owned(), "5001".to_owned()];
    vec![
        listed(
            "partner",
            "Campaigns",
            vec!["/Campaigns".into()],
            "CampaignId",
        ),
        listed("brand", "Campaigns", vec!["/Campaigns".into()], "Id"),
        listed("partner", "Ads", vec!["/Ads".into()], "Id"),
        listed("brand", "Ads", vec!["/Ads".into()], "Id"),
        listed(
            "partner",
            "Deals",
            each("/Campaigns/{}/Deals", campaigns.clone()),
            "Uri",
        ),
        listed("brand", "Deals", vec!["/Deals".into()], "Id"),
        listed("partner", "PromoCodes", vec!["/PromoCodes".into()], "Id"),
        listed("brand", "PromoCodes", vec!["/PromoCodes".into()], "Id"),
        listed("partner", "Catalogs", vec!["/Catalogs".into()], "Id"),
        listed(
            "partner",
            "CatalogItems",
            each("/Catalogs/{}/Items", catalogs.clone()),
            "Id",
        ),
        listed(
            "brand",
            "CatalogItems",
            each("/Catalogs/{}/Items", catalogs),
            "Uri",
        ),
        listed(
            "brand",
            "MediaPartners",
            vec!["/MediaPartners".into()],
            "Id",
        ),
        listed(
            "brand",
            "MediaPartnerGroups",
            each("/Campaigns/{}/MediaPartnerGroups", campaigns.clone()),
            "Id",
        ),
        listed(
            "brand",
            "Contacts",
            each("/Campaigns/{}/Contacts", campaigns.clone()),
            "Id",
        ),
        listed(
            "brand",
            "Notes",
            each("/Campaigns/{}/Notes", campaigns.clone()),
            "Id",
        ),
        listed(
            "partner",
            "Contracts",
            vec![
                "/Contracts?Status=ACTIVE".into(),
                "/Contracts?Status=EXPIRED".into(),
            ],
            "Id",
        ),
        listed(
            "brand",
            "Contracts",
            each("/Campaigns/{}/Contracts?Status=ACTIVE", campaigns.clone())
                .into_iter()
                .chain(each(
                    "/Campaigns/{}/Contracts?Status=EXPIRED",
                    campaigns.clone(),
                ))
                .collect(),
            "Id",
        ),
        listed(
            "partner",
            "ActionInquiries",
            vec!["/ActionInquiries".into()],
            "Id",
        ),
        listed("partner", "Invoices", vec!["/Invoices".into()], "Id"),
        listed(
            "brand",
            "APISubmissions",
            vec!["/APISubmissions".into()],
            "BatchId",
        ),
        listed(
            "brand",
            "FTPFileSubmissions",
            vec!["/FTPFileSubmissions".into()],
            "BatchId",
        ),
        listed(
            "brand",
            "ExceptionLists",
            vec!["/ExceptionLists".into()],
            "Id",
        ),
        listed(
            "brand",
            "ExceptionListItems",
            each("/ExceptionLists/{}/Items", lists),
            "Id",
        ),
        listed("brand", "PhoneNumbers", vec!["/PhoneNumbers".into()], "Id"),
        listed("brand", "UniqueUrls", vec!["/UniqueUrls".into()], "Id"),
        listed(
            "brand",
            "TrackingValueRequests",
            vec!["/TrackingValueRequests".into()],
            "Id",
        ),
        listed(
            "brand",
            "ConversionPaths",
            each("/Campaigns/{}/Models/1/ConversionPaths", campaigns.clone())
                .into_iter()
                .chain(each("/Campaigns/{}/Models/2/ConversionPaths", campaigns))
                .collect(),
            "Uri",
        ),
        listed("partner", "Reports", vec!["/Reports".into()], "Id"),
    ]
}
