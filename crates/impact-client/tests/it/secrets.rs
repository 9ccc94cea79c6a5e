//! Secrets (project issue 6): the token, its Basic-auth encoding and its URL encoding appear in
//! no log line of the whole suite traced at `TRACE`, and in no `Debug` or `Display` of any
//! error, response, client or builder, whatever the server did.
//!
//! The whole-suite check runs this test binary again in a child process, with every other test
//! (the 1,000-call load rounds included), and a global `TRACE` subscriber that the shared
//! helpers install (see [`trace_to_file_if_asked`]) writing every line to a file that is read
//! back here.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use impact_client::{Client, Request, RetryPolicy};
use impact_mock::{
    DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, Fault, Misbehaviour, MockServer, Quota, RequestMatch,
};

use crate::redaction::base64;

/// Names the file the child process traces into.
const TRACE_FILE_ENV: &str = "IMPACT_CLIENT_TRACE_FILE";

/// A token with characters that URL and Basic encodings change, so that every encoded form
/// of it differs from the plain one and each is looked for.
const TOKEN: &str = "tok/Sq9+Zr7=Wv2:Lm5";

/// Installs, once per process and only in the child process of the whole-suite check, a
/// global subscriber that writes every event and span of every level to the trace file. The
/// shared helpers of this test binary call it, so that every test that builds a client or a
/// mock is traced from then on.
pub(crate) fn trace_to_file_if_asked() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let Some(path) = std::env::var_os(TRACE_FILE_ENV) else {
            return;
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("the trace file opens");
        let file = &*Box::leak(Box::new(Mutex::new(file)));
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || TraceWriter(file))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    });
}

/// Writes trace lines to the shared file.
struct TraceWriter(&'static Mutex<std::fs::File>);

impl Write for TraceWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().expect("not poisoned").flush()
    }
}

/// Every form a token can leak in: as is, percent-encoded, and inside Basic credentials
/// (unpadded, so that a prefix of the encoding counts).
pub(crate) fn forms(sid: &str, token: &str) -> Vec<String> {
    let percent: String = token
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    vec![
        token.to_owned(),
        percent,
        base64(&format!("{sid}:{token}")),
        base64(token),
    ]
}

fn check(label: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{label} shows a secret ({secret}): {text}"
        );
    }
}

#[test]
fn the_whole_suite_traced_at_trace_level_never_shows_the_token() {
    if std::env::var_os(TRACE_FILE_ENV).is_some() {
        // In the child: the parent below does the checking.
        return;
    }
    let file = format!("impact-client-trace-{}.log", std::process::id());
    let path = std::env::temp_dir().join(file);
    let _ = std::fs::remove_file(&path);
    let _alone = crate::load::CHILD_PROCESS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let exe = std::env::current_exe().expect("the test binary");
    // The redaction test installs its own global subscriber: it runs in the ordinary pass. The
    // load rounds run here too, traced: their own child process inherits the trace file.
    let output = std::process::Command::new(exe)
        .args([
            "--skip",
            "secrets::",
            "--skip",
            "redaction::",
            "--test-threads=2",
        ])
        .env(TRACE_FILE_ENV, &path)
        .output()
        .expect("the child suite runs");
    let trace = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the traced suite failed:\n{stdout}\n{stderr}"
    );

    // The trace is real: every attempt of every test is in it, down to TRACE level, the load
    // rounds' included (a thousand calls at each of their paths).
    let lines = trace.lines().count();
    assert!(lines > 1_000, "only {lines} trace lines");
    assert!(trace.contains("/Load/6/999"), "the load rounds were traced");
    for needle in ["impact_call", "attempt", "TRACE", "DEBUG"] {
        assert!(trace.contains(needle), "the trace has no {needle:?}");
    }
    let mut secrets = forms(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN);
    secrets.extend(forms(DEMO_ACCOUNT_SID, "tok-Secret9Zq7Wv2Lm5Xr8Pn1"));
    // The echoing servers of `echo` put this one in bodies and headers.
    secrets.extend(forms(DEMO_ACCOUNT_SID, crate::echo::TOKEN));
    check("the suite's trace", &trace, &secrets);
    check("the suite's output", &format!("{stdout}{stderr}"), &secrets);
}

/// Everything printable a program could show after the server misbehaved in each way (and
/// echoed the token).
#[tokio::test]
async fn no_error_response_or_client_shows_the_token_whatever_the_server_did() {
    let secrets = forms(DEMO_ACCOUNT_SID, TOKEN);
    let server = MockServer::builder()
        .account(DEMO_ACCOUNT_SID, TOKEN)
        .quota(Quota::disabled())
        .start()
        .await
        .expect("a port");
    let builder = Client::builder()
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(TOKEN)
        .base_url(server.base_url())
        .random_seed(7)
        .clock(Arc::new(crate::manual_clock()))
        .retry_policy(
            RetryPolicy::new()
                .with_max_attempts(2)
                // Real, and short: the headers that never end wait it out.
                .with_attempt_timeout(Duration::from_millis(300))
                .with_initial_backoff(Duration::from_millis(10)),
        );
    let mut printed = vec![format!("{builder:?}")];
    let client = builder.build().expect("a valid client");
    printed.push(format!("{client:?}"));

    let other_host = format!(
        "http://localhost:{}/Mediapartners/{DEMO_ACCOUNT_SID}/Ads",
        server.addr().port()
    );
    let faults = [
        Fault::status(401),
        Fault::status(403),
        Fault::status(500),
        Fault::raw(429, "text/plain", "slow").header("Retry-After", "3600"),
        Fault::raw(429, "text/plain", "slow").header("X-RateLimit-Reset", "garbage"),
        Fault::reset_before_headers(),
        Fault::close_before_headers(),
        Fault::status(200).misbehave(Misbehaviour::EndlessHeaders),
        Fault::raw(200, "application/json", vec![b' '; 100]).misbehave(Misbehaviour::BrokenChunked),
        Fault::raw(200, "application/json", "{}").misbehave(Misbehaviour::ContentLengthLonger(9)),
        Fault::raw(400, "application/json", &b"{\"Message\":\"\xff\"}"[..]),
        // A server that echoes what it was sent: redacted in the error, and a success's
        // `Debug` shows no header value and no body.
        Fault::raw(400, "text/plain", format!("you sent {TOKEN}")),
        Fault::raw(200, "text/plain", format!("you sent {TOKEN}")).header("X-Echo", TOKEN),
        Fault::redirect(302, &other_host),
        Fault::redirect(302, "http://localhost:1/elsewhere"),
    ];
    for fault in faults {
        server.push_fault(RequestMatch::any(), 2, fault);
        for request in [
            Request::get("/Campaigns"),
            Request::post("/Conversions").form([("OrderId", "1")]),
        ] {
            let result = client.send(request).await;
            match result {
                Ok(response) => printed.push(format!("{response:?}")),
                Err(error) => {
                    // An echo of the token is redacted in everything the error keeps, so every
                    // error is printed whole (`echo` checks each place in turn).
                    printed.push(format!("{error:?}"));
                    printed.push(error.to_string());
                    printed.push(format!("{:?}", error.url()));
                    let mut source = std::error::Error::source(&error);
                    while let Some(cause) = source {
                        printed.push(format!("{cause:?} {cause}"));
                        source = cause.source();
                    }
                }
            }
        }
        server.clear_faults();
    }
    // Refused configurations must not repeat the token either.
    let refusals = [
        Client::builder()
            .account_sid(DEMO_ACCOUNT_SID)
            .auth_token(format!("{TOKEN} with a space"))
            .base_url(server.base_url()),
        Client::builder()
            .account_sid(DEMO_ACCOUNT_SID)
            .auth_token(TOKEN)
            .base_url(format!("http://{DEMO_ACCOUNT_SID}:{TOKEN}@127.0.0.1:1")),
        Client::builder()
            .account_sid(DEMO_ACCOUNT_SID)
            .auth_token(TOKEN)
            .base_url(format!("https://api.impact.com/?token={TOKEN}")),
        Client::builder()
            .account_sid(DEMO_ACCOUNT_SID)
            .auth_token(TOKEN)
            .base_url("http://example.com"),
    ];
    for builder in refusals {
        printed.push(format!("{builder:?}"));
        let error = builder.build().expect_err("refused");
        printed.push(format!("{error:?} {error}"));
    }
    server.shutdown().await;
    assert!(printed.len() > 40, "{}", printed.len());
    for text in &printed {
        check("a Debug or Display", text, &secrets);
    }
}

#[test]
fn the_check_finds_every_form_of_a_leak() {
    let secrets = forms(DEMO_ACCOUNT_SID, TOKEN);
    assert_eq!(secrets[1], "tok%2FSq9%2BZr7%3DWv2%3ALm5");
    for secret in &secrets {
        let leaked = format!("header: {secret}");
        let result = std::panic::catch_unwind(|| check("a leak", &leaked, &secrets));
        assert!(result.is_err(), "{secret} went unnoticed");
    }
}
