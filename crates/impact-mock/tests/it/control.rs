//! The control interface (SPEC 8.4): faults from outside the process answer byte for byte
//! like the Rust API's, and the clock, the request log, quota counters, scoped tokens and
//! the ground-truth stream are there for any language.

use std::time::Duration;

use bytes::Bytes;
use impact_mock::{
    DEMO_ACCOUNT_SID, Fault, FaultBody, FaultShape, Misbehaviour, MockServer, Quota, RequestMatch,
};
use serde_json::{Value, json};

use crate::raw::{End, Req, exchange, exchange_raw};
use crate::{control, fixture};

/// A fault as JSON for `POST /_mock/faults` and the same fault through the Rust API.
fn cases() -> Vec<(&'static str, Req, Fault)> {
    vec![
        (
            r#"{"status": 503, "headers": {"Retry-After": "1"}}"#,
            Req::get("/Actions").json(),
            Fault::status(503).header("Retry-After", "1"),
        ),
        (
            r#"{"status": 429, "headers": {"Retry-After": "1"}, "shape": "envelope", "body": "Slow down"}"#,
            Req::get("/Actions"),
            Fault::status(429)
                .header("Retry-After", "1")
                .body(FaultBody::Shaped {
                    shape: FaultShape::Envelope,
                    message: Some("Slow down".into()),
                }),
        ),
        (
            r#"{"status": 429, "shape": "envelope"}"#,
            Req::get("/Actions").json(),
            Fault::shaped(429, FaultShape::Envelope),
        ),
        (
            r#"{"status": 401, "shape": "problem"}"#,
            Req::get("/Ads"),
            Fault::shaped(401, FaultShape::Problem),
        ),
        (
            r#"{"status": 403, "shape": "spring"}"#,
            Req::get("/Ads"),
            Fault::shaped(403, FaultShape::Spring),
        ),
        (
            r#"{"status": 400, "shape": "conversion", "body": "bad OrderId"}"#,
            Req::get("/Conversions"),
            Fault::status(400).body(FaultBody::Shaped {
                shape: FaultShape::Conversion,
                message: Some("bad OrderId".into()),
            }),
        ),
        (
            r#"{"status": 502, "shape": "html"}"#,
            Req::get("/Ads"),
            Fault::shaped(502, FaultShape::Html),
        ),
        (
            r#"{"status": 500, "shape": "empty"}"#,
            Req::get("/Ads"),
            Fault::shaped(500, FaultShape::Empty),
        ),
        (
            r#"{"status": 500, "body": "boom", "headers": {"Content-Type": "text/plain"}}"#,
            Req::get("/Ads"),
            Fault::raw(500, "text/plain", "boom"),
        ),
        (
            r#"{"status": 200, "shape": "envelope", "misbehaviour": "reset_mid_body"}"#,
            Req::get("/Ads").json(),
            Fault::shaped(200, FaultShape::Envelope).misbehave(Misbehaviour::ResetMidBody),
        ),
        (
            r#"{"status": 200, "body": "0123456789", "misbehaviour": "truncate"}"#,
            Req::get("/Ads"),
            Fault::status(200)
                .body(FaultBody::Raw(Bytes::from_static(b"0123456789")))
                .misbehave(Misbehaviour::Truncate),
        ),
        (
            r#"{"misbehaviour": "reset_before_headers"}"#,
            Req::get("/Ads"),
            Fault::reset_before_headers(),
        ),
        (
            r#"{"status": 200, "body": "abcdefgh", "misbehaviour": ["delay_ms:30", "trickle:3:5"]}"#,
            Req::get("/Ads"),
            Fault::status(200)
                .body(FaultBody::Raw(Bytes::from_static(b"abcdefgh")))
                .delay(Duration::from_millis(30))
                .trickle(3, Duration::from_millis(5)),
        ),
        (
            r#"{"status": 200, "body": "old", "misbehaviour": "http10"}"#,
            Req::get("/Ads"),
            Fault::status(200)
                .body(FaultBody::Raw(Bytes::from_static(b"old")))
                .http10(),
        ),
        (
            r#"{"status": 200, "huge_bytes": 100000, "misbehaviour": "content_length_longer:7"}"#,
            Req::get("/Ads"),
            Fault::huge(200, "application/octet-stream", 100_000)
                .misbehave(Misbehaviour::ContentLengthLonger(7)),
        ),
        (
            r#"{"method": "post", "path": "/Conversions", "status": 500}"#,
            Req::get("/Conversions").method("POST").form("x=1"),
            Fault::status(500),
        ),
        (
            r#"{"path": "/Mediapartners/IRmockDemoAccount00000000000000001/Campaigns", "status": 504}"#,
            Req::get("/Campaigns/1000"),
            Fault::status(504),
        ),
    ]
}

#[tokio::test]
async fn faults_from_outside_answer_byte_for_byte_like_the_rust_api() {
    for (spec, request, fault) in cases() {
        let by_rust = fixture().await;
        let by_control = fixture().await;
        let matcher = match spec.contains("post") {
            true => RequestMatch::api_path("/Conversions").method("POST"),
            false => RequestMatch::api_path("/"),
        };
        // The huge body's Content-Type comes from the header the Rust side gives it.
        let spec = if spec.contains("huge_bytes") {
            r#"{"status": 200, "huge_bytes": 100000, "headers": {"Content-Type": "application/octet-stream"}, "misbehaviour": "content_length_longer:7"}"#
        } else {
            spec
        };
        by_rust.push_fault(matcher, 1, fault);
        control(&by_control, ("POST", "/_mock/faults"), Some(spec), 200).await;
        let quiet = Duration::from_secs(2);
        let rust = exchange_raw(by_rust.addr(), &request.to_bytes(), quiet).await;
        let outside = exchange_raw(by_control.addr(), &request.to_bytes(), quiet).await;
        assert_eq!(rust.bytes, outside.bytes, "{spec}");
        assert_eq!(rust.end, outside.end, "{spec}");
        assert!(
            outside.status() != 200 || spec.contains("200"),
            "{spec}: not applied"
        );
        if spec.contains("reset_") {
            assert_eq!(outside.end, End::Reset, "{spec}");
        }
        // Answered once: the next request gets the emulated API.
        assert_eq!(by_control.pending_faults(), 0, "{spec}");
    }
}

#[tokio::test]
async fn faults_are_listed_matched_by_path_and_method_and_cleared() {
    let server = fixture().await;
    let spec = r#"{"method": "GET", "path": "/Actions", "times": 2, "status": 503, "headers": {"Retry-After": "1"}, "misbehaviour": "delay_ms:5"}"#;
    control(&server, ("POST", "/_mock/faults"), Some(spec), 200).await;
    let listed = control(&server, ("GET", "/_mock/faults"), None, 200).await;
    assert_eq!(
        listed,
        json!([{"method": "GET", "path": "/Actions", "times": 2, "status": 503,
                "headers": {"Retry-After": "1"}, "body": null, "shape": null,
                "misbehaviour": "delay_ms:5"}])
    );
    // The path matches after any account root, in both APIs, with a suffix and a query.
    assert_eq!(
        exchange(server.addr(), &Req::get("/Campaigns"))
            .await
            .status(),
        200
    );
    assert_eq!(
        exchange(server.addr(), &Req::brand("/Actions.json?CampaignId=1"))
            .await
            .status(),
        503
    );
    assert_eq!(
        exchange(server.addr(), &Req::get("/Actions").method("POST").form(""))
            .await
            .status(),
        400
    );
    // A prefix: the action's items are under it, ActionUpdates are not.
    assert_eq!(
        exchange(server.addr(), &Req::get("/ActionUpdates"))
            .await
            .status(),
        200
    );
    assert_eq!(
        exchange(server.addr(), &Req::get("/Actions/1.2.3/Items"))
            .await
            .status(),
        503
    );
    assert_eq!(
        control(&server, ("GET", "/_mock/faults"), None, 200).await,
        json!([])
    );
    control(
        &server,
        ("POST", "/_mock/faults"),
        Some(r#"{"status": 500, "times": 9}"#),
        200,
    )
    .await;
    control(&server, ("DELETE", "/_mock/faults"), None, 200).await;
    assert_eq!(server.pending_faults(), 0);
    // Control requests are never faulted, never logged.
    control(
        &server,
        ("POST", "/_mock/faults"),
        Some(r#"{"status": 500}"#),
        200,
    )
    .await;
    control(&server, ("GET", "/_mock/clock"), None, 200).await;
    assert_eq!(server.pending_faults(), 1);
    for (body, why) in [
        ("{", "not JSON"),
        (r#"{"status": 503, "shape": "yaml"}"#, "shape must be"),
        (r#"{"path": "/x"}"#, "status is required"),
        (r#"{"status": 503, "times": 0}"#, "times must be at least 1"),
    ] {
        let error = control(&server, ("POST", "/_mock/faults"), Some(body), 400).await;
        assert!(error["error"].as_str().unwrap().contains(why), "{error}");
    }
}

#[tokio::test]
async fn the_request_log_names_calls_with_the_world_clock_and_never_credentials() {
    let server = fixture().await;
    exchange(server.addr(), &Req::get("/Campaigns?PageSize=2").json()).await;
    exchange(
        server.addr(),
        &Req::get("/Campaigns").auth(DEMO_ACCOUNT_SID, "wrong"),
    )
    .await;
    control(&server, ("GET", "/_mock/quota"), None, 200).await;
    let log = control(&server, ("GET", "/_mock/requests"), None, 200).await;
    assert_eq!(
        log,
        json!([
            {"method": "GET", "target": format!("/Mediapartners/{DEMO_ACCOUNT_SID}/Campaigns?PageSize=2"),
             "status": 200, "at": "2025-01-15T20:00:00Z", "account": DEMO_ACCOUNT_SID},
            {"method": "GET", "target": format!("/Mediapartners/{DEMO_ACCOUNT_SID}/Campaigns"),
             "status": 401, "at": "2025-01-15T20:00:00Z", "account": null},
        ])
    );
    assert!(!log.to_string().contains(impact_mock::DEMO_AUTH_TOKEN));
    control(&server, ("DELETE", "/_mock/requests"), None, 200).await;
    assert_eq!(
        control(&server, ("GET", "/_mock/requests"), None, 200).await,
        json!([])
    );
}

#[tokio::test]
async fn quota_counters_per_account_and_group_and_their_reset() {
    let server = MockServer::builder()
        .quota(Quota::real())
        .start()
        .await
        .unwrap();
    for _ in 0..3 {
        exchange(server.addr(), &Req::get("/Campaigns")).await;
    }
    exchange(server.addr(), &Req::get("/Actions")).await;
    let quota = control(&server, ("GET", "/_mock/quota"), None, 200).await;
    let limits = quota["limits"].as_array().unwrap();
    let group = |name: &str| limits.iter().find(|l| l["group"] == name).unwrap().clone();
    let other = group("Other");
    assert_eq!(
        (
            other["account"].as_str(),
            other["limit"].as_u64(),
            other["window_secs"].as_u64(),
            other["used"].as_u64(),
            other["rejected"].as_u64()
        ),
        (
            Some(DEMO_ACCOUNT_SID),
            Some(1_000),
            Some(3_600),
            Some(3),
            Some(0)
        )
    );
    assert_eq!(other["reset"], "2025-01-15T21:00:00Z");
    let detail = group("PerformanceDetail");
    assert_eq!(
        (detail["limit"].as_u64(), detail["used"].as_u64()),
        (Some(500), Some(1))
    );
    control(&server, ("DELETE", "/_mock/quota"), None, 200).await;
    let quota = control(&server, ("GET", "/_mock/quota"), None, 200).await;
    assert!(
        quota["limits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["used"] == 0 && l["rejected"] == 0)
    );
}

#[tokio::test]
async fn scoped_tokens_answer_403_for_endpoints_they_lack() {
    let server = fixture().await;
    let token = "scoped-token-1";
    let body = json!({"account": DEMO_ACCOUNT_SID, "token": token, "endpoints": ["Campaigns", "CompanyInformation"]});
    control(
        &server,
        ("POST", "/_mock/tokens"),
        Some(&body.to_string()),
        200,
    )
    .await;
    let scoped = |path: &str| Req::get(path).auth(DEMO_ACCOUNT_SID, token).json();
    assert_eq!(
        exchange(server.addr(), &scoped("/Campaigns/1000"))
            .await
            .status(),
        200
    );
    assert_eq!(
        exchange(server.addr(), &scoped("/CompanyInformation.json"))
            .await
            .status(),
        200
    );
    let refused = exchange(server.addr(), &scoped("/Actions")).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.json(),
        json!({"status": 403, "error": "Forbidden", "message": "This token is not enabled for the Actions endpoint"})
    );
    let xml = exchange(
        server.addr(),
        &Req::get("/Ads").auth(DEMO_ACCOUNT_SID, token),
    )
    .await;
    assert_eq!(xml.status(), 403);
    assert!(xml.body_text().contains("<Status>ERROR</Status>"));
    // The account's own token still opens everything; the Rust API scopes tokens too.
    assert_eq!(
        exchange(server.addr(), &Req::get("/Actions"))
            .await
            .status(),
        200
    );
    assert!(server.add_scoped_token(DEMO_ACCOUNT_SID, "reports-only", &["Reports"]));
    assert!(!server.add_scoped_token("IRnobody", "x", &["Reports"]));
    let unknown = json!({"account": "IRnobody", "token": "t", "endpoints": []});
    control(
        &server,
        ("POST", "/_mock/tokens"),
        Some(&unknown.to_string()),
        404,
    )
    .await;
    control(
        &server,
        ("POST", "/_mock/tokens"),
        Some(r#"{"account": "IRx"}"#),
        400,
    )
    .await;
}

#[tokio::test]
async fn the_world_stream_is_the_api_json_one_item_a_line() {
    let server = fixture().await;
    let received = exchange(
        server.addr(),
        &Req::control(
            "GET",
            "/_mock/world/Campaigns?account=IRmockDemoAccount00000000000000001",
            None,
        ),
    )
    .await;
    assert_eq!(
        received.header("Content-Type").as_deref(),
        Some("application/x-ndjson; charset=utf-8")
    );
    assert_eq!(
        received.header("X-Mock-Now").as_deref(),
        Some("2025-01-15T20:00:00Z")
    );
    let lines = String::from_utf8(received.dechunked()).unwrap();
    assert_eq!(lines.lines().count(), 45);
    // Each line is exactly the item the API serves.
    let first: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    let item = exchange(server.addr(), &Req::get("/Campaigns/1000").json()).await;
    assert_eq!(item.body_text(), lines.lines().next().unwrap());
    assert_eq!(first["CampaignId"], "1000");
    for path in [
        "/_mock/world/Nothing",
        "/_mock/world/Actions?api=agency",
        "/_mock/world/Actions?account=IRnobody",
    ] {
        let received = exchange(server.addr(), &Req::control("GET", path, None)).await;
        assert_eq!(received.status(), 404, "{path}");
    }
    let index = control(&server, ("GET", "/_mock"), None, 200).await;
    assert!(
        index["resources"]
            .as_array()
            .unwrap()
            .contains(&json!("ActionUpdates"))
    );
    control(&server, ("GET", "/_mock/nothing"), None, 404).await;
    control(&server, ("PUT", "/_mock/clock"), None, 405).await;
}
