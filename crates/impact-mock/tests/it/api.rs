//! The emulated API contract: auth, roots, resources, pagination, writes, formats.

use std::fmt::Write as _;
use std::time::Duration;

use impact_mock::{AuthSeen, DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, MockServer, Quota, Resource};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::raw::{Received, Req, exchange, exchange_raw, read_one};

const OTHER_SID: &str = "IR00000000000000000000000000000002";
const OTHER_TOKEN: &str = "other-token";

/// A small data set keeps the transcript readable: 5 campaigns, 3 ads, 2 actions, pages of 2.
async fn small_server() -> MockServer {
    MockServer::builder()
        .account(OTHER_SID, OTHER_TOKEN)
        .items(Resource::Campaigns, 5)
        .items(Resource::Ads, 3)
        .items(Resource::Actions, 2)
        .page_size(2)
        .start()
        .await
        .unwrap()
}

/// What a test expects of one answer.
struct Expect<'a> {
    status: u16,
    content_type: &'a str,
    body_contains: &'a [&'a str],
}

/// Sends `request` to a fresh small server and checks the answer against `expect`.
async fn check(request: Req, expect: Expect<'_>) -> Received {
    let server = small_server().await;
    let received = exchange(server.addr(), &request).await;
    assert_eq!(received.status(), expect.status, "{}", received.head());
    assert!(
        received
            .header("Content-Type")
            .unwrap_or_default()
            .starts_with(expect.content_type),
        "{}",
        received.head()
    );
    let body = received.body_text();
    for needle in expect.body_contains {
        assert!(body.contains(needle), "{needle:?} not in {body}");
    }
    let length: usize = received.header("Content-Length").unwrap().parse().unwrap();
    if request.method != "HEAD" {
        assert_eq!(
            length,
            received.body().len(),
            "Content-Length matches the body"
        );
    }
    received
}

/// Renders one exchange for the transcript: request line, status line, the headers that
/// carry meaning, and the body. The reset delay depends on the wall clock, so it is masked.
fn render(out: &mut String, name: &str, request: &Req, received: &Received) {
    let path = request
        .path
        .replace(DEMO_ACCOUNT_SID, "{SID}")
        .replace(OTHER_SID, "{OTHER}");
    let auth = match &request.auth {
        None => "no auth".to_owned(),
        Some((sid, token)) if sid == DEMO_ACCOUNT_SID && token == DEMO_AUTH_TOKEN => {
            "demo auth".to_owned()
        }
        Some(_) => "other auth".to_owned(),
    };
    let accept = request.accept.unwrap_or("no Accept");
    writeln!(
        out,
        "## {name}\n> {} {path} ({auth}, {accept})",
        request.method
    )
    .unwrap();
    let head = received.head();
    let mut lines = head.split("\r\n");
    writeln!(out, "< {}", lines.next().unwrap_or_default()).unwrap();
    for line in lines {
        let name = line
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if name == "x-ratelimit-reset" {
            writeln!(out, "< X-RateLimit-Reset: <delay>").unwrap();
        } else if name != "connection" {
            writeln!(out, "< {line}").unwrap();
        }
    }
    let body = received
        .body_text()
        .replace(DEMO_ACCOUNT_SID, "{SID}")
        .replace(OTHER_SID, "{OTHER}");
    writeln!(out, "{body}\n").unwrap();
}

#[tokio::test]
async fn transcript_of_the_emulated_api() {
    let cases: Vec<(&str, Req)> = vec![
        ("list, XML by default", Req::get("/Campaigns")),
        ("list, JSON by Accept", Req::get("/Campaigns").json()),
        (
            "last page, JSON by suffix",
            Req::get("/Campaigns.json?Page=3"),
        ),
        ("last page, XML", Req::get("/Campaigns?PageSize=2&Page=3")),
        ("past the last page", Req::get("/Ads?Page=9").json()),
        ("bad page number", Req::get("/Ads?Page=0").json()),
        ("bad page size, XML", Req::get("/Ads?PageSize=abc")),
        ("one item, JSON", Req::get("/Campaigns/1001").json()),
        ("one item, XML", Req::get("/Actions/1000.4000.100001")),
        ("unknown item", Req::get("/Campaigns/9999").json()),
        ("unknown resource", Req::get("/Nope").json()),
        (
            "outside the account roots",
            Req::get("").absolute("/v1/whatever").json(),
        ),
        ("wrong method", Req::get("/Campaigns").method("PUT").json()),
        (
            "wrong method on an item, XML",
            Req::get("/Ads/500000").method("POST").form(""),
        ),
        (
            "no credentials, JSON",
            Req::get("/Campaigns").no_auth().json(),
        ),
        ("no credentials, XML", Req::get("/Campaigns").no_auth()),
        (
            "wrong token",
            Req::get("/Campaigns").auth(DEMO_ACCOUNT_SID, "nope").json(),
        ),
        (
            "another account's SID",
            Req::get("")
                .absolute(&format!("/Mediapartners/{OTHER_SID}/Campaigns"))
                .json(),
        ),
        ("the other account on its own root", {
            Req::get("")
                .absolute(&format!("/Advertisers/{OTHER_SID}/Ads/500002"))
                .auth(OTHER_SID, OTHER_TOKEN)
                .json()
        }),
        (
            "an endpoint the token lacks",
            Req::get("/Reports/partner_performance"),
        ),
        (
            "conversion, valid",
            Req::get("/Conversions")
                .method("POST")
                .form("CampaignId=1000&ActionTrackerId=12345&OrderId=order%201")
                .json(),
        ),
        (
            "conversion, missing and bad fields",
            Req::get("/Conversions")
                .method("POST")
                .form("CampaignId=abc")
                .json(),
        ),
        (
            "conversion, missing fields, XML",
            Req::get("/Conversions").method("POST").form("OrderId=1"),
        ),
        (
            "conversions cannot be listed",
            Req::get("/Conversions").json(),
        ),
        (
            "action, valid, XML",
            Req::get("/Actions")
                .method("POST")
                .form("CampaignId=1000&ActionTrackerId=1&OrderId=x"),
        ),
        (
            "delete an ad",
            Req::get("/Ads/500001").method("DELETE").json(),
        ),
        (
            "delete an ad, XML",
            Req::get("/Ads/500001").method("DELETE"),
        ),
        (
            "delete a missing ad",
            Req::get("/Ads/1").method("DELETE").json(),
        ),
    ];
    let server = small_server().await;
    let mut transcript = String::new();
    for (name, request) in &cases {
        let received = exchange(server.addr(), request).await;
        render(&mut transcript, name, request, &received);
    }
    insta::assert_snapshot!(transcript);
}

#[tokio::test]
async fn single_checks() {
    check(
        Req::get("/Campaigns").json(),
        Expect {
            status: 200,
            content_type: "application/json",
            body_contains: &[
                r#""@page":"1""#,
                r#""@nextpageuri":"/Mediapartners/"#,
                r#""Campaigns":["#,
            ],
        },
    )
    .await;
    check(
        Req::get("/Campaigns"),
        Expect {
            status: 200,
            content_type: "application/xml",
            body_contains: &[
                "<ImpactRadiusResponse>",
                "<Campaigns ",
                r#"page="1""#,
                "<Id>1000</Id></Campaign>",
            ],
        },
    )
    .await;
    check(
        Req::get("/Campaigns").no_auth().json(),
        Expect {
            status: 401,
            content_type: "application/json",
            body_contains: &[r#""status":401"#, r#""title":"Unauthorized""#],
        },
    )
    .await;
    check(
        Req::get("/Reports/x").json(),
        Expect {
            status: 403,
            content_type: "application/json",
            body_contains: &[r#""status":"FORBIDDEN""#],
        },
    )
    .await;
    // HEAD answers the GET's head with its length, and no body.
    let received = check(
        Req::get("/Campaigns/1000").method("HEAD").json(),
        Expect {
            status: 200,
            content_type: "application/json",
            body_contains: &[],
        },
    )
    .await;
    assert!(received.body().is_empty());
}

#[tokio::test]
async fn paging_walks_every_item_in_both_formats() {
    let server = MockServer::builder()
        .items(Resource::Ads, 45)
        .page_size(20)
        .start()
        .await
        .unwrap();
    for json in [true, false] {
        let mut next = Some(format!("/Mediapartners/{DEMO_ACCOUNT_SID}/Ads"));
        let mut ids = Vec::new();
        let mut pages = 0;
        while let Some(path) = next.take() {
            let mut request = Req::get("").absolute(&path);
            if json {
                request = request.json();
            }
            let received = exchange(server.addr(), &request).await;
            assert_eq!(received.status(), 200, "{}", received.head());
            let page = impact_codec::decode_page(received.body()).unwrap();
            pages += 1;
            assert_eq!(page.meta.page, Some(pages));
            assert_eq!(page.meta.num_pages, Some(3));
            assert_eq!(page.meta.total, Some(45));
            ids.extend(
                page.items
                    .iter()
                    .map(|item| item["Id"].as_str().unwrap().to_owned()),
            );
            next = page.meta.next().map(str::to_owned);
            if let Some(next) = &next {
                assert!(next.starts_with("/Mediapartners/"), "host-relative: {next}");
            }
        }
        assert_eq!(pages, 3, "json: {json}");
        let expected: Vec<String> = (0..45).map(|n| (500_000 + n).to_string()).collect();
        assert_eq!(ids, expected, "json: {json}");
    }
}

#[tokio::test]
async fn keep_alive_serves_many_requests_on_one_connection() {
    let server = MockServer::builder()
        .quota(Quota::disabled())
        .start()
        .await
        .unwrap();
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let request = Req::get("/Campaigns/1000").json().keep_alive().to_bytes();
    let mut pending = Vec::new();
    for _ in 0..200 {
        stream.write_all(&request).await.unwrap();
        let received = read_one(&mut stream, &mut pending).await;
        assert_eq!(received.status(), 200);
        assert!(
            received.header("X-RateLimit-Limit").is_none(),
            "quota disabled"
        );
        assert!(received.body_text().contains(r#""Id":"1000""#));
    }
    // Pipelined: three requests in one write, three answers in order.
    let three = [
        Req::get("/Campaigns/1000"),
        Req::get("/Campaigns/1001"),
        Req::get("/Campaigns/1002"),
    ]
    .map(|r| r.json().keep_alive().to_bytes())
    .concat();
    stream.write_all(&three).await.unwrap();
    for id in ["1000", "1001", "1002"] {
        let received = read_one(&mut stream, &mut pending).await;
        assert!(received.body_text().contains(&format!(r#""Id":"{id}""#)));
    }
    assert_eq!(server.requests_seen(), 203);
}

#[tokio::test]
async fn the_log_records_credentials_without_the_token() {
    let server = small_server().await;
    exchange(server.addr(), &Req::get("/Campaigns").json()).await;
    exchange(
        server.addr(),
        &Req::get("/Campaigns").auth(DEMO_ACCOUNT_SID, "wrong"),
    )
    .await;
    exchange(server.addr(), &Req::get("/Campaigns").no_auth()).await;
    exchange(
        server.addr(),
        &Req::get("/Conversions").method("POST").form("OrderId=7"),
    )
    .await;
    let log = server.requests();
    assert_eq!(log.len(), 4);
    assert_eq!(
        log[0].auth,
        AuthSeen::Basic {
            username: DEMO_ACCOUNT_SID.into(),
            password_matched: true
        }
    );
    assert_eq!(log[0].header("authorization"), Some("Basic <redacted>"));
    assert_eq!(log[0].header("accept"), Some("application/json"));
    assert_eq!(log[0].status, 200);
    assert!(!log[0].scripted);
    assert_eq!(
        log[1].auth,
        AuthSeen::Basic {
            username: DEMO_ACCOUNT_SID.into(),
            password_matched: false
        }
    );
    assert_eq!(log[1].status, 401);
    assert_eq!(log[2].auth, AuthSeen::Missing);
    assert_eq!(
        (log[3].method.as_str(), log[3].body.as_slice()),
        ("POST", &b"OrderId=7"[..])
    );
    let everything = format!("{log:?} {server:?}");
    assert!(!everything.contains(DEMO_AUTH_TOKEN));
    assert!(!everything.contains(OTHER_TOKEN));
    server.clear_requests();
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn malformed_requests_get_a_status_not_a_hang() {
    let server = small_server().await;
    let quiet = Duration::from_secs(5);
    let received = exchange_raw(server.addr(), b"\x01\x02garbage\r\n\r\n", quiet).await;
    assert_eq!(received.status(), 400);
    let mut long = b"GET / HTTP/1.1\r\nX-Long: ".to_vec();
    long.extend(std::iter::repeat_n(b'a', 70 * 1024));
    let received = exchange_raw(server.addr(), &long, quiet).await;
    assert_eq!(received.status(), 431);
    let chunked = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    let received = exchange_raw(server.addr(), chunked, quiet).await;
    assert_eq!(received.status(), 411);
}

#[tokio::test]
async fn shutdown_stops_listening_and_serve_until_returns() {
    let server = small_server().await;
    let addr = server.addr();
    server.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err());

    let server = small_server().await;
    let addr = server.addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve_until(async {
        let _ = stopped.await;
    }));
    assert_eq!(exchange(addr, &Req::get("/Campaigns")).await.status(), 200);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err());
}

#[test]
fn demo_sid_has_the_real_shape() {
    assert_eq!(DEMO_ACCOUNT_SID.len(), 34);
    assert!(DEMO_ACCOUNT_SID.starts_with("IR"));
    assert!(DEMO_ACCOUNT_SID.bytes().all(|b| b.is_ascii_alphanumeric()));
}
