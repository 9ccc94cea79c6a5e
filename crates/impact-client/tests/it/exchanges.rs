//! `fixtures/exchanges/` replayed (issue 11): every recorded answer (status, headers and raw
//! body, a short body's declared length included) is served by the mock to a client with the
//! default policy, on a manual clock that starts at the exchanges' `Date`. What the client
//! decided is one insta snapshot per exchange, read against the note of `exchanges.tsv` and
//! SPEC 3: the call answered by the exchange on every attempt (each attempt's outcome, decision,
//! delay and its source; how the call ended and the report it kept), then a second call that
//! the mock answers normally, to show what pacing kept from the first.
//!
//! A redirect to another host is pointed at a second mock on `localhost` (another host name
//! and port), path and query kept, and the snapshot says whether that server saw credentials.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use impact_client::{Client, ManualClock, RateLimitInfo, Request, Response};
use impact_mock::{
    DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, Fault, FaultBody, Misbehaviour, MockServer, Quota,
    RequestMatch,
};
use tracing_subscriber::layer::{Context, SubscriberExt};

use crate::{account_path, quiet_mock};

/// `Date: Tue, 25 Nov 2025 12:00:00 GMT`, which every exchange carries and against which its
/// epochs and HTTP dates are written.
const EXCHANGE_DATE_UNIX: u64 = 1_764_072_000;

/// One recorded answer.
struct Exchange {
    file: String,
    note: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn fixtures_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Every exchange of the manifest, in its order.
fn exchanges() -> Vec<Exchange> {
    let dir = fixtures_dir();
    let manifest = std::fs::read_to_string(dir.join("exchanges.tsv")).expect("the manifest");
    let mut exchanges = Vec::new();
    for line in manifest
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
    {
        let (file, note) = line.split_once('\t').expect("file and note");
        let bytes = std::fs::read(dir.join("exchanges").join(file)).expect("the exchange");
        exchanges.push(parse(file, note, &bytes));
    }
    exchanges
}

/// An HTTP/1.1 answer: status line, headers, a blank line, the body.
fn parse(file: &str, note: &str, bytes: &[u8]) -> Exchange {
    let split = bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("a head");
    let head = std::str::from_utf8(&bytes[..split]).expect("a text head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status code");
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').expect("a header");
            (name.to_owned(), value.trim().to_owned())
        })
        .collect();
    Exchange {
        file: file.to_owned(),
        note: note.to_owned(),
        status,
        headers,
        body: bytes[split + 4..].to_vec(),
    }
}

impl Exchange {
    /// The mock's fault for this answer: its status, headers (a `Location` on another host
    /// moved to `elsewhere`) and raw body; a declared length longer than the body is kept.
    fn fault(&self, elsewhere: &str) -> Fault {
        let mut fault = Fault::status(self.status).body(FaultBody::Raw(self.body.clone().into()));
        for (name, value) in &self.headers {
            if name.eq_ignore_ascii_case("content-length") {
                let declared: u64 = value.parse().expect("a length");
                let sent = self.body.len() as u64;
                if declared > sent {
                    fault = fault.misbehave(Misbehaviour::ContentLengthLonger(declared - sent));
                }
                continue;
            }
            let value = match (
                name.eq_ignore_ascii_case("location"),
                value.split_once("://"),
            ) {
                (true, Some((_, rest))) => {
                    let path = rest.find('/').map_or("/", |at| &rest[at..]);
                    format!("{elsewhere}{path}")
                }
                _ => value.clone(),
            };
            fault = fault.header(name, &value);
        }
        fault
    }
}

/// The client's events of one thread: each a map of its fields.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<BTreeMap<String, String>>>>);

impl Events {
    fn take(&self) -> Vec<BTreeMap<String, String>> {
        std::mem::take(&mut *self.0.lock().expect("not poisoned"))
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Events {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Fields(BTreeMap<String, String>);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.insert(
                    field.name().to_owned(),
                    format!("{value:?}").replace('"', ""),
                );
            }
        }
        let metadata = event.metadata();
        if metadata.target().starts_with("impact_client")
            && *metadata.level() <= tracing::Level::INFO
        {
            let mut fields = Fields(BTreeMap::new());
            event.record(&mut fields);
            if fields.0.contains_key("decision") {
                self.0.lock().expect("not poisoned").push(fields.0);
            }
        }
    }
}

/// One line per attempt event: its outcome and what was decided, with the delay and its source.
fn render_events(out: &mut String, events: &[BTreeMap<String, String>]) {
    let field = |event: &BTreeMap<String, String>, name: &str| event.get(name).cloned();
    for event in events {
        let attempt = field(event, "attempt").unwrap_or_default();
        let decision = field(event, "decision").unwrap_or_default();
        let delay = match (field(event, "delay_ms"), field(event, "delay_source")) {
            (Some(ms), Some(source)) => format!(" {ms} ms ({source})"),
            _ => String::new(),
        };
        let line = match decision.as_str() {
            "hold" => format!("  before attempt {attempt}: hold{delay}"),
            "success" => format!(
                "  attempt {attempt}: {} -> success",
                field(event, "status").unwrap_or_default()
            ),
            "retry" => format!(
                "  attempt {attempt}: {} -> retry after{delay}, budget left {}",
                field(event, "outcome").unwrap_or_default(),
                field(event, "budget_left").unwrap_or_else(|| "-".to_owned()),
            ),
            _ => format!(
                "  attempt {attempt}: {} -> give up ({})",
                field(event, "outcome").unwrap_or_default(),
                field(event, "give_up").unwrap_or_default(),
            ),
        };
        writeln!(out, "{line}").expect("a string");
    }
}

/// The rate-limit headers as read: only the values present.
fn render_rate(info: &RateLimitInfo) -> String {
    let reset = |reset: Option<impact_errors::Reset>| {
        reset.map(|reset| match reset {
            impact_errors::Reset::After(secs) => format!("after {secs} s"),
            impact_errors::Reset::At(epoch) => {
                format!("at {:+} s", epoch as i64 - EXCHANGE_DATE_UNIX as i64)
            }
        })
    };
    let retry_after = info.retry_after.map(|hint| match hint {
        impact_errors::RetryAfter::Delay(secs) => format!("{secs} s"),
        impact_errors::RetryAfter::At(epoch) => {
            format!("at {:+} s", epoch as i64 - EXCHANGE_DATE_UNIX as i64)
        }
    });
    let parts = [
        ("X-RateLimit-Limit", info.x_limit.map(|n| n.to_string())),
        (
            "X-RateLimit-Remaining",
            info.x_remaining.map(|n| n.to_string()),
        ),
        ("X-RateLimit-Reset", reset(info.x_reset)),
        (
            "X-RateLimit-Limit-hour",
            info.hour_limit.map(|n| n.to_string()),
        ),
        (
            "X-RateLimit-Remaining-hour",
            info.hour_remaining.map(|n| n.to_string()),
        ),
        ("RateLimit-Limit", info.limit.map(|n| n.to_string())),
        ("RateLimit-Remaining", info.remaining.map(|n| n.to_string())),
        ("RateLimit-Reset", reset(info.reset)),
        ("Retry-After", retry_after),
    ];
    let read: Vec<String> = parts
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| format!("{name} {value}")))
        .collect();
    if read.is_empty() {
        "none".to_owned()
    } else {
        read.join(", ")
    }
}

/// How a call ended: its response, or its error's kind, attempts, hint, report and headers.
fn render_result(out: &mut String, result: &Result<Response, impact_client::Error>) {
    match result {
        Ok(response) => {
            writeln!(
                out,
                "  ended: ok, {} after {} attempt(s), {} body bytes",
                response.status().as_u16(),
                response.attempts(),
                response.bytes().len()
            )
            .expect("a string");
            writeln!(
                out,
                "  rate limit read: {}",
                render_rate(response.rate_limit())
            )
            .expect("a string");
        }
        Err(error) => {
            writeln!(
                out,
                "  ended: error {} after {} attempt(s), retryable {}",
                error.kind(),
                error.attempts(),
                error.is_retryable()
            )
            .expect("a string");
            if let Some(after) = error.retry_after() {
                writeln!(out, "  come back in: {} s", after.as_secs_f64()).expect("a string");
            }
            if !error.message().is_empty() {
                writeln!(out, "  message: {}", error.message()).expect("a string");
            }
            match error.api_error() {
                Some(report) => writeln!(out, "  report: {report}").expect("a string"),
                None => writeln!(out, "  report: none").expect("a string"),
            }
            if let Some(info) = error.rate_limit() {
                writeln!(out, "  rate limit read: {}", render_rate(info)).expect("a string");
            }
        }
    }
}

/// Replays one exchange and renders what the client decided.
async fn replay(exchange: &Exchange, elsewhere: &MockServer) -> String {
    let server = quiet_mock().await;
    let target = RequestMatch::exact(&account_path("/Campaigns"));
    let other_host = format!("http://localhost:{}", elsewhere.addr().port());
    server.push_fault(target, 4, exchange.fault(&other_host));
    elsewhere.clear_requests();
    let clock = ManualClock::with_unix_start(UNIX_EPOCH + Duration::from_secs(EXCHANGE_DATE_UNIX));
    let client = Client::builder()
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(DEMO_AUTH_TOKEN)
        .base_url(server.base_url())
        .random_seed(7)
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("a valid client");
    // The binary's global subscriber keeps every callsite enabled, so that this thread's
    // scoped one sees every event even when another test registered its callsite first.
    crate::redaction::global_capture();
    let events = Events::default();
    let _capture =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(events.clone()));

    let mut out = String::new();
    writeln!(out, "exchange: {}", exchange.file).expect("a string");
    writeln!(out, "note: {}", exchange.note).expect("a string");
    writeln!(out, "policy: the default (4 attempts, 500 ms doubling to 20 s with full jitter, 60 s longest wait, 500-token budget); clock at the exchange's Date").expect("a string");
    writeln!(
        out,
        "\nfirst call, GET /Campaigns answered by the exchange on every attempt:"
    )
    .expect("a string");
    let first = client.send(Request::get("/Campaigns")).await;
    render_events(&mut out, &events.take());
    render_result(&mut out, &first);
    let seen = server.requests();
    let redirected: Vec<String> = seen
        .iter()
        .filter(|request| !request.target.ends_with("/Campaigns"))
        .map(|request| {
            format!(
                "{} ({})",
                request.target,
                if request.account.is_some() {
                    "with credentials"
                } else {
                    "without credentials"
                }
            )
        })
        .collect();
    writeln!(out, "  requests to the server: {}", seen.len()).expect("a string");
    if !redirected.is_empty() {
        writeln!(
            out,
            "  followed on the same server to: {}",
            redirected.join("; ")
        )
        .expect("a string");
    }
    for request in elsewhere.requests() {
        let credentials = if request.account.is_some() {
            "with credentials"
        } else {
            "without credentials"
        };
        writeln!(
            out,
            "  followed to the other host: {} ({credentials})",
            request.target
        )
        .expect("a string");
    }

    server.clear_faults();
    server.clear_requests();
    let slept_before = clock.total_slept();
    writeln!(out, "\nsecond call, GET /Campaigns answered normally:").expect("a string");
    let second = client.send(Request::get("/Campaigns")).await;
    render_events(&mut out, &events.take());
    render_result(&mut out, &second);
    let held = clock.total_slept() - slept_before;
    writeln!(out, "  waited before it: {} ms", held.as_millis()).expect("a string");
    server.shutdown().await;
    out
}

#[tokio::test]
async fn every_recorded_exchange_is_decided_as_reviewed() {
    let exchanges = exchanges();
    assert_eq!(exchanges.len(), 35, "the manifest lists every exchange");
    let elsewhere = MockServer::builder()
        .quota(Quota::disabled())
        .start()
        .await
        .expect("a loopback port");
    for exchange in &exchanges {
        let rendered = replay(exchange, &elsewhere).await;
        let name = exchange.file.trim_end_matches(".http");
        insta::assert_snapshot!(name, rendered);
    }
    elsewhere.shutdown().await;
}
