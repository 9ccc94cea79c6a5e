//! Writes change the world: posted conversions become actions once processed, Brand
//! modifications and reversals change actions and add updates, inquiries are filed.

use std::time::Duration;

use impact_mock::{MockServer, Quota, Resource};
use serde_json::Value;

use crate::raw::{Req, exchange};
use crate::truth;

async fn server() -> MockServer {
    MockServer::builder()
        .quota(Quota::disabled())
        .items(Resource::Actions, 3_000)
        .start()
        .await
        .unwrap()
}

async fn post(server: &MockServer, request: Req) -> Value {
    let received = exchange(server.addr(), &request.json()).await;
    assert_eq!(received.status(), 200, "{}", received.body_text());
    received.json()
}

#[tokio::test]
async fn a_conversion_becomes_an_action_once_processed() {
    let server = server().await;
    let form = "CampaignId=1001&ActionTrackerId=10010&OrderId=ORDER-77&Amount=120.50";
    let queued = post(
        &server,
        Req::brand("/Conversions").method("POST").form(form),
    )
    .await;
    assert_eq!(queued["Status"], "QUEUED");
    let batch = last_segment(&queued["QueuedUri"]);
    let find = |actions: &[Value]| actions.iter().find(|a| a["Oid"] == "ORDER-77").cloned();
    assert!(
        find(&truth(&server, "Actions", "brand").await).is_none(),
        "still queued"
    );
    let submissions = truth(&server, "APISubmissions", "brand").await;
    let submission = submissions
        .iter()
        .find(|s| s["BatchId"] == batch.as_str())
        .unwrap();
    assert_eq!(submission["Status"], "Queued");

    server.advance_clock(Duration::from_secs(5));
    let action = find(&truth(&server, "Actions", "brand").await).expect("processed");
    assert_eq!(
        (action["Amount"].as_str(), action["State"].as_str()),
        (Some("120.50"), Some("PENDING"))
    );
    assert_eq!(action["CampaignId"], "1001");
    let submissions = truth(&server, "APISubmissions", "brand").await;
    let submission = submissions
        .iter()
        .find(|s| s["BatchId"] == batch.as_str())
        .unwrap();
    assert_eq!(submission["Status"], "Complete");
    // Read back by id, and listed under today's window.
    let id = action["Id"].as_str().unwrap();
    let by_id = crate::get_json(&server, Req::brand(&format!("/Actions/{id}"))).await;
    assert_eq!(by_id, action);
}

#[tokio::test]
async fn brand_modifications_and_reversals_change_actions_and_add_updates() {
    let server = server().await;
    let actions = truth(&server, "Actions", "brand").await;
    let pending: Vec<&Value> = actions.iter().filter(|a| a["State"] == "PENDING").collect();
    assert!(pending.len() >= 2);
    let (modified, reversed) = (
        pending[0]["Id"].as_str().unwrap(),
        pending[1]["Id"].as_str().unwrap(),
    );
    let queued = post(
        &server,
        Req::brand("/Actions").method("PUT").form(&format!(
            "ActionId={modified}&Amount=1.00&Reason=ORDER_UPDATE"
        )),
    )
    .await;
    assert_eq!(queued["Status"], "QUEUED");
    let queued = post(
        &server,
        Req::brand("/Actions")
            .method("DELETE")
            .form(&format!("ActionId={reversed}&DispositionCode=RETURNED")),
    )
    .await;
    assert_eq!(queued["Status"], "QUEUED");
    server.advance_clock(Duration::from_secs(5));
    let actions = truth(&server, "Actions", "brand").await;
    let get = |id: &str| actions.iter().find(|a| a["Id"] == id).unwrap().clone();
    assert_eq!(get(modified)["Amount"], "1.00");
    assert_eq!(get(reversed)["State"], "REVERSED");
    assert_eq!(get(reversed)["Payout"], "0.00");
    let updates = truth(&server, "ActionUpdates", "brand").await;
    let newest = &updates[..2];
    assert!(
        newest
            .iter()
            .any(|u| u["ActionId"] == modified && u["State"] == "PENDING")
    );
    assert!(
        newest
            .iter()
            .any(|u| u["ActionId"] == reversed && u["State"] == "REVERSED")
    );

    // Refusals name each field; an approved action no longer changes.
    let received = exchange(
        server.addr(),
        &Req::brand("/Actions").method("PUT").form("Amount=x").json(),
    )
    .await;
    assert_eq!(received.status(), 400);
    let errors = received.json()["Errors"].clone();
    assert_eq!(errors[0]["Field"], "ActionId");
    assert_eq!(errors[1]["Field"], "Amount");
    let received = exchange(
        server.addr(),
        &Req::get("/Actions").method("PUT").form("").json(),
    )
    .await;
    assert_eq!(
        received.status(),
        405,
        "the Partner API cannot modify actions"
    );
}

#[tokio::test]
async fn partners_file_inquiries_that_are_resolved_later() {
    let server = server().await;
    let created = post(
        &server,
        Req::get("/ActionInquiries").method("POST").form(
            "CampaignId=1002&OrderId=MISSING-1&TransactionDate=2025-01-10&TransactionAmount=99.90&InquiryType=UNTRACKED",
        ),
    )
    .await;
    assert_eq!(created["Status"], "OK");
    let id = last_segment(&created["Uri"]);
    let inquiry = crate::get_json(&server, Req::get(&format!("/ActionInquiries/{id}"))).await;
    assert_eq!(
        (
            inquiry["OrderId"].as_str(),
            inquiry["ResolutionStatus"].as_str()
        ),
        (Some("MISSING-1"), Some("UNRESOLVED"))
    );
    server.advance_clock(Duration::from_secs(30 * 86_400));
    let inquiry = crate::get_json(&server, Req::get(&format!("/ActionInquiries/{id}"))).await;
    assert_ne!(inquiry["ResolutionStatus"], "UNRESOLVED");
    let received = exchange(
        server.addr(),
        &Req::get("/ActionInquiries")
            .method("POST")
            .form("CampaignId=9&TransactionAmount=x")
            .json(),
    )
    .await;
    assert_eq!(received.status(), 400);
    let fields: Vec<Value> = received.json()["Errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Field"].clone())
        .collect();
    assert_eq!(
        fields,
        [
            "OrderId",
            "TransactionDate",
            "TransactionAmount",
            "CampaignId"
        ]
    );
}

/// The last segment of a URI attribute (`.../APISubmissions/{Id}` gives the id).
fn last_segment(uri: &Value) -> String {
    let uri = uri.as_str().expect("a URI attribute");
    uri.rsplit('/').next().unwrap_or(uri).to_owned()
}
