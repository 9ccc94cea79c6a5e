//! Export jobs: `ReportExport` and `ClickExport` queue a job that runs as the clock
//! advances; its download answers 202 until it is done, then a redirect to a loopback file
//! without credentials (or the file itself); a replay of a running job answers 403.

use std::time::Duration;

use impact_mock::{MockServer, Quota};

use crate::raw::{Req, exchange};
use crate::{control, fixture, get_json};

fn path_of(uri: &str) -> String {
    let (_, rest) = uri.split_once("/Jobs/").unwrap();
    format!("/Jobs/{rest}")
}

#[tokio::test]
async fn a_report_export_runs_completes_downloads_and_replays() {
    let server = fixture().await;
    let request = "/ReportExport/mp_action_listing_fast?START_DATE=2024-01-01&END_DATE=2024-12-31";
    let queued = get_json(&server, Req::get(request)).await;
    assert_eq!(queued["Status"], "QUEUED");
    let job = path_of(queued["QueuedUri"].as_str().unwrap());
    assert_eq!(
        path_of(queued["ResultUri"].as_str().unwrap()),
        format!("{job}/Download")
    );
    // The same parameters give the same job back.
    let again = get_json(&server, Req::get(request)).await;
    assert_eq!(again["QueuedUri"], queued["QueuedUri"]);

    let status = |job: serde_json::Value| job["Status"].as_str().unwrap().to_owned();
    assert_eq!(status(get_json(&server, Req::get(&job)).await), "QUEUED");
    let waiting = exchange(server.addr(), &Req::get(&format!("{job}/Download")).json()).await;
    assert_eq!(waiting.status(), 202);
    assert_eq!(waiting.json()["Status"], "QUEUED");

    server.advance_clock(Duration::from_secs(3));
    assert_eq!(status(get_json(&server, Req::get(&job)).await), "RUNNING");
    let replay = exchange(
        server.addr(),
        &Req::get(&format!("{job}/Replay")).method("PUT").json(),
    )
    .await;
    assert_eq!(replay.status(), 403, "no replay while running");

    server.advance_clock(Duration::from_secs(5));
    let done = get_json(&server, Req::get(&job)).await;
    assert_eq!(
        (status(done.clone()), done["PercentageComplete"].as_str()),
        ("COMPLETED".to_owned(), Some("100"))
    );
    let listed = get_json(&server, Req::get("/Jobs")).await;
    assert_eq!(listed["Jobs"][0]["Id"], done["Id"]);

    // The download redirects to a loopback URL that needs no credentials.
    let redirect = exchange(server.addr(), &Req::get(&format!("{job}/Download"))).await;
    assert_eq!(redirect.status(), 302);
    let location = redirect.header("Location").unwrap();
    let file_path = location
        .strip_prefix(&server.base_url())
        .expect("a loopback URL on the mock");
    let file = exchange(server.addr(), &Req::control("GET", file_path, None)).await;
    assert_eq!(file.status(), 200);
    assert!(file.header("Content-Type").unwrap().starts_with("text/csv"));
    let csv = file.body_text();
    let header = csv.lines().next().unwrap();
    assert!(
        header.contains("action_id") && header.contains("event_date"),
        "{header}"
    );
    assert!(csv.lines().count() > 5, "{csv}");
    // Or the file itself, streamed.
    let streamed = exchange(
        server.addr(),
        &Req::get(&format!("{job}/Download?Mode=Stream")),
    )
    .await;
    assert_eq!((streamed.status(), streamed.body_text()), (200, csv));

    let replayed = exchange(
        server.addr(),
        &Req::get(&format!("{job}/Replay")).method("PUT").json(),
    )
    .await;
    assert_eq!(replayed.status(), 200);
    assert_eq!(replayed.json()["Status"], "QUEUED");
}

#[tokio::test]
async fn click_exports_jobs_can_fail_and_daily_limits_apply() {
    let server = MockServer::builder()
        .quota(Quota::real())
        .start()
        .await
        .unwrap();
    server.fail_next_jobs(1);
    let failing = get_json(
        &server,
        Req::get("/ClickExport?Date=2025-01-10&ResultFormat=JSON"),
    )
    .await;
    let job = path_of(failing["QueuedUri"].as_str().unwrap());
    server.advance_clock(Duration::from_secs(10));
    assert_eq!(get_json(&server, Req::get(&job)).await["Status"], "FAILED");
    assert_eq!(
        exchange(server.addr(), &Req::get(&format!("{job}/Download")))
            .await
            .status(),
        404
    );
    // Scripted through the control interface too, for other languages.
    control(
        &server,
        ("POST", "/_mock/jobs"),
        Some(r#"{"fail_next": 0}"#),
        200,
    )
    .await;

    let ok = get_json(
        &server,
        Req::brand("/Programs/1001/ClickExport?Date=2025-01-12&ResultFormat=JSON"),
    )
    .await;
    let job = path_of(ok["QueuedUri"].as_str().unwrap());
    server.advance_clock(Duration::from_secs(10));
    let file = exchange(
        server.addr(),
        &Req::brand(&format!("{job}/Download?Mode=Stream")),
    )
    .await;
    assert_eq!(file.status(), 200);
    let records = file.json()["Records"].as_array().unwrap().clone();
    assert!(records.iter().all(|click| click["ProgramId"] == "1001"));

    // Ten ClickExports a day: the eleventh is refused with a wait until the day ends.
    let mut last = None;
    for day in 1..=10 {
        let received = exchange(
            server.addr(),
            &Req::get(&format!("/ClickExport?Date=2024-12-{day:02}")).json(),
        )
        .await;
        last = Some(received);
    }
    let last = last.unwrap();
    assert_eq!(last.status(), 429, "{}", last.body_text());
    let retry: u64 = last.header("Retry-After").unwrap().parse().unwrap();
    assert!(retry > 80_000, "{retry}");
    assert_eq!(last.header("X-RateLimit-Limit").as_deref(), Some("10"));
    assert!(
        last.header("X-RateLimit-Limit-hour").is_none(),
        "a daily limit"
    );
}
