//! Redaction (SPEC 4): the token appears in no trace line at any level, no error's `Debug` or
//! `Display`, and no `Debug` of the client, its builder or a response.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::TryStreamExt;
use impact_client::{Client, Request, RetryPolicy};
use impact_mock::{DEMO_ACCOUNT_SID, Fault, MockServer, Quota, RequestMatch};

const TOKEN: &str = "tok-Secret9Zq7Wv2Lm5Xr8Pn1";

/// A writer that appends to a shared buffer, for capturing the trace.
#[derive(Clone, Default)]
pub(crate) struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("not poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every form the secret could leak in.
fn secrets() -> Vec<String> {
    let basic = base64(&format!("{DEMO_ACCOUNT_SID}:{TOKEN}"));
    vec![TOKEN.to_owned(), basic, base64(TOKEN)]
}

pub(crate) fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    // Padding is left off: a leaked prefix is a leak too.
    out
}

fn check(label: &str, text: &str) {
    for secret in secrets() {
        assert!(!text.contains(&secret), "{label} leaks the token: {text}");
    }
}

/// The global subscriber of this test binary, installed by the first caller: every event at
/// every level is written to one buffer.
///
/// Global, because tracing caches per-callsite interest process-wide: a scoped subscriber
/// alone would miss events whose callsites other tests registered first without one. With this
/// one installed every callsite stays enabled, so a test's scoped subscriber (the exchange
/// replays') sees all its thread's events too. Other tests' traces land in this buffer, which
/// only widens the check below.
pub(crate) fn global_capture() -> Capture {
    static CAPTURE: std::sync::OnceLock<Capture> = std::sync::OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let capture = Capture::default();
            let writer = capture.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish();
            // In the traced child run of `secrets.rs` its own global subscriber (to a file, at
            // TRACE) is already installed and keeps every callsite enabled just as well; this
            // buffer then stays empty, and the test that reads it is skipped there.
            let _ = tracing::subscriber::set_global_default(subscriber);
            capture
        })
        .clone()
}

#[test]
fn nothing_prints_the_token() {
    let capture = global_capture();
    // Real time over real sockets; the client's waits go through a manual clock.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut printed = Vec::new();
    runtime.block_on(async {
        let server = MockServer::builder()
            .account(DEMO_ACCOUNT_SID, TOKEN)
            .quota(Quota::per_window(1000, Duration::from_secs(3600)))
            .start()
            .await
            .expect("a port");
        let builder = Client::builder()
            .account_sid(DEMO_ACCOUNT_SID)
            .auth_token(TOKEN)
            .base_url(server.base_url())
            .clock(Arc::new(crate::manual_clock()))
            .retry_policy(RetryPolicy::new().with_max_wait(Duration::from_secs(5)));
        printed.push(format!("{builder:?}"));
        let client = builder.build().expect("a valid client");
        printed.push(format!("{client:?}"));

        let response = client.get("/Campaigns").await.expect("a success");
        printed.push(format!("{response:?}"));
        let items: Vec<_> = client
            .items(Request::get("/Campaigns"))
            .try_collect()
            .await
            .expect("pages");
        assert!(!items.is_empty());

        let faults = [
            Fault::status(401),
            Fault::status(503),
            Fault::raw(429, "text/plain", "slow").header("Retry-After", "600"),
            Fault::reset_before_headers(),
            Fault::redirect(302, "http://localhost:1/elsewhere"),
        ];
        for fault in faults {
            server.push_fault(RequestMatch::any(), 4, fault);
            if let Err(error) = client.get("/Campaigns").await {
                printed.push(format!("{error:?}"));
                printed.push(error.to_string());
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    printed.push(format!("{cause:?} {cause}"));
                    source = cause.source();
                }
            }
            server.clear_faults();
        }
        let refused = Client::builder()
            .account_sid(DEMO_ACCOUNT_SID)
            .auth_token(TOKEN)
            .base_url("http://example.com")
            .build()
            .expect_err("plain http");
        printed.push(format!("{refused:?} {refused}"));
        server.shutdown().await;
    });
    let trace = String::from_utf8_lossy(&capture.0.lock().expect("not poisoned")).into_owned();
    assert!(
        trace.contains("impact_call"),
        "the trace was captured: {trace}"
    );
    assert!(trace.contains("attempt"), "attempt events were captured");
    check("the trace", &trace);
    for text in &printed {
        check("a Debug or Display", text);
    }
    assert!(printed.len() >= 10, "{printed:?}");
}

#[test]
fn the_check_itself_finds_a_leak() {
    let leaked = format!("Authorization: Basic {}", secrets()[1]);
    let result = std::panic::catch_unwind(|| check("a leak", &leaked));
    assert!(result.is_err());
}
