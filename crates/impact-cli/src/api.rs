//! `impact api`: calls the impact.com APIs from the command line, in the spirit of `gh api`
//! (SPEC 6.2), and maps every way the call can end to an exit code and a report.

use std::io::{self, IsTerminal};
use std::pin::pin;

use clap::{Args, ValueEnum};
use futures_util::TryStreamExt;
use impact_client::{ApiKind, Client, Error, ErrorKind, Format, Method, Request, Response};
use impact_errors::Report;
use serde::Serialize;

use crate::connect::{self, ConnectArgs, Credentials, QuotaStore, RetryArgs, SID_VAR, TOKEN_VAR};
use crate::exit::Exit;
use crate::report::{InputInfo, ReportJson, render_human};

/// Which API relative paths are rooted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ApiChoice {
    /// The Partner API, under `/Mediapartners/{SID}`.
    Partner,
    /// The Brand API, under `/Advertisers/{SID}`.
    Brand,
    /// The Agency API, under `/Agencies/{SID}`.
    Agency,
}

impl From<ApiChoice> for ApiKind {
    fn from(choice: ApiChoice) -> ApiKind {
        match choice {
            ApiChoice::Partner => ApiKind::Partner,
            ApiChoice::Brand => ApiKind::Brand,
            ApiChoice::Agency => ApiKind::Agency,
        }
    }
}

/// The arguments of `impact api`.
///
/// ```text
/// impact api /Campaigns
/// impact api /Actions -f ActionStatus=APPROVED --paginate | jq .Id
/// impact api /Conversions -X POST -f CampaignId=1000 -f OrderId=A-1 --json-errors
/// ```
#[derive(Debug, Clone, Args)]
pub(crate) struct ApiArgs {
    /// The resource path, such as `/Campaigns`, relative to the account root; a path that
    /// starts with `/Mediapartners/`, `/Advertisers/` or `/Agencies/` is used as given.
    #[arg(value_name = "PATH")]
    path: String,

    /// The HTTP method.
    #[arg(short = 'X', long = "method", value_name = "METHOD", default_value = "GET", value_parser = parse_method)]
    method: Method,

    /// A field: a query parameter for GET and HEAD, a form-urlencoded body field otherwise.
    /// Never changes the method. Repeatable.
    #[arg(short = 'f', long = "field", value_name = "KEY=VALUE", value_parser = parse_field)]
    fields: Vec<(String, String)>,

    /// A request header that is added, or replaces the client's own (such as `Accept`).
    /// Repeatable. `Authorization` cannot be set: the credentials come from the environment.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,

    /// Follow the next-page links and print every item of every page as one compact JSON
    /// object per line.
    #[arg(long, conflicts_with = "include")]
    paginate: bool,

    /// Ask for XML (`Accept: application/xml`) instead of JSON.
    #[arg(long)]
    xml: bool,

    /// Print the status line and the response headers, then a blank line, before the body.
    #[arg(short = 'i', long)]
    include: bool,

    /// On failure, make the last line of stderr one JSON object describing it.
    #[arg(long = "json-errors")]
    json_errors: bool,

    #[command(flatten)]
    connect: ConnectArgs,

    /// Which API relative paths are rooted in.
    #[arg(long, value_enum, default_value = "partner")]
    api: ApiChoice,

    /// Let a POST be retried like a GET (the API has no idempotency keys: a retried POST may
    /// be processed twice).
    #[arg(long)]
    idempotent: bool,

    #[command(flatten)]
    retry: RetryArgs,
}

/// Parses `-X`: an HTTP method token, upper-cased so that `-X post` means POST.
fn parse_method(text: &str) -> Result<Method, String> {
    let upper = text.trim().to_ascii_uppercase();
    if upper.is_empty() {
        return Err("the method must not be empty".into());
    }
    Method::from_bytes(upper.as_bytes()).map_err(|_| format!("{text:?} is not an HTTP method"))
}

/// Parses `-f KEY=VALUE`; the value may be empty and may itself contain `=`.
fn parse_field(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some(("", _)) => Err(format!("{text:?} has an empty key")),
        Some((key, value)) => Ok((key.to_owned(), value.to_owned())),
        None => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

/// Parses `-H 'Name: value'`. The value is never repeated in a message: it may be a secret.
fn parse_header(text: &str) -> Result<(String, String), String> {
    let Some((name, value)) = text.split_once(':') else {
        return Err("a header must be given as 'Name: value'".into());
    };
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        return Err(format!("{name:?} is not a valid header name"));
    }
    if name.eq_ignore_ascii_case("authorization") {
        return Err(format!(
            "the authorization header is set from {SID_VAR} and {TOKEN_VAR}"
        ));
    }
    let value = value.trim();
    if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        return Err(format!(
            "the value of header {name} contains control characters"
        ));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// Whether a byte may appear in an HTTP token (RFC 9110 section 5.6.2).
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// How a call ended, decided inside the runtime and reported after it has stopped, so that
/// no log line can follow the final report on stderr.
enum Ending {
    /// Everything was printed.
    Done,
    /// The client refused the configuration or the request before sending anything.
    Refused(Error),
    /// The call failed.
    Failed(Error),
    /// Stdout could not be written (other than a closed pipe).
    Output(io::Error),
}

/// Runs `impact api`.
pub(crate) fn run(args: ApiArgs) -> Exit {
    let ending = connect::run_connected(args.connect.quota_store_url(), |credentials, store| {
        call(&args, credentials, store)
    });
    match ending {
        Ok(ending) => finish(&args, ending),
        Err(message) => usage(&args, &message),
    }
}

/// The call itself: builds the client and the request, sends it, prints the body or items.
async fn call(args: &ApiArgs, credentials: Credentials, store: QuotaStore) -> Ending {
    let builder = Client::builder()
        .api(args.api.into())
        .account_sid(credentials.sid)
        .auth_token(credentials.token)
        .base_url(args.connect.base_url.clone())
        .format(if args.xml { Format::Xml } else { Format::Json })
        .retry_policy(args.retry.policy());
    let client = match connect::with_quota_store(builder, store, "api").build() {
        Ok(client) => client,
        Err(error) => return Ending::Refused(error),
    };
    let request = build_request(args);
    if args.paginate {
        paginate(&client, request).await
    } else {
        match client.send(request).await {
            Ok(response) => print_response(&response, args.include),
            Err(error) => ending_for(error),
        }
    }
}

/// The request the flags describe.
fn build_request(args: &ApiArgs) -> Request {
    let mut request = Request::new(args.method.clone(), args.path.trim());
    let pairs = args.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    if matches!(args.method, Method::GET | Method::HEAD) {
        request = request.query_pairs(pairs);
    } else if !args.fields.is_empty() {
        request = request.form(pairs);
    }
    for (name, value) in &args.headers {
        request = request.header(name, value);
    }
    if args.idempotent {
        request = request.idempotent(true);
    }
    request
}

/// The exit code a failed call ends with (SPEC 6): 1 for an API error (and a success body
/// that could not be used), 2 for a refused configuration or request, 3 for a transport
/// failure or timeout, 4 for a rate limit beyond the allowed wait.
pub(crate) fn exit_for(error: &Error) -> Exit {
    match error.kind() {
        ErrorKind::InvalidConfig | ErrorKind::InvalidRequest => Exit::Usage,
        ErrorKind::RateLimited => Exit::RateLimited,
        ErrorKind::Timeout | ErrorKind::Connection | ErrorKind::Store => Exit::Transport,
        _ => Exit::ApiError,
    }
}

/// Sorts a client error: those found before anything was sent are refusals (exit 2).
fn ending_for(error: Error) -> Ending {
    match error.kind() {
        ErrorKind::InvalidConfig | ErrorKind::InvalidRequest => Ending::Refused(error),
        _ => Ending::Failed(error),
    }
}

/// Prints a successful response: optionally the status line and headers, then the body
/// exactly as received.
fn print_response(response: &Response, include: bool) -> Ending {
    let mut out = Vec::new();
    if include {
        out.extend_from_slice(format!("HTTP/1.1 {}\n", response.status()).as_bytes());
        for (name, value) in response.headers() {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
    }
    out.extend_from_slice(response.bytes());
    write_stdout(&out)
}

/// Follows the pages of a list and prints each item as one line of compact JSON, page by
/// page, so that `| jq` sees items while later pages are still being fetched.
async fn paginate(client: &Client, request: Request) -> Ending {
    let progress = io::stderr().is_terminal();
    let mut pages = pin!(client.pages(request));
    let mut count: u64 = 0;
    let mut page_number: u64 = 0;
    loop {
        let page = match pages.try_next().await {
            Ok(Some(page)) => page,
            Ok(None) => return Ending::Done,
            Err(error) => return ending_for(error),
        };
        page_number += 1;
        let mut out = Vec::new();
        for item in &page.items {
            // Serialising a parsed JSON value into memory cannot fail.
            if serde_json::to_writer(&mut out, item).is_ok() {
                out.push(b'\n');
                count += 1;
            }
        }
        match write_stdout(&out) {
            Ending::Done => {}
            // The reader went away: stop fetching pages nobody will read.
            Ending::Output(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                return Ending::Done;
            }
            other => return other,
        }
        if progress {
            let of = page
                .meta
                .num_pages
                .map(|n| format!(" of {n}"))
                .unwrap_or_default();
            crate::say!("impact api: page {page_number}{of}, {count} items so far");
        }
    }
}

/// Writes bytes to stdout and flushes them. A closed pipe (`| head`) ends the command
/// quietly; any other failure is reported.
fn write_stdout(bytes: &[u8]) -> Ending {
    match crate::output::stdout(bytes) {
        Ok(()) => Ending::Done,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ending::Done,
        Err(error) => Ending::Output(error),
    }
}

/// The `--json-errors` object for exit 1 and 4: the `explain --json` report (or null fields
/// when there was none), `attempts`, and for exit 4 `retry_after_secs`.
#[derive(Debug, Serialize)]
struct ReportLine<'a> {
    #[serde(flatten)]
    report: MaybeReport<'a>,
    attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_secs: Option<Option<u64>>,
}

/// A report, or the same keys all `null` (with `errors` an empty array, as SPEC 6.1 wants it
/// always an array).
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum MaybeReport<'a> {
    Report(ReportJson<'a>),
    Missing(NullReport),
}

/// The keys of [`ReportJson`] with nothing known.
#[derive(Debug, Default, Serialize)]
struct NullReport {
    http_status: Option<u16>,
    is_error: Option<bool>,
    class: Option<&'static str>,
    retryable: Option<bool>,
    format: Option<&'static str>,
    shape: Option<&'static str>,
    status: Option<&'static str>,
    message: Option<&'static str>,
    errors: [(); 0],
}

/// The `--json-errors` object for exit 3 (and for the failures that have no report).
#[derive(Debug, Serialize)]
pub(crate) struct FailureLine<'a> {
    pub(crate) error: &'a str,
    pub(crate) message: String,
    pub(crate) attempts: u32,
}

/// Reports how the call ended on stderr and returns the exit code.
fn finish(args: &ApiArgs, ending: Ending) -> Exit {
    match ending {
        Ending::Done => Exit::Success,
        Ending::Refused(error) => usage(args, &error.to_string()),
        Ending::Output(error) => {
            crate::say!("impact api: cannot write to stdout: {error}");
            Exit::Usage
        }
        Ending::Failed(error) => report_failure(args, &error),
    }
}

/// A usage or configuration error: a message, and with `--json-errors` a JSON line.
fn usage(args: &ApiArgs, message: &str) -> Exit {
    UsageError {
        command: "impact api",
        json_errors: args.json_errors,
    }
    .report(message)
}

/// How a command reports a usage or configuration error (`api` and `sync` alike).
pub(crate) struct UsageError<'a> {
    /// The command's name, which starts the message.
    pub(crate) command: &'a str,
    /// Whether `--json-errors` asked for a JSON line too.
    pub(crate) json_errors: bool,
}

impl UsageError<'_> {
    /// Says `message` on stderr (and as a JSON line when asked) and gives the usage exit code.
    pub(crate) fn report(&self, message: &str) -> Exit {
        crate::say!("{}: {message}", self.command);
        if self.json_errors {
            crate::output::json_line(&FailureLine {
                error: "usage",
                message: message.to_owned(),
                attempts: 0,
            });
        }
        Exit::Usage
    }
}

/// Explains a failed call on stderr, with the JSON line last when asked for.
fn report_failure(args: &ApiArgs, error: &Error) -> Exit {
    let failure = Failure {
        prefix: format!("impact api: {}", args.method),
        path: &args.path,
        json_errors: args.json_errors,
        max_wait: args.retry.max_wait,
    };
    report_client_failure(&failure, error)
}

/// How a command describes a failed call.
pub(crate) struct Failure<'a> {
    /// What starts each line: `impact api: GET`, `impact sync: Actions: GET`.
    pub(crate) prefix: String,
    /// The path asked for, when the error carries no URL.
    pub(crate) path: &'a str,
    /// Whether the last line of stderr is a JSON object.
    pub(crate) json_errors: bool,
    /// `--max-wait`, named when a wait was longer.
    pub(crate) max_wait: std::time::Duration,
}

/// Explains a failed call of the client on stderr (the `explain` report of the answer when
/// there is one), with the `--json-errors` line last when asked for, and gives the exit code.
pub(crate) fn report_client_failure(failure: &Failure<'_>, error: &Error) -> Exit {
    let Failure {
        prefix,
        path,
        json_errors,
        ..
    } = failure;
    let json_errors = *json_errors;
    let attempts = error.attempts();
    let tries = match attempts {
        1 => "1 attempt".to_owned(),
        n => format!("{n} attempts"),
    };
    let target = error.url().unwrap_or(path);
    let report = error.api_error();
    let info = InputInfo {
        bytes_read: None,
        truncated: false,
        content_type: None,
    };
    match error.kind() {
        ErrorKind::Api => {
            crate::say!("{prefix} {target}: the API answered with an error after {tries}");
            match report {
                Some(report) => crate::output::stderr(&render_human(report, &info)),
                None => crate::say!("{prefix} {target}: {error}"),
            }
            if json_errors {
                crate::output::json_line(&report_line(report, attempts, None));
            }
        }
        ErrorKind::RateLimited => {
            let secs = error
                .retry_after()
                .map(|after| after.as_secs_f64().ceil() as u64);
            let when = match secs {
                Some(secs) => format!("come back in {secs} s"),
                None => "come back later".to_owned(),
            };
            crate::say!(
                "{prefix} {target}: rate limited after {tries}: {}; {when} (the wait is longer \
                 than --max-wait {} s, so it was not slept)",
                error.message(),
                failure.max_wait.as_secs_f64()
            );
            if let Some(report) = report {
                crate::output::stderr(&render_human(report, &info));
            }
            if json_errors {
                crate::output::json_line(&report_line(report, attempts, Some(secs)));
            }
        }
        _ => {
            // No answer (a timeout, a broken connection), or a success body that could not be
            // used (a page that is not a list, a body over the success cap): the error says it
            // all, and its kind names it on the JSON line.
            crate::say!("{prefix} {target}: {error}");
            if json_errors {
                crate::output::json_line(&FailureLine {
                    error: error.kind().as_str(),
                    message: error.to_string(),
                    attempts,
                });
            }
        }
    }
    exit_for(error)
}

fn report_line(
    report: Option<&Report>,
    attempts: u32,
    retry: Option<Option<u64>>,
) -> ReportLine<'_> {
    ReportLine {
        report: match report {
            Some(report) => MaybeReport::Report(ReportJson::new(report)),
            None => MaybeReport::Missing(NullReport::default()),
        },
        attempts,
        retry_after_secs: retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::{parse_backoff_ms, parse_max_attempts, parse_max_wait, parse_timeout};
    use std::time::Duration;

    fn check<T: PartialEq + std::fmt::Debug>(
        parse: fn(&str) -> Result<T, String>,
        input: &str,
        expect: Result<T, &str>,
    ) {
        assert_eq!(parse(input), expect.map_err(str::to_owned), "{input:?}");
    }

    #[test]
    fn attempts_are_bounded() {
        check(parse_max_attempts, "1", Ok(1));
        check(parse_max_attempts, "20", Ok(20));
        check(
            parse_max_attempts,
            "0",
            Err("\"0\" is out of range: attempts must be 1 to 20"),
        );
        check(
            parse_max_attempts,
            "21",
            Err("\"21\" is out of range: attempts must be 1 to 20"),
        );
        check(
            parse_max_attempts,
            "-1",
            Err("\"-1\" is out of range: attempts must be 1 to 20"),
        );
    }

    #[test]
    fn backoff_is_bounded() {
        check(parse_backoff_ms, "1", Ok(1));
        check(parse_backoff_ms, "20000", Ok(20_000));
        check(
            parse_backoff_ms,
            "0",
            Err("\"0\" is out of range: the backoff must be 1 to 20000 ms"),
        );
        check(
            parse_backoff_ms,
            "20001",
            Err("\"20001\" is out of range: the backoff must be 1 to 20000 ms"),
        );
    }

    #[test]
    fn seconds_are_bounded() {
        check(parse_timeout, "30", Ok(Duration::from_secs(30)));
        check(parse_timeout, "0.25", Ok(Duration::from_millis(250)));
        let timeout_error = |t: &str| {
            format!("{t:?} is out of range: the timeout must be above 0 and at most 3600 seconds")
        };
        for bad in ["0", "-1", "NaN", "inf", "3601", "abc", ""] {
            assert_eq!(parse_timeout(bad), Err(timeout_error(bad)), "{bad:?}");
        }
        check(parse_max_wait, "0", Ok(Duration::ZERO));
        check(parse_max_wait, "86400", Ok(Duration::from_secs(86_400)));
        check(
            parse_max_wait,
            "86401",
            Err(
                "\"86401\" is out of range: the maximum wait must be 0 or more and at most 86400 seconds",
            ),
        );
    }

    #[test]
    fn fields_and_headers() {
        check(parse_field, "a=b", Ok(("a".into(), "b".into())));
        check(parse_field, "a=", Ok(("a".into(), String::new())));
        check(parse_field, "a=b=c", Ok(("a".into(), "b=c".into())));
        check(parse_field, "=b", Err("\"=b\" has an empty key"));
        check(parse_field, "ab", Err("\"ab\" is not KEY=VALUE"));
        check(
            parse_header,
            "IR-Version: 12",
            Ok(("IR-Version".into(), "12".into())),
        );
        check(
            parse_header,
            "Accept:application/xml",
            Ok(("Accept".into(), "application/xml".into())),
        );
        check(
            parse_header,
            "novalue",
            Err("a header must be given as 'Name: value'"),
        );
        check(
            parse_header,
            "Bad Name: x",
            Err("\"Bad Name\" is not a valid header name"),
        );
        check(
            parse_header,
            "authorization: Basic c2VjcmV0",
            Err("the authorization header is set from IMPACT_ACCOUNT_SID and IMPACT_AUTH_TOKEN"),
        );
        check(
            parse_header,
            "X-A: a\rb",
            Err("the value of header X-A contains control characters"),
        );
    }

    #[test]
    fn methods_are_tokens() {
        check(parse_method, "post", Ok(Method::POST));
        check(parse_method, "DELETE", Ok(Method::DELETE));
        check(parse_method, "", Err("the method must not be empty"));
        check(parse_method, "GE T", Err("\"GE T\" is not an HTTP method"));
    }

    #[test]
    fn report_lines_keep_every_key() {
        let line = serde_json::to_string(&report_line(None, 3, Some(Some(240)))).expect("json");
        assert_eq!(
            line,
            r#"{"http_status":null,"is_error":null,"class":null,"retryable":null,"format":null,"shape":null,"status":null,"message":null,"errors":[],"attempts":3,"retry_after_secs":240}"#
        );
        let line = serde_json::to_string(&report_line(None, 1, Some(None))).expect("json");
        assert!(
            line.ends_with(r#""attempts":1,"retry_after_secs":null}"#),
            "{line}"
        );
        let report = impact_codec::decode(
            br#"{"Status":"ERROR","Message":"Validation Failed"}"#,
            impact_errors::StatusCode::from_u16(400).ok(),
        );
        let line = serde_json::to_string(&report_line(Some(&report), 1, None)).expect("json");
        assert_eq!(
            line,
            r#"{"http_status":400,"is_error":true,"class":"bad_request","retryable":false,"format":"json","shape":"envelope","status":"ERROR","message":"Validation Failed","errors":[],"attempts":1}"#
        );
    }
}
