//! Pagination (SPEC 2.4): streams of pages and items in JSON and XML, host-relative and
//! doubled-slash next URIs, a base URL with a path prefix, and `@total` of 0.

use futures_util::TryStreamExt;
use impact_client::{Format, Request};
use impact_mock::{Fault, MockServer, Quota, RequestMatch, Resource};
use serde_json::Value;

use crate::{account_path, builder, client, quiet_mock};

/// Streams every item of `/Campaigns` in `format` and checks the count and request count.
async fn check(format: Format, items: usize, page_size: u64, expect_requests: usize) {
    let server = MockServer::builder()
        .quota(Quota::disabled())
        .items(Resource::Campaigns, items)
        .page_size(page_size)
        .start()
        .await
        .expect("a loopback port");
    let client = builder(&server)
        .format(format)
        .build()
        .expect("a valid client");
    let got: Vec<Value> = client
        .items(Request::get("/Campaigns"))
        .try_collect()
        .await
        .expect("every page");
    assert_eq!(got.len(), items, "{format:?}");
    assert_eq!(server.requests().len(), expect_requests, "{format:?}");
    // Items keep their order and fields, in both formats.
    if let Some(first) = got.first() {
        assert!(first.get("CampaignId").is_some(), "{first}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn items_of_every_page_in_json_and_xml() {
    check(Format::Json, 7, 3, 3).await;
    check(Format::Xml, 7, 3, 3).await;
    check(Format::Json, 6, 3, 2).await;
    check(Format::Xml, 1, 20, 1).await;
}

fn page(n: u32, next: &str, total: &str) -> Fault {
    let body = format!(
        r#"{{"@page":"{n}","@total":"{total}","@nextpageuri":"{next}","Deals":[{{"Id":"{n}"}}]}}"#
    );
    Fault::raw(200, "application/json", body)
}

#[tokio::test]
async fn next_uris_are_applied_to_the_base_url_only() {
    let server = quiet_mock().await;
    let deals = account_path("/Deals");
    // Page 1 links with a doubled slash, page 2 with a foreign host, page 3 is the last.
    server.push_fault(
        RequestMatch::exact(&deals),
        1,
        page(1, &format!("/{deals}?Page=2"), "0"),
    );
    server.push_fault(
        RequestMatch::exact(&format!("{deals}?Page=2")),
        1,
        page(2, &format!("https://evil.example{deals}?Page=3"), "0"),
    );
    server.push_fault(
        RequestMatch::exact(&format!("{deals}?Page=3")),
        1,
        page(3, "", "0"),
    );
    let pages: Vec<_> = client(&server)
        .pages(Request::get("/Deals"))
        .try_collect()
        .await
        .expect("three pages");
    assert_eq!(pages.len(), 3);
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            deals.clone(),
            format!("{deals}?Page=2"),
            format!("{deals}?Page=3")
        ]
    );
    assert!(server.requests().iter().all(|r| r.auth.is_valid()));
    server.shutdown().await;
}

#[tokio::test]
async fn a_path_prefix_in_the_base_url_is_kept() {
    let server = quiet_mock().await;
    let deals = account_path("/Deals");
    server.push_fault(
        RequestMatch::exact(&format!("/proxy{deals}")),
        1,
        page(1, &format!("{deals}?Page=2"), "2"),
    );
    server.push_fault(
        RequestMatch::exact(&format!("/proxy{deals}?Page=2")),
        1,
        page(2, "", "2"),
    );
    let client = builder(&server)
        .base_url(format!("{}/proxy/", server.base_url()))
        .build()
        .expect("a valid client");
    let items: Vec<Value> = client
        .items(Request::get("/Deals"))
        .try_collect()
        .await
        .expect("both pages");
    assert_eq!(items.len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn a_page_that_links_to_itself_ends_with_an_error() {
    let server = quiet_mock().await;
    let deals = account_path("/Deals");
    server.push_fault(
        RequestMatch::prefix(&deals),
        5,
        page(1, &format!("{deals}?Page=1"), "1"),
    );
    let result: Result<Vec<_>, _> = client(&server)
        .pages(Request::get("/Deals"))
        .try_collect()
        .await;
    let error = result.expect_err("a loop");
    assert_eq!(error.kind(), impact_client::ErrorKind::Decode);
    assert_eq!(server.requests().len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn a_failing_page_ends_the_stream_with_its_error() {
    let server = quiet_mock().await;
    let deals = account_path("/Deals");
    server.push_fault(
        RequestMatch::exact(&deals),
        1,
        page(1, &format!("{deals}?Page=2"), "0"),
    );
    server.push_fault(
        RequestMatch::prefix(&format!("{deals}?Page=2")),
        10,
        Fault::status(404),
    );
    let result: Result<Vec<_>, _> = client(&server)
        .items(Request::get("/Deals"))
        .try_collect()
        .await;
    let error = result.expect_err("the second page fails");
    assert_eq!(error.status().map(u16::from), Some(404));
    server.shutdown().await;
}
