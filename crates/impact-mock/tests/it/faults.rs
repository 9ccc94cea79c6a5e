//! Scripted faults: every kind, matching, ordering and consumption.

use std::time::{Duration, Instant};

use bytes::Bytes;
use impact_errors::{BodyFormat, BodyShape, DecodedBody, FieldError};
use impact_mock::{DEMO_ACCOUNT_SID, Fault, FaultBody, Misbehaviour, MockServer, RequestMatch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::raw::{End, Received, Req, exchange_raw, find, read_one};

/// What a test expects on the wire after one scripted fault.
struct Expect<'a> {
    /// The exact bytes received, or `None` to check only the pieces below.
    bytes: Option<&'a [u8]>,
    head_contains: &'a [&'a str],
    body: Option<&'a [u8]>,
    end: End,
}

/// Scripts `fault` for the next request, sends one, and checks what comes back.
async fn check(fault: Fault, expect: Expect<'_>) -> Received {
    let server = MockServer::start().await.unwrap();
    server.fail_next(fault);
    let request = Req::get("/Campaigns").json().keep_alive().to_bytes();
    let received = exchange_raw(server.addr(), &request, Duration::from_millis(300)).await;
    if let Some(bytes) = expect.bytes {
        assert_eq!(
            String::from_utf8_lossy(&received.bytes),
            String::from_utf8_lossy(bytes)
        );
    }
    let head = received.head();
    for needle in expect.head_contains {
        assert!(head.contains(needle), "{needle:?} not in {head:?}");
    }
    if let Some(body) = expect.body {
        assert_eq!(received.body_text(), String::from_utf8_lossy(body));
    }
    assert_eq!(
        received.end,
        expect.end,
        "{:?}",
        String::from_utf8_lossy(&received.bytes)
    );
    assert_eq!(server.pending_faults(), 0, "the fault was consumed");
    let log = server.requests();
    assert!(log[0].scripted);
    received
}

fn envelope() -> DecodedBody {
    let mut body = DecodedBody::new(BodyFormat::Json, BodyShape::Envelope);
    body.status = Some("ERROR".into());
    body.message = Some("Not permitted to run report".into());
    body.errors.push(FieldError::new(
        Some("ReportId".into()),
        "Unknown".into(),
        None,
    ));
    body
}

#[tokio::test]
async fn status_headers_and_raw_body_are_sent_as_given() {
    let fault = Fault::raw(502, "text/html", "<html>bad gateway</html>")
        .header("Retry-After", "7")
        .header("RateLimit-Reset", "30");
    check(
        fault,
        Expect {
            bytes: Some(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nRetry-After: 7\r\n\
                  RateLimit-Reset: 30\r\nContent-Length: 24\r\n\r\n<html>bad gateway</html>",
            ),
            head_contains: &[],
            body: None,
            // A well-formed answer keeps the connection open.
            end: End::Silent,
        },
    )
    .await;
    let fault = Fault::status(599)
        .reason("Whatever")
        .header("X-RateLimit-Remaining-hour", "0");
    check(
        fault,
        Expect {
            bytes: Some(b"HTTP/1.1 599 Whatever\r\nX-RateLimit-Remaining-hour: 0\r\nContent-Length: 0\r\n\r\n"),
            head_contains: &[],
            body: None,
            end: End::Silent,
        },
    )
    .await;
}

#[tokio::test]
async fn decoded_bodies_are_encoded_by_the_codec() {
    // A 200 carrying `Status: ERROR`.
    let expected = impact_codec::encode_json(&envelope());
    let received = check(
        Fault::json(200, envelope()),
        Expect {
            bytes: None,
            head_contains: &["HTTP/1.1 200 OK\r\n", "Content-Type: application/json"],
            body: Some(&expected),
            end: End::Silent,
        },
    )
    .await;
    let report = impact_codec::decode(received.body(), Some(impact_errors::StatusCode::OK));
    assert!(report.body().is_api_error());
    assert_eq!(report.class(), impact_errors::ErrorClass::ErrorInBody);

    let expected = impact_codec::encode_xml(&envelope());
    check(
        Fault::xml(400, envelope()),
        Expect {
            bytes: None,
            head_contains: &[
                "HTTP/1.1 400 Bad Request\r\n",
                "Content-Type: application/xml",
            ],
            body: Some(&expected),
            end: End::Silent,
        },
    )
    .await;
}

#[tokio::test]
async fn delays_and_trickles_take_their_time() {
    let started = Instant::now();
    check(
        Fault::status(503).delay(Duration::from_millis(200)),
        Expect {
            bytes: None,
            head_contains: &["503"],
            body: Some(b""),
            end: End::Silent,
        },
    )
    .await;
    assert!(started.elapsed() >= Duration::from_millis(200));

    let started = Instant::now();
    let fault = Fault::raw(200, "text/plain", "0123456789").trickle(3, Duration::from_millis(40));
    check(
        fault,
        Expect {
            bytes: None,
            head_contains: &["Content-Length: 10"],
            body: Some(b"0123456789"),
            end: End::Silent,
        },
    )
    .await;
    // Four pieces (3+3+3+1), three pauses between them.
    assert!(started.elapsed() >= Duration::from_millis(120));
}

#[tokio::test]
async fn connections_end_before_the_headers() {
    check(
        Fault::reset_before_headers(),
        Expect {
            bytes: Some(b""),
            head_contains: &[],
            body: None,
            end: End::Reset,
        },
    )
    .await;
    check(
        Fault::close_before_headers(),
        Expect {
            bytes: Some(b""),
            head_contains: &[],
            body: None,
            end: End::Closed,
        },
    )
    .await;
}

#[tokio::test]
async fn bodies_break_in_every_way() {
    let body = "0123456789abcdefghij";
    check(
        Fault::raw(200, "text/plain", body).misbehave(Misbehaviour::ResetAfterBodyBytes(5)),
        Expect {
            bytes: None,
            head_contains: &["Content-Length: 20"],
            body: Some(b"01234"),
            end: End::Reset,
        },
    )
    .await;
    check(
        Fault::raw(200, "text/plain", body).misbehave(Misbehaviour::ContentLengthLonger(100)),
        Expect {
            bytes: None,
            head_contains: &["Content-Length: 120"],
            body: Some(body.as_bytes()),
            end: End::Closed,
        },
    )
    .await;
    check(
        Fault::raw(200, "text/plain", body).misbehave(Misbehaviour::ContentLengthShorter(15)),
        Expect {
            bytes: None,
            head_contains: &["Content-Length: 5"],
            body: Some(body.as_bytes()),
            end: End::Closed,
        },
    )
    .await;
    check(
        Fault::raw(200, "text/plain", body).misbehave(Misbehaviour::BrokenChunked),
        Expect {
            bytes: None,
            head_contains: &["Transfer-Encoding: chunked"],
            body: Some(b"a\r\n0123456789\r\nzz-not-a-chunk-size\r\nabcdefghij"),
            end: End::Closed,
        },
    )
    .await;
    let received = check(
        Fault::status(200)
            .header("X-Partial", "yes")
            .misbehave(Misbehaviour::EndlessHeaders),
        Expect {
            bytes: None,
            head_contains: &["HTTP/1.1 200 OK\r\n", "X-Partial: yes"],
            body: None,
            end: End::Silent,
        },
    )
    .await;
    assert!(
        find(&received.bytes, b"\r\n\r\n").is_none(),
        "the head never ends"
    );
}

#[tokio::test]
async fn http10_redirects_and_huge_bodies() {
    check(
        Fault::raw(200, "application/json", r#"{"Status":"OK"}"#).http10(),
        Expect {
            bytes: Some(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"Status\":\"OK\"}"),
            head_contains: &[],
            body: None,
            end: End::Closed,
        },
    )
    .await;
    check(
        Fault::redirect(302, "/Mediapartners/IR1/Jobs/1/Download"),
        Expect {
            bytes: Some(b"HTTP/1.1 302 Found\r\nLocation: /Mediapartners/IR1/Jobs/1/Download\r\nContent-Length: 0\r\n\r\n"),
            head_contains: &[],
            body: None,
            end: End::Silent,
        },
    )
    .await;

    // 100 MiB, generated while sending; counted here without keeping it.
    let server = MockServer::start().await.unwrap();
    let len = 100 * 1024 * 1024;
    server.fail_next(Fault::status(500).body(FaultBody::Repeated {
        len,
        pattern: Bytes::from_static(b"<error/>"),
    }));
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream
        .write_all(&Req::get("/Campaigns").to_bytes())
        .await
        .unwrap();
    // Bytes are collected until the head is complete, then only counted.
    let mut head = Vec::new();
    let mut chunk = vec![0u8; 256 * 1024];
    let mut body_bytes = 0u64;
    let mut first_body = Vec::new();
    let mut in_body = false;
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        if in_body {
            body_bytes += n as u64;
            continue;
        }
        head.extend_from_slice(&chunk[..n]);
        if let Some(at) = find(&head, b"\r\n\r\n") {
            first_body = head.split_off(at + 4);
            body_bytes += first_body.len() as u64;
            in_body = true;
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    assert!(
        head.contains(&format!("Content-Length: {len}\r\n")),
        "{head}"
    );
    assert_eq!(body_bytes, len);
    assert!(first_body.starts_with(b"<error/><error/>"));
}

#[tokio::test]
async fn faults_match_by_path_and_method_in_order() {
    let server = MockServer::start().await.unwrap();
    let campaigns = format!("/Mediapartners/{DEMO_ACCOUNT_SID}/Campaigns");
    server.push_fault(
        RequestMatch::exact(&campaigns).method("POST"),
        1,
        Fault::status(500),
    );
    server.push_fault(RequestMatch::prefix(&campaigns), 2, Fault::status(503));
    server.push_fault(RequestMatch::exact(&campaigns), 1, Fault::status(504));
    server.push_fault(RequestMatch::exact("/elsewhere?x=1"), 1, Fault::status(418));
    assert_eq!(server.pending_faults(), 4);

    let addr = server.addr();
    let status = |request: Req| async move {
        exchange_raw(addr, &request.to_bytes(), Duration::from_secs(5))
            .await
            .status()
    };
    // The exact-POST fault does not match a GET; the prefix one takes two GETs, then the
    // exact one the third, then the API answers.
    assert_eq!(status(Req::get("/Campaigns?Page=2")).await, 503);
    assert_eq!(status(Req::get("/Campaigns")).await, 503);
    assert_eq!(status(Req::get("/Campaigns")).await, 504);
    assert_eq!(status(Req::get("/Campaigns")).await, 200);
    assert_eq!(
        status(Req::get("/Campaigns").method("POST").form("")).await,
        500
    );
    assert_eq!(
        status(Req::get("/Campaigns").method("POST").form("")).await,
        405
    );
    assert_eq!(status(Req::get("").absolute("/elsewhere")).await, 404);
    assert_eq!(status(Req::get("").absolute("/elsewhere?x=1")).await, 418);
    assert_eq!(server.pending_faults(), 0);

    server.push_fault(RequestMatch::any(), 5, Fault::status(503));
    server.clear_faults();
    assert_eq!(status(Req::get("/Campaigns")).await, 200);
}

#[tokio::test]
async fn a_well_formed_fault_keeps_the_connection_alive() {
    let server = MockServer::start().await.unwrap();
    server.fail_next(Fault::raw(503, "text/plain", "busy"));
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let request = Req::get("/Campaigns/1000").json().keep_alive().to_bytes();
    let mut pending = Vec::new();
    stream.write_all(&request).await.unwrap();
    assert_eq!(read_one(&mut stream, &mut pending).await.status(), 503);
    stream.write_all(&request).await.unwrap();
    assert_eq!(read_one(&mut stream, &mut pending).await.status(), 200);
}

#[tokio::test]
async fn accepted_connections_can_be_closed_at_once() {
    let server = MockServer::start().await.unwrap();
    server.drop_next_connections(1);
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .unwrap();
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "closed without a byte: {read:?}"
    );
    assert_eq!(server.requests_seen(), 0);
    // The next connection is served normally.
    let received = exchange_raw(
        server.addr(),
        &Req::get("/Campaigns").to_bytes(),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(received.status(), 200);
}
