//! The world lives in time: moving the clock forward makes the actions, updates and state
//! changes in between happen, and gives the same world as a fresh start at the later time.

use std::time::Duration;

use impact_mock::{ClockMode, MockServer, Quota, Resource, Scale, Timestamp};

use crate::raw::{Req, exchange};
use crate::{control, truth};

async fn world_at(now: Timestamp) -> MockServer {
    MockServer::builder()
        .quota(Quota::disabled())
        .scale(Scale::Small)
        .items(Resource::Actions, 5_000)
        .seed(7)
        .now(now)
        .clock(ClockMode::Frozen)
        .start()
        .await
        .unwrap()
}

/// Every resource whose items change with time, in both APIs.
const LIVING: &[(&str, &str)] = &[
    ("Actions", "partner"),
    ("ActionUpdates", "partner"),
    ("ActionItems", "partner"),
    ("Actions", "brand"),
    ("ActionUpdates", "brand"),
    ("ActionInquiries", "brand"),
    ("Invoices", "partner"),
    ("Deals", "brand"),
    ("PromoCodes", "partner"),
    ("Ads", "brand"),
    ("Notes", "brand"),
    ("APISubmissions", "brand"),
    ("FTPFileSubmissions", "brand"),
    ("TrackingValueRequests", "brand"),
    ("UniqueUrls", "brand"),
    ("PhoneNumbers", "brand"),
    ("MediaPartners", "brand"),
    ("Catalogs", "partner"),
];

#[tokio::test]
async fn a_clock_moved_forward_is_a_fresh_start_at_the_later_time() {
    let start: Timestamp = "2025-03-01T10:00:00Z".parse().unwrap();
    let later = Timestamp::from_unix_seconds(start.unix_seconds() + 40 * 86_400 + 3_723);
    let moved = world_at(start).await;
    let before = truth(&moved, "Actions", "partner").await;
    // Part of the way through the Rust API, the rest through the control interface.
    moved.advance_clock(Duration::from_secs(20 * 86_400));
    let now = control(
        &moved,
        ("POST", "/_mock/clock"),
        Some(r#"{"advance_secs": 1731723}"#),
        200,
    )
    .await;
    assert_eq!(now["now"], later.to_rfc3339_utc());
    let fresh = world_at(later).await;
    for (resource, api) in LIVING {
        let moved_items = truth(&moved, resource, api).await;
        let fresh_items = truth(&fresh, resource, api).await;
        assert!(!moved_items.is_empty(), "{api} {resource}");
        assert_eq!(moved_items, fresh_items, "{api} {resource}");
    }
    // The actions of the 40 days happened: some are new, some old ones changed.
    let after = truth(&moved, "Actions", "partner").await;
    let newest_before = before[0]["Id"].as_str().unwrap();
    let position = after.iter().position(|a| a["Id"] == newest_before).unwrap();
    assert!(
        position > 120,
        "about 180 actions were created in 40 days: {position}"
    );
    let changed = before
        .iter()
        .filter(|old| {
            after
                .iter()
                .any(|new| new["Id"] == old["Id"] && new != *old)
        })
        .count();
    assert!(changed > 50, "{changed} actions changed state");
}

#[tokio::test]
async fn a_live_clock_follows_real_time_and_a_frozen_one_stands_still() {
    let start: Timestamp = "2025-03-01T10:00:00Z".parse().unwrap();
    let live = MockServer::builder()
        .now(start)
        .clock(ClockMode::Live)
        .start()
        .await
        .unwrap();
    let frozen = world_at(start).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert!(live.now() > start);
    assert_eq!(frozen.now(), start);
    let clock = control(&frozen, ("GET", "/_mock/clock"), None, 200).await;
    assert_eq!(clock["now"], "2025-03-01T10:00:00Z");
    for body in [r#"{"advance_secs": -5}"#, r#"{"advance": 5}"#, "not json"] {
        let received = exchange(
            frozen.addr(),
            &Req::control("POST", "/_mock/clock", Some(body)),
        )
        .await;
        assert_eq!(received.status(), 400, "{body}");
    }
    assert_eq!(frozen.now(), start);
}

/// Every answer of the API carries a `Date` in the world's time, as a server's own clock: a
/// client learns the world's `now` from it, and it moves with the clock.
#[tokio::test]
async fn answers_are_dated_in_world_time() {
    let start: Timestamp = "2025-03-01T10:00:00Z".parse().unwrap();
    let server = world_at(start).await;
    for (request, status) in [
        (Req::get("/Campaigns").json(), 200),
        (Req::get("/Campaigns/999999").json(), 404),
        (Req::get("/Campaigns").no_auth(), 401),
    ] {
        let received = exchange(server.addr(), &request).await;
        assert_eq!(received.status(), status);
        assert_eq!(
            received.header("Date").as_deref(),
            Some("Sat, 01 Mar 2025 10:00:00 GMT")
        );
    }
    server.advance_clock(Duration::from_secs(86_400 + 61));
    let received = exchange(server.addr(), &Req::get("/Campaigns").json()).await;
    assert_eq!(
        received.header("Date").as_deref(),
        Some("Sun, 02 Mar 2025 10:01:01 GMT")
    );
}
