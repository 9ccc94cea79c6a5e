//! Integration tests of the mock: a raw TCP client sends bytes and asserts the bytes back.

// clippy.toml allows unwrap in `#[test]` functions only; the helpers here are test code too,
// and a panic with the value's error is the report a failing test should give.
#![allow(clippy::unwrap_used)]

mod api;
mod clock;
mod control;
mod faults;
mod jobs;
mod quota;
mod raw;
mod reference;
mod resources;
mod rules;
mod truth;
mod writes;

use impact_mock::{MockServer, Quota};
use serde_json::Value;

use crate::raw::{Req, exchange};

/// The fixture world with its quota off: what most tests read.
pub(crate) async fn fixture() -> MockServer {
    MockServer::builder()
        .quota(Quota::disabled())
        .start()
        .await
        .unwrap()
}

/// Every item of a resource as `GET /_mock/world/{resource}` streams it.
pub(crate) async fn truth(server: &MockServer, resource: &str, api: &str) -> Vec<Value> {
    let request = Req::control("GET", &format!("/_mock/world/{resource}?api={api}"), None);
    let received = exchange(server.addr(), &request).await;
    assert_eq!(received.status(), 200, "{}", received.head());
    assert_eq!(
        received.header("Transfer-Encoding").as_deref(),
        Some("chunked")
    );
    String::from_utf8(received.dechunked())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// A JSON GET through the API; the status must be 200.
pub(crate) async fn get_json(server: &MockServer, request: Req) -> Value {
    let received = exchange(server.addr(), &request.json()).await;
    assert_eq!(
        received.status(),
        200,
        "{}\n{}",
        received.head(),
        received.body_text()
    );
    received.json()
}

/// A control request; its status must be `status`.
pub(crate) async fn control(
    server: &MockServer,
    (method, path): (&'static str, &str),
    body: Option<&str>,
    status: u16,
) -> Value {
    let received = exchange(server.addr(), &Req::control(method, path, body)).await;
    assert_eq!(received.status(), status, "{}", received.body_text());
    received.json()
}

/// Every item of a list read page by page through `@nextpageuri`, from `first`.
pub(crate) async fn read_all_pages(server: &MockServer, first: Req, list_key: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut next = Some(first.path.clone());
    while let Some(path) = next.take() {
        let page = get_json(server, Req::get("").absolute(&path)).await;
        items.extend(page[list_key].as_array().unwrap().iter().cloned());
        let link = page["@nextpageuri"].as_str().unwrap();
        if !link.is_empty() {
            next = Some(link.to_owned());
        }
    }
    items
}
