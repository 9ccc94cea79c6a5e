//! Fault injection (project issue 6): every way a server or a network can misbehave, each
//! answered with the exact error kind, the attempt count and a bound on the (virtual) time.
//!
//! One table of cases, one `check`. Each case scripts the mock to answer every attempt with the
//! same fault, so the expected attempt count follows from the retry rules alone (SPEC 3): a
//! retryable failure uses all three attempts, anything else stops at the first.
//!
//! The time a call took is read on the client's manual clock: backoffs and server hints are
//! waited there without real sleeping, and a timed-out attempt counts as its whole timeout.
//! Answers that never finish meet a short real per-attempt timeout.

use std::time::Duration;

use std::sync::Arc;

use impact_client::{Client, ErrorKind, ManualClock, Request, RetryPolicy};
use impact_mock::{
    AuthSeen, DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, Fault, Misbehaviour, MockServer, RequestMatch,
};

use crate::{account_path, builder, client_with, quiet_mock};

const MIB: u64 = 1024 * 1024;

/// What a call must end with.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Success after this many attempts.
    Ok { attempts: u32 },
    /// This kind of error after this many attempts, with this status when one was received.
    Err {
        kind: ErrorKind,
        attempts: u32,
        status: Option<u16>,
    },
}

/// Three attempts, 2 s each (answers on loopback come far sooner, even on a loaded machine), a
/// short backoff and a maximum wait of 60 s (the default).
fn policy() -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(3)
        .with_attempt_timeout(Duration::from_secs(2))
        .with_initial_backoff(Duration::from_millis(100))
}

/// Scripts `fault` for every attempt, sends `request`, and checks the outcome and the time the
/// call took on the manual clock. Returns the mock for cases that look at what it saw.
async fn check(
    label: &str,
    fault: Fault,
    request: Request,
    expect: Expect,
    within: (Duration, Duration),
) -> MockServer {
    let server = quiet_mock().await;
    server.push_fault(RequestMatch::any(), 10, fault);
    let (client, clock) = fixed_clock_client(&server);
    let real = std::time::Instant::now();
    let result = client.send(request).await;
    let took = clock.elapsed();
    match (expect, result) {
        (Expect::Ok { attempts }, Ok(response)) => {
            assert_eq!(response.attempts(), attempts, "{label}");
        }
        (
            Expect::Err {
                kind,
                attempts,
                status,
            },
            Err(error),
        ) => {
            assert_eq!(error.kind(), kind, "{label}: {error}");
            assert_eq!(error.attempts(), attempts, "{label}: {error}");
            assert_eq!(error.status().map(u16::from), status, "{label}: {error}");
        }
        (expect, result) => panic!("{label}: want {expect:?}, got {result:?}"),
    }
    assert!(
        took >= within.0 && took <= within.1,
        "{label}: took {took:?}, want {within:?}"
    );
    // Nothing the clock counted was slept for real: only the short timeouts were.
    assert!(
        real.elapsed() < REAL_BOUND,
        "{label}: took {:?} of real time",
        real.elapsed()
    );
    server
}

/// The default policy's client, and its manual clock, whose wall time starts on a whole second.
/// Pacing waits one second past a reset read in whole seconds, so with the system's clock a
/// wait would depend on the sub-second phase of the moment the test started.
fn fixed_clock_client(server: &MockServer) -> (Client, ManualClock) {
    let start = std::time::UNIX_EPOCH + Duration::from_secs(1_764_072_000);
    let clock = ManualClock::with_unix_start(start);
    let client = builder(server)
        .clock(Arc::new(clock.clone()))
        .retry_policy(policy())
        .budget(None)
        .build()
        .expect("a valid client");
    (client, clock)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The window of a call whose three attempts fail at once: two backoffs of at most 100 and
/// 200 ms (full jitter).
const QUICK: (Duration, Duration) = (Duration::ZERO, Duration::from_millis(300));

/// The real per-attempt timeout of the cases whose answers never finish.
const SHORT_TIMEOUT: Duration = Duration::from_millis(200);

/// The window of a call whose three attempts each time out after [`SHORT_TIMEOUT`], with the
/// two backoffs of [`QUICK`].
const THREE_TIMEOUTS: (Duration, Duration) =
    (Duration::from_millis(600), Duration::from_millis(900));

/// Real time any call of these tests may take: far more than three short timeouts, so that a
/// loaded machine stays within it, and far less than any wait the clock counts.
const REAL_BOUND: Duration = Duration::from_secs(5);

fn connection(attempts: u32) -> Expect {
    Expect::Err {
        kind: ErrorKind::Connection,
        attempts,
        status: None,
    }
}

fn timeout(attempts: u32) -> Expect {
    Expect::Err {
        kind: ErrorKind::Timeout,
        attempts,
        status: None,
    }
}

fn api(status: u16, attempts: u32) -> Expect {
    Expect::Err {
        kind: ErrorKind::Api,
        attempts,
        status: Some(status),
    }
}

fn get() -> Request {
    Request::get("/Campaigns")
}

fn json_200() -> Fault {
    Fault::raw(
        200,
        "application/json",
        r#"{"Status":"OK","Uri":"/Mediapartners/IR1/Campaigns/1"}"#,
    )
}

#[tokio::test]
async fn connection_failures_before_and_during_the_answer() {
    let cases = [
        (
            "reset before headers",
            Fault::reset_before_headers(),
            connection(3),
        ),
        (
            "closed before headers",
            Fault::close_before_headers(),
            connection(3),
        ),
        (
            "reset mid-body of a 2xx",
            Fault::raw(200, "application/json", vec![b' '; 10_000])
                .misbehave(Misbehaviour::ResetAfterBodyBytes(100)),
            connection(3),
        ),
        (
            "content-length longer than the 2xx body",
            json_200().misbehave(Misbehaviour::ContentLengthLonger(50)),
            connection(3),
        ),
        (
            "broken chunked encoding of a 2xx",
            Fault::raw(200, "application/json", vec![b' '; 10_000])
                .misbehave(Misbehaviour::BrokenChunked),
            connection(3),
        ),
    ];
    for (label, fault, expect) in cases {
        check(label, fault, get(), expect, QUICK)
            .await
            .shutdown()
            .await;
    }
}

#[tokio::test]
async fn a_post_is_not_retried_once_the_request_may_have_been_processed() {
    // The request was sent whole before each of these failures: a retried POST could
    // double-submit a conversion (SPEC 3).
    let post = || Request::post("/Conversions").form([("OrderId", "1")]);
    let cases = [
        ("reset before headers", Fault::reset_before_headers()),
        (
            "reset mid-body",
            json_200().misbehave(Misbehaviour::ResetAfterBodyBytes(5)),
        ),
        (
            "broken chunked",
            json_200().misbehave(Misbehaviour::BrokenChunked),
        ),
    ];
    for (label, fault) in cases {
        let server = check(label, fault, post(), connection(1), QUICK).await;
        assert_eq!(server.requests_seen(), 1, "{label}");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn answers_that_never_finish_time_out_per_attempt() {
    let cases = [
        (
            "headers that never finish",
            Fault::status(200).misbehave(Misbehaviour::EndlessHeaders),
        ),
        (
            "a body that trickles slower than the timeout",
            Fault::raw(200, "application/json", vec![b' '; 1000])
                .trickle(10, Duration::from_millis(100)),
        ),
        (
            "an answer that starts after the timeout",
            json_200().delay(5 * SHORT_TIMEOUT),
        ),
    ];
    for (label, fault) in cases {
        let request = get().timeout(SHORT_TIMEOUT);
        check(label, fault, request, timeout(3), THREE_TIMEOUTS)
            .await
            .shutdown()
            .await;
    }
}

#[tokio::test]
async fn framing_and_encoding_oddities_that_still_carry_an_answer() {
    // A Content-Length shorter than the body: the declared bytes are the answer; the rest is
    // dropped with the connection, never read as the next response.
    let server = check(
        "content-length shorter than the body",
        json_200().misbehave(Misbehaviour::ContentLengthShorter(10)),
        get(),
        Expect::Ok { attempts: 1 },
        QUICK,
    )
    .await;
    server.shutdown().await;

    // An error status over a broken framing is explained from the bytes received, and its
    // retryability follows the status.
    let cases = [
        (
            "a 503 reset mid-body",
            Fault::raw(503, "text/plain", vec![b'x'; 10_000])
                .misbehave(Misbehaviour::ResetAfterBodyBytes(100)),
            api(503, 3),
        ),
        (
            "a 400 with a longer content-length",
            Fault::raw(
                400,
                "application/json",
                r#"{"Status":"ERROR","Message":"No"}"#,
            )
            .misbehave(Misbehaviour::ContentLengthLonger(100)),
            api(400, 1),
        ),
        (
            "a 400 in invalid utf-8",
            Fault::raw(
                400,
                "application/json",
                &b"{\"Status\":\"ERROR\",\"Message\":\"\xff\xfe\"}"[..],
            ),
            api(400, 1),
        ),
        (
            "a 502 over http/1.0, ended by closing",
            Fault::raw(502, "text/html", "<html><body>Bad Gateway</body></html>").http10(),
            api(502, 3),
        ),
        (
            "a 200 over http/1.0",
            json_200().http10(),
            Expect::Ok { attempts: 1 },
        ),
    ];
    for (label, fault, expect) in cases {
        check(label, fault, get(), expect, QUICK)
            .await
            .shutdown()
            .await;
    }
}

#[tokio::test]
async fn invalid_utf8_is_kept_as_a_bounded_lossy_excerpt_or_a_decode_error() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(
            500,
            "text/plain",
            [&b"boom \xc3\x28 "[..], &[0xff; 4000]].concat(),
        ),
    );
    let client = client_with(&server, policy().with_max_attempts(1));
    let error = client.get("/Campaigns").await.expect_err("a 500");
    let excerpt = error
        .api_error()
        .and_then(|report| report.body().excerpt.clone())
        .expect("an excerpt");
    assert!(excerpt.starts_with("boom \u{FFFD}("), "{excerpt}");
    assert!(excerpt.len() <= impact_codec::EXCERPT_MAX_BYTES);

    // A 200 whose body is not UTF-8 fails to decode into a type, with a typed error.
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(200, "application/json", &b"{\"Status\":\"\xff\"}"[..]),
    );
    let response = client.get("/Campaigns").await.expect("a 200");
    let error = response.json::<serde_json::Value>().expect_err("not utf-8");
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
    server.shutdown().await;
}

#[tokio::test]
async fn refused_connections_fail_every_attempt_quickly() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    drop(listener);
    let clock = crate::manual_clock();
    let client = Client::builder()
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(DEMO_AUTH_TOKEN)
        .base_url(format!("http://{addr}"))
        .retry_policy(policy())
        .budget(None)
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("a valid client");
    let error = client.get("/Campaigns").await.expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert_eq!(error.attempts(), 3);
    assert_eq!(clock.sleeps().len(), 2, "a backoff before each retry");
    assert!(clock.elapsed() <= QUICK.1, "{:?}", clock.elapsed());
}

/// A redirect to another host: followed for GET, without the Authorization header.
#[tokio::test]
async fn a_redirect_to_another_host_does_not_carry_the_credentials() {
    // 127.0.0.2 is loopback on Linux, yet another host than 127.0.0.1.
    let other = MockServer::builder()
        .addr("127.0.0.2:0".parse().expect("an address"))
        .quota(impact_mock::Quota::disabled())
        .start()
        .await
        .expect("a second loopback address");
    let server = quiet_mock().await;
    let elsewhere = format!("{}{}", other.base_url(), account_path("/Ads"));
    server.push_fault(RequestMatch::any(), 1, Fault::redirect(302, &elsewhere));
    let (builder, clock) = crate::clocked(&server);
    let error = builder
        .retry_policy(policy())
        .budget(None)
        .build()
        .expect("a valid client")
        .get("/Campaigns")
        .await
        .expect_err("the other host refuses a call without credentials");
    assert_eq!(clock.elapsed(), Duration::ZERO, "no retry, no wait");
    assert_eq!(error.kind(), ErrorKind::Api, "{error}");
    assert_eq!(error.status().map(u16::from), Some(401), "{error}");
    assert_eq!(error.attempts(), 1);
    let seen = other.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].auth, AuthSeen::Missing);
    assert!(seen[0].header("authorization").is_none());
    assert!(server.requests()[0].auth.is_valid());
    server.shutdown().await;
    other.shutdown().await;
}

/// A 1 GiB error body costs the client its error-body cap, per attempt, not a gibibyte: the
/// bytes delivered through a counting relay stay near three caps plus socket buffers.
#[tokio::test]
async fn a_one_gib_error_body_is_read_only_up_to_the_cap_on_every_attempt() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        3,
        Fault::huge(503, "text/plain", 1024 * MIB),
    );
    let (base, delivered) = crate::body_cap::counting_relay(&server).await;
    let client = builder(&server)
        .base_url(base)
        .error_body_cap(64 * 1024)
        .retry_policy(policy().with_initial_backoff(Duration::from_millis(1)))
        .budget(None)
        .build()
        .expect("a valid client");
    let error = client.get("/Campaigns").await.expect_err("a 503");
    assert_eq!(error.kind(), ErrorKind::Api, "{error}");
    assert_eq!(error.attempts(), 3);
    assert_eq!(error.status().map(u16::from), Some(503));
    let sent = delivered.load(std::sync::atomic::Ordering::Relaxed);
    let per_attempt = 64 * 1024 + crate::body_cap::SOCKET_SLACK;
    assert!(sent <= 3 * per_attempt, "{sent} bytes delivered");
    server.shutdown().await;
}

#[tokio::test]
async fn garbage_rate_limit_values_are_ignored_and_backoff_applies() {
    let garbage = [
        ("Retry-After", "-5"),
        ("Retry-After", "soon"),
        ("Retry-After", "99999999999999999999999"),
        ("Retry-After", "1.5"),
        ("Retry-After", ""),
        ("Retry-After", "Fri, 31 Dec 2999 23:59:59 GMT"),
        ("X-RateLimit-Reset", "-1"),
        ("X-RateLimit-Reset", "99999999999999"),
        ("RateLimit-Reset", "NaN"),
        ("X-RateLimit-Remaining", "-1"),
    ];
    for (name, value) in garbage {
        let label = format!("429 with {name}: {value:?}");
        let fault = Fault::raw(429, "text/plain", "slow down").header(name, value);
        // Ignored hints leave the backoff: three quick attempts, then the API error.
        check(&label, fault, get(), api(429, 3), QUICK)
            .await
            .shutdown()
            .await;
    }
}

#[tokio::test]
async fn hints_already_past_mean_retry_after_the_backoff() {
    // A delay of zero adds nothing to the backoff, and an instant in an earlier second than
    // the clock's has passed whatever the rounding: no pacing margin after it either
    // (`fixtures/exchanges/429-retry-after-past-date.http`: "no wait beyond backoff").
    let cases = [
        ("Retry-After", "0", QUICK),
        ("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT", QUICK),
        ("X-RateLimit-Reset", "1000000001", QUICK),
    ];
    for (name, value, within) in cases {
        let label = format!("429 with {name}: {value}");
        let fault = Fault::status(429).header(name, value);
        check(&label, fault, get(), api(429, 3), within)
            .await
            .shutdown()
            .await;
    }
}

#[tokio::test]
async fn far_future_hints_fail_fast_with_when_to_come_back() {
    let cases = [
        ("Retry-After", "3600"),
        ("Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT"),
        ("X-RateLimit-Reset", "86400"),
        ("RateLimit-Reset", "4102444800"),
    ];
    for (name, value) in cases {
        let label = format!("429 with {name}: {value}");
        let fault = Fault::status(429).header(name, value);
        let expect = Expect::Err {
            kind: ErrorKind::RateLimited,
            attempts: 1,
            status: Some(429),
        };
        let server = check(
            &label,
            fault,
            get(),
            expect,
            (Duration::ZERO, Duration::ZERO),
        )
        .await;
        server.shutdown().await;
    }
}

#[tokio::test]
async fn duplicate_and_conflicting_hints_take_the_most_cautious_reading() {
    // Two Retry-After delays: the longer one is waited for, twice.
    check(
        "retry-after 1 and 30",
        Fault::status(429)
            .header("Retry-After", "1")
            .header("Retry-After", "30"),
        get(),
        api(429, 3),
        (secs(60), secs(60) + QUICK.1),
    )
    .await
    .shutdown()
    .await;
    // A delay and a date already past: the delay still holds.
    check(
        "retry-after 30 and a past date",
        Fault::status(429)
            .header("Retry-After", "30")
            .header("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"),
        get(),
        api(429, 3),
        (secs(60), secs(60) + QUICK.1),
    )
    .await
    .shutdown()
    .await;
    // A reset delay and an epoch already past: the delay still holds.
    check(
        "x-ratelimit-reset 20 and a past epoch",
        Fault::status(429)
            .header("X-RateLimit-Reset", "20")
            .header("X-RateLimit-Reset", "1000000001"),
        get(),
        api(429, 3),
        (secs(42), secs(42) + QUICK.1),
    )
    .await
    .shutdown()
    .await;
}

#[tokio::test]
async fn conflicting_remaining_counts_pace_on_the_smallest() {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        json_200()
            .header("X-RateLimit-Remaining", "5")
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", "10"),
    );
    let (client, clock) = fixed_clock_client(&server);
    let first = client.get("/Campaigns").await.expect("a 200");
    assert_eq!(first.attempts(), 1);
    let start = clock.elapsed();
    let second = client.get("/Campaigns").await.expect("paced, then a 200");
    assert_eq!(second.attempts(), 1);
    let waited = clock.elapsed() - start;
    assert!(
        waited >= secs(10) && waited <= secs(11),
        "waited {waited:?}"
    );
    server.shutdown().await;
}
