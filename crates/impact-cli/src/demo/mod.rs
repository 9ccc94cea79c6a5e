//! `impact demo`: a guided tour of every error class (SPEC 6.4), against the mock started in
//! this process and with the real client, showing for each call what the server did, what
//! the client decided and why, and how `impact api` would end.
//!
//! The client's decisions are read from its own `tracing` events (one per attempt, with the
//! outcome, the delay, where the delay came from and the budget left), captured by a layer
//! installed for the demo; the server's side comes from the mock's request log.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use clap::Args;
use impact_client::{Client, ClientBuilder, Error, Format, Request, Response, RetryPolicy};
use impact_mock::{
    DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, Fault, Misbehaviour, MockServer, RequestMatch,
};
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

use crate::exit::Exit;
use crate::report::{InputInfo, render_human};

/// The arguments of `impact demo` (none yet; the tour needs no credentials or network).
///
/// ```text
/// impact demo
/// impact demo | less
/// ```
#[derive(Debug, Clone, Args)]
pub(crate) struct DemoArgs {}

/// One event the client logged, as field names and rendered values.
#[derive(Debug, Clone, Default)]
struct Captured {
    message: String,
    fields: BTreeMap<&'static str, String>,
}

impl Visit for Captured {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.fields.insert(field.name(), text);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.fields.insert(field.name(), value.to_owned());
        }
    }
}

/// The events captured since the last call, shared with the layer.
type Events = Arc<Mutex<Vec<Captured>>>;

fn lock(events: &Events) -> MutexGuard<'_, Vec<Captured>> {
    // A poisoned lock only means a panic elsewhere; the list itself is still whole.
    events.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// A tracing layer that keeps the client's events (target `impact_client`).
struct CaptureLayer {
    events: Events,
}

impl<S: tracing::Subscriber> Layer<S> for CaptureLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if !event.metadata().target().starts_with("impact_client") {
            return;
        }
        let mut captured = Captured::default();
        event.record(&mut captured);
        lock(&self.events).push(captured);
    }
}

/// Runs the tour and answers 0 when every step ran (whatever the calls answered, since
/// showing failures is the point).
pub(crate) fn run(_args: DemoArgs) -> Exit {
    let events: Events = Arc::default();
    install_logging(&events);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("impact demo: cannot start the async runtime: {error}");
            return Exit::Usage;
        }
    };
    let exit = runtime.block_on(tour(events));
    drop(runtime);
    exit
}

/// The stderr logger of every command (RUST_LOG, default warn) plus the capture layer, which
/// sees the client's events whatever RUST_LOG says.
fn install_logging(events: &Events) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| tracing_subscriber::EnvFilter::try_new(text.trim()).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(crate::logging::DEFAULT_FILTER));
    let capture = CaptureLayer {
        events: Arc::clone(events),
    }
    .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
        meta.target().starts_with("impact_client")
    }));
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(io::stderr)
                .with_ansi(false)
                .with_filter(filter),
        )
        .with(capture)
        .try_init();
}

/// The state of the tour: the mock, the captured events and the output.
struct Tour {
    server: MockServer,
    events: Events,
    step: usize,
    started: Instant,
}

/// How many columns the label of an output line takes.
const LABEL: usize = 9;

impl Tour {
    /// A client on the mock with the demo account and short waits, so the tour stays fast:
    /// 50 ms initial backoff, at most 5 s of waiting for a server hint or pacing.
    fn client(&self) -> ClientBuilder {
        Client::builder()
            .account_sid(DEMO_ACCOUNT_SID)
            .auth_token(DEMO_AUTH_TOKEN)
            .base_url(self.server.base_url())
            .random_seed(2015)
            .retry_policy(
                RetryPolicy::new()
                    .with_initial_backoff(Duration::from_millis(50))
                    .with_max_wait(Duration::from_secs(5)),
            )
    }

    fn build(&self, builder: ClientBuilder) -> Result<Client, Error> {
        builder.build()
    }

    /// Prints a numbered heading and what the server was told to do.
    fn heading(&mut self, title: &str, server_script: &str) {
        self.step += 1;
        let head = format!("── {}. {title} ", self.step);
        let fill = 78usize.saturating_sub(head.chars().count());
        let mut text = format!("\n{head}{}\n", "─".repeat(fill));
        line(&mut text, "server", server_script);
        print(&text);
    }

    fn script(&self, path: &str, method: &str, times: u32, fault: Fault) {
        let full = format!("/Mediapartners/{DEMO_ACCOUNT_SID}{path}");
        self.server
            .push_fault(RequestMatch::exact(&full).method(method), times, fault);
    }

    /// Sends one request, then shows the server's log, the client's decisions and the end.
    async fn call(&mut self, what: &str, client: &Client, request: Request) -> Option<Response> {
        self.server.clear_requests();
        lock(&self.events).clear();
        let started = Instant::now();
        let result = client.send(request).await;
        let elapsed = started.elapsed();
        let mut text = String::new();
        line(&mut text, "request", what);
        self.describe_exchange(&mut text);
        match &result {
            Ok(response) => describe_success(&mut text, response, elapsed),
            Err(error) => describe_error(&mut text, error, elapsed),
        }
        print(&text);
        result.ok()
    }

    /// The server's log and the client's events since the last clear.
    fn describe_exchange(&self, text: &mut String) {
        let requests = self.server.requests();
        if requests.is_empty() {
            line(text, "server", "received nothing");
        }
        for (index, request) in requests.iter().enumerate() {
            let answer = match request.status {
                0 => "no answer: the connection was cut".to_owned(),
                status => impact_client::StatusCode::from_u16(status)
                    .map_or_else(|_| status.to_string(), |s| s.to_string()),
            };
            let scripted = if request.scripted { " (scripted)" } else { "" };
            let target = shorten(&request.target);
            line(
                text,
                if index == 0 { "server" } else { "" },
                &format!(
                    "#{} {} {target} -> {answer}{scripted}",
                    index + 1,
                    request.method
                ),
            );
        }
        let events = lock(&self.events).clone();
        for (index, event) in events.iter().enumerate() {
            line(
                text,
                if index == 0 { "client" } else { "" },
                &describe_event(event),
            );
        }
    }
}

/// Replaces the demo account's root in a path by `{SID}`, to keep lines short.
fn shorten(target: &str) -> String {
    target.replace(DEMO_ACCOUNT_SID, "{SID}")
}

/// One labelled line.
fn line(text: &mut String, label: &str, value: &str) {
    let _ = writeln!(text, "  {label:<LABEL$}{value}");
}

/// Writes to stdout at once, so the tour reads as it happens. A closed pipe is ignored: the
/// tour still ends normally.
fn print(text: &str) {
    let mut stdout = io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// What one client event says, in words.
fn describe_event(event: &Captured) -> String {
    let field = |name: &str| event.fields.get(name).map(String::as_str).unwrap_or("?");
    let budget = event
        .fields
        .get("budget_left")
        .map(|left| format!("; retry budget {left} tokens left"))
        .unwrap_or_default();
    match event.message.as_str() {
        "attempt succeeded" => format!(
            "attempt {}: {} -> success",
            field("attempt"),
            field("status")
        ),
        "attempt failed; retrying" => format!(
            "attempt {}: {} -> retry in {} ms, from {}{budget}",
            field("attempt"),
            field("outcome"),
            field("delay_ms"),
            delay_source(field("delay_source")),
        ),
        "attempt failed; giving up" => format!(
            "attempt {}: {} -> give up: {}{budget}",
            field("attempt"),
            field("outcome"),
            give_up_reason(field("give_up")),
        ),
        "holding the call until the rate limit resets" => format!(
            "before attempt {}: hold {} ms, from pacing: the last answer said Remaining: 0",
            field("attempt"),
            field("delay_ms"),
        ),
        message => {
            let mut text = message.to_owned();
            for (name, value) in &event.fields {
                let _ = write!(text, " {name}={value}");
            }
            text
        }
    }
}

fn delay_source(source: &str) -> &str {
    match source {
        "backoff" => "exponential backoff with full jitter",
        "server_hint" => "the server's hint (Retry-After or a rate-limit reset)",
        "pacing" => "pacing (the limit is used up until its reset)",
        other => other,
    }
}

fn give_up_reason(reason: &str) -> &str {
    match reason {
        "not_retryable" => "this outcome is never worth retrying",
        "not_idempotent" => {
            "a POST that may have been processed is not sent again (no idempotency keys)"
        }
        "attempts_exhausted" => "no attempts left",
        "wait_too_long" => "the server asks for a longer wait than allowed; fail fast",
        "deadline" => "the call's deadline would pass",
        "budget_empty" => "the retry budget is spent",
        other => other,
    }
}

fn attempts_text(attempts: u32) -> String {
    match attempts {
        1 => "1 attempt".to_owned(),
        n => format!("{n} attempts"),
    }
}

fn describe_success(text: &mut String, response: &Response, elapsed: Duration) {
    let body = String::from_utf8_lossy(response.bytes());
    let mut excerpt: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(90)
        .collect();
    if body.chars().count() > 90 {
        excerpt.push_str(" ...");
    }
    line(
        text,
        "result",
        &format!(
            "success after {} in {:.2} s: {} -> `impact api` exits 0",
            attempts_text(response.attempts()),
            elapsed.as_secs_f64(),
            response.status()
        ),
    );
    line(text, "", &format!("body: {excerpt}"));
}

fn describe_error(text: &mut String, error: &Error, elapsed: Duration) {
    let exit = crate::api::exit_for(error);
    let mut head = format!(
        "{} after {} in {:.2} s -> `impact api` exits {}",
        error.kind(),
        attempts_text(error.attempts()),
        elapsed.as_secs_f64(),
        exit.code()
    );
    if let Some(after) = error.retry_after() {
        let _ = write!(head, "; come back in {} s", after.as_secs_f64().ceil());
    }
    line(text, "result", &head);
    match error.api_error() {
        Some(report) => {
            let info = InputInfo {
                bytes_read: None,
                truncated: false,
                content_type: None,
            };
            for report_line in render_human(report, &info).lines() {
                line(text, "", report_line);
            }
        }
        None => line(text, "", &error.to_string()),
    }
}

/// The tour itself, step by step.
async fn tour(events: Events) -> Exit {
    let server = match MockServer::builder().page_size(20).start().await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("impact demo: cannot start the mock on loopback: {error}");
            return Exit::Usage;
        }
    };
    print(&format!(
        "impact demo: the impact.com API emulated on {} (in this process), called with the \
         real client.\nEach step shows what the server did, what the client decided and why, \
         and how `impact api` would end.\n",
        server.base_url()
    ));
    let mut tour = Tour {
        server,
        events,
        step: 0,
        started: Instant::now(),
    };
    let result = steps(&mut tour).await;
    let elapsed = tour.started.elapsed();
    let Tour { server, step, .. } = tour;
    server.shutdown().await;
    match result {
        Ok(()) => {
            print(&format!(
                "\nimpact demo: {step} steps in {:.1} s\n",
                elapsed.as_secs_f64()
            ));
            Exit::Success
        }
        Err(error) => {
            eprintln!("impact demo: could not build a client: {error}");
            Exit::Usage
        }
    }
}

/// Every step; an error here means a client could not be built, which would be a bug.
async fn steps(tour: &mut Tour) -> Result<(), Error> {
    let sid_root = format!("/Mediapartners/{DEMO_ACCOUNT_SID}");

    tour.heading(
        "400 Bad Request: a validation error",
        "the emulated API checks the form fields of POST /Actions",
    );
    let client = tour.build(tour.client())?;
    tour.call(
        "POST /Actions with CampaignId=abc and no ActionTrackerId or OrderId",
        &client,
        Request::post("/Actions").form([("CampaignId", "abc")]),
    )
    .await;

    tour.heading(
        "401 Unauthorized: a wrong auth token",
        "the emulated API checks HTTP Basic credentials",
    );
    let client = tour.build(tour.client().auth_token("not-the-token"))?;
    tour.call("GET /Campaigns", &client, Request::get("/Campaigns"))
        .await;

    tour.heading(
        "403 Forbidden, Spring style",
        "the emulated API answers /Reports with a Spring-style 403",
    );
    let client = tour.build(tour.client())?;
    tour.call(
        "GET /Reports/partner_action_listing",
        &client,
        Request::get("/Reports/partner_action_listing"),
    )
    .await;

    tour.heading("404 Not Found", "the emulated API has no campaign 999999");
    tour.call(
        "GET /Campaigns/999999",
        &client,
        Request::get("/Campaigns/999999"),
    )
    .await;

    tour.heading(
        "405 Method Not Allowed",
        "the emulated API lists campaigns but does not delete the list",
    );
    tour.call("DELETE /Campaigns", &client, Request::delete("/Campaigns"))
        .await;

    tour.heading(
        "409 Conflict",
        "scripted: 409 with {\"Status\":\"ERROR\",\"Message\":\"Contract decision already recorded\"}",
    );
    tour.script(
        "/Contracts/77/Accept",
        "PUT",
        1,
        Fault::raw(
            409,
            "application/json",
            r#"{"Status":"ERROR","Message":"Contract decision already recorded"}"#,
        ),
    );
    tour.call(
        "PUT /Contracts/77/Accept",
        &client,
        Request::put("/Contracts/77/Accept"),
    )
    .await;

    tour.heading(
        "429 with Retry-After: 1",
        "scripted: 429 with Retry-After: 1 once, then the normal answer",
    );
    tour.script(
        "/Campaigns",
        "GET",
        1,
        Fault::raw(
            429,
            "application/json",
            r#"{"Status":"ERROR","Message":"Too many requests"}"#,
        )
        .header("Retry-After", "1"),
    );
    tour.call(
        "GET /Campaigns?PageSize=2",
        &client,
        Request::get("/Campaigns").query("PageSize", "2"),
    )
    .await;

    tour.heading(
        "429 whose wait is too long: fail fast",
        "scripted: 429 with Retry-After: 3600 (the client may wait at most 5 s here)",
    );
    tour.script(
        "/Campaigns",
        "GET",
        1,
        Fault::raw(
            429,
            "application/json",
            r#"{"Status":"ERROR","Message":"Hourly quota reached"}"#,
        )
        .header("Retry-After", "3600"),
    );
    tour.call("GET /Campaigns", &client, Request::get("/Campaigns"))
        .await;

    tour.heading(
        "pacing: Remaining: 0",
        "scripted: a 200 whose headers say X-RateLimit-Remaining: 0, resetting in 1 s; then \
         one resetting in 3600 s",
    );
    let client = tour.build(tour.client())?;
    let exhausted = |reset: &str| {
        Fault::raw(200, "application/json", r#"{"Status":"OK"}"#)
            .header("X-RateLimit-Limit", "1000")
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", reset)
    };
    tour.script("/Campaigns/1000", "GET", 1, exhausted("1"));
    tour.call(
        "GET /Campaigns/1000 (the answer says the limit is used up for 1 s)",
        &client,
        Request::get("/Campaigns/1000"),
    )
    .await;
    tour.call(
        "GET /Campaigns/1001 on the same client: held until the reset, not sent into a 429",
        &client,
        Request::get("/Campaigns/1001"),
    )
    .await;
    tour.script("/Campaigns/1000", "GET", 1, exhausted("3600"));
    tour.call(
        "GET /Campaigns/1000 (now the limit is used up for an hour)",
        &client,
        Request::get("/Campaigns/1000"),
    )
    .await;
    tour.call(
        "GET /Campaigns/1001 on the same client: nothing is sent; fail fast",
        &client,
        Request::get("/Campaigns/1001"),
    )
    .await;

    tour.heading(
        "500, 502, 503, 504: retried, then success",
        "scripted: 500, then 502, then 503 (HTML), then 504, then the normal answer",
    );
    let client = tour.build(
        tour.client().retry_policy(
            RetryPolicy::new()
                .with_max_attempts(5)
                .with_initial_backoff(Duration::from_millis(50)),
        ),
    )?;
    tour.script("/Campaigns", "GET", 1, Fault::status(500));
    tour.script("/Campaigns", "GET", 1, Fault::status(502));
    tour.script(
        "/Campaigns",
        "GET",
        1,
        Fault::raw(
            503,
            "text/html",
            "<html><body>Service Unavailable</body></html>",
        ),
    );
    tour.script("/Campaigns", "GET", 1, Fault::status(504));
    tour.call(
        "GET /Campaigns?PageSize=2 (5 attempts allowed)",
        &client,
        Request::get("/Campaigns").query("PageSize", "2"),
    )
    .await;

    tour.heading(
        "a POST after a 500 is not retried",
        "scripted: 500 on POST /Conversions",
    );
    let client = tour.build(tour.client())?;
    tour.script(
        "/Conversions",
        "POST",
        1,
        Fault::raw(500, "text/plain", "Internal Server Error"),
    );
    tour.call(
        "POST /Conversions (a conversion: sending it twice could count it twice)",
        &client,
        Request::post("/Conversions").form([
            ("CampaignId", "1000"),
            ("ActionTrackerId", "12345"),
            ("OrderId", "A-1"),
        ]),
    )
    .await;

    tour.heading(
        "an idempotent POST is retried",
        "scripted: 503 once on POST /Actions, then the normal answer",
    );
    tour.script("/Actions", "POST", 1, Fault::status(503));
    tour.call(
        "POST /Actions marked idempotent (as `impact api --idempotent`)",
        &client,
        Request::post("/Actions")
            .form([
                ("CampaignId", "1000"),
                ("ActionTrackerId", "12345"),
                ("OrderId", "A-2"),
            ])
            .idempotent(true),
    )
    .await;

    tour.heading(
        "200 OK with Status: ERROR in the body",
        "scripted: 200 with {\"Status\":\"ERROR\",\"Message\":\"Not permitted to run report ...\"}",
    );
    tour.script(
        "/Reports/partner_performance",
        "GET",
        1,
        Fault::raw(
            200,
            "application/json",
            r#"{"Status":"ERROR","Message":"Not permitted to run report partner_performance"}"#,
        ),
    );
    tour.call(
        "GET /Reports/partner_performance",
        &client,
        Request::get("/Reports/partner_performance"),
    )
    .await;

    tour.heading(
        "a timeout",
        "scripted: the answer is delayed by 2 s, twice; each attempt may take 300 ms",
    );
    let client = tour.build(
        tour.client().retry_policy(
            RetryPolicy::new()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(50))
                .with_attempt_timeout(Duration::from_millis(300)),
        ),
    )?;
    tour.script(
        "/Campaigns",
        "GET",
        2,
        Fault::raw(200, "application/json", r#"{"Campaigns":[]}"#).delay(Duration::from_secs(2)),
    );
    tour.call("GET /Campaigns", &client, Request::get("/Campaigns"))
        .await;

    tour.heading(
        "a reset in the middle of the body",
        "scripted: a 200 that resets the connection after 16 body bytes, once",
    );
    let client = tour.build(tour.client())?;
    tour.script(
        "/Campaigns",
        "GET",
        1,
        Fault::raw(
            200,
            "application/json",
            r#"{"@page":"1","@nextpageuri":"","Campaigns":[{"Id":"1000"},{"Id":"1001"}]}"#,
        )
        .misbehave(Misbehaviour::ResetAfterBodyBytes(16)),
    );
    tour.call(
        "GET /Campaigns?PageSize=2",
        &client,
        Request::get("/Campaigns").query("PageSize", "2"),
    )
    .await;

    tour.heading(
        "an HTML page from a gateway",
        "scripted: 502 with an HTML page, on every attempt",
    );
    tour.script(
        "/Ads",
        "GET",
        4,
        Fault::raw(
            502,
            "text/html",
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>\
             <p>The upstream server did not answer.</p></body></html>",
        ),
    );
    tour.call("GET /Ads", &client, Request::get("/Ads")).await;

    tour.heading(
        "an XML error body",
        "the emulated API answers in XML when XML is asked for (the API's default format)",
    );
    tour.call(
        "GET /Campaigns/999999 with Accept: application/xml (as `impact api --xml`)",
        &client,
        Request::get("/Campaigns/999999").format(Format::Xml),
    )
    .await;

    tour.heading(
        "pagination",
        "the emulated API lists 45 campaigns, 20 a page, with @nextpageuri links",
    );
    paginate(tour, &client, &sid_root).await;
    Ok(())
}

/// Follows the campaign list page by page, as `impact api /Campaigns --paginate` does.
async fn paginate(tour: &mut Tour, client: &Client, sid_root: &str) {
    use futures_util::TryStreamExt;

    tour.server.clear_requests();
    lock(&tour.events).clear();
    let started = Instant::now();
    let mut text = String::new();
    line(
        &mut text,
        "request",
        "GET /Campaigns, then every @nextpageuri",
    );
    let mut pages = std::pin::pin!(client.pages(Request::get("/Campaigns")));
    let mut summary = Vec::new();
    let mut total = 0;
    let ended = loop {
        match pages.try_next().await {
            Ok(Some(page)) => {
                total += page.items.len();
                let id = |index: usize| {
                    page.items
                        .get(index)
                        .and_then(|item| item.get("Id"))
                        .and_then(|id| id.as_str())
                        .unwrap_or("?")
                        .to_owned()
                };
                let next = page
                    .meta
                    .next()
                    .map(|uri| shorten(uri).replace(sid_root, ""))
                    .unwrap_or_else(|| "none: the last page".to_owned());
                summary.push(format!(
                    "page {}: {} items (Id {} to {}); next {}",
                    page.meta.page.unwrap_or(0),
                    page.items.len(),
                    id(0),
                    id(page.items.len().saturating_sub(1)),
                    next
                ));
            }
            Ok(None) => break None,
            Err(error) => break Some(error),
        }
    };
    tour.describe_exchange(&mut text);
    for (index, page) in summary.iter().enumerate() {
        line(&mut text, if index == 0 { "pages" } else { "" }, page);
    }
    match ended {
        None => line(
            &mut text,
            "result",
            &format!(
                "{total} items in {:.2} s -> `impact api --paginate` prints one JSON object per \
                 line and exits 0",
                started.elapsed().as_secs_f64()
            ),
        ),
        Some(error) => describe_error(&mut text, &error, started.elapsed()),
    }
    print(&text);
}
