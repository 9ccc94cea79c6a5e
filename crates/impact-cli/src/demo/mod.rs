//! `impact demo`: a guided tour of every error class (SPEC 6.4), against the mock started in
//! this process and with the real client, showing for each call what the server did, what
//! the client decided and why, and how `impact api` would end.
//!
//! The tour is data: the table of steps in [`steps`](mod@steps) says what each step demonstrates, what the
//! server is told to do, the client it uses and the calls it makes; one loop here drives every
//! row. The client's decisions are read from its own `tracing` events (one per attempt, with
//! the outcome, the decision, the delay, where the delay came from and the budget left),
//! captured by a layer installed for the demo; the server's side comes from the mock's request
//! log.

mod steps;

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use clap::Args;
use impact_client::{Client, ClientBuilder, Error, Request, Response, RetryPolicy};
use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, MockServer, RequestMatch};
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

use crate::exit::Exit;
use crate::report::{InputInfo, render_human};
use steps::{Action, STEPS, Scripted, Step};

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

    /// Runs one step of the table: its heading, then each call with what it scripts first.
    async fn step(&mut self, step: &Step) -> Result<(), Error> {
        self.heading(step.title, step.server);
        let client = (step.client)(self.client()).build()?;
        for call in step.calls {
            for scripted in (call.script)() {
                self.script(scripted);
            }
            match call.action {
                Action::Send(request) => self.call(call.says, &client, request()).await,
                Action::Paginate(request) => self.paginate(call.says, &client, request()).await,
            }
        }
        Ok(())
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

    fn script(&self, scripted: Scripted) {
        let full = format!("/Mediapartners/{DEMO_ACCOUNT_SID}{}", scripted.path);
        let matching = RequestMatch::exact(&full).method(scripted.method);
        self.server
            .push_fault(matching, scripted.times, scripted.fault);
    }

    /// Forgets the requests and events of earlier calls.
    fn clear(&self) {
        self.server.clear_requests();
        lock(&self.events).clear();
    }

    /// Sends one request, then shows the server's log, the client's decisions and the end.
    async fn call(&mut self, what: &str, client: &Client, request: Request) {
        self.clear();
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
    match field("decision") {
        "success" => format!(
            "attempt {}: {} -> success",
            field("attempt"),
            field("status")
        ),
        "retry" => format!(
            "attempt {}: {} -> retry in {} ms, from {}{budget}",
            field("attempt"),
            field("outcome"),
            field("delay_ms"),
            delay_source(field("delay_source")),
        ),
        "give_up" => format!(
            "attempt {}: {} -> give up: {}{budget}",
            field("attempt"),
            field("outcome"),
            give_up_reason(field("give_up")),
        ),
        "hold" => format!(
            "before attempt {}: hold {} ms, from pacing: the last answer said Remaining: 0",
            field("attempt"),
            field("delay_ms"),
        ),
        _ => {
            let mut text = event.message.clone();
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

/// Every step of the table; an error here means a client could not be built, which would be
/// a bug.
async fn steps(tour: &mut Tour) -> Result<(), Error> {
    for step in STEPS {
        tour.step(step).await?;
    }
    Ok(())
}

impl Tour {
    /// Follows a list page by page, as `impact api --paginate` does, and shows each page.
    async fn paginate(&mut self, what: &str, client: &Client, request: Request) {
        self.clear();
        let started = Instant::now();
        let mut text = String::new();
        line(&mut text, "request", what);
        let (summary, total, ended) = follow_pages(client, request).await;
        self.describe_exchange(&mut text);
        for (index, page) in summary.iter().enumerate() {
            line(&mut text, if index == 0 { "pages" } else { "" }, page);
        }
        match ended {
            None => line(
                &mut text,
                "result",
                &format!(
                    "{total} items in {:.2} s -> `impact api --paginate` prints one JSON object \
                     per line and exits 0",
                    started.elapsed().as_secs_f64()
                ),
            ),
            Some(error) => describe_error(&mut text, &error, started.elapsed()),
        }
        print(&text);
    }
}

/// Every page of a list, one line each (its number, items, first and last Id, next link), the
/// number of items, and the error that stopped it, if any.
async fn follow_pages(client: &Client, request: Request) -> (Vec<String>, usize, Option<Error>) {
    use futures_util::TryStreamExt;

    let sid_root = format!("/Mediapartners/{DEMO_ACCOUNT_SID}");
    let mut pages = std::pin::pin!(client.pages(request));
    let mut summary = Vec::new();
    let mut total = 0;
    loop {
        let page = match pages.try_next().await {
            Ok(Some(page)) => page,
            Ok(None) => return (summary, total, None),
            Err(error) => return (summary, total, Some(error)),
        };
        total += page.items.len();
        // Partner campaigns (programs) carry `CampaignId` and no `Id`; other lists carry `Id`.
        let id = |index: usize| {
            page.items
                .get(index)
                .and_then(|item| item.get("Id").or_else(|| item.get("CampaignId")))
                .and_then(|id| id.as_str())
                .unwrap_or("?")
                .to_owned()
        };
        let next = page
            .meta
            .next()
            .map(|uri| shorten(uri).replace(&sid_root, ""))
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
}
