//! A server that echoes the credentials (issue 11, SPEC 4): whatever the client keeps of an
//! error answer (the report's message, status, field errors and warnings, the excerpt; the
//! error's `Display`, `Debug` and sources) shows `<redacted>` where the token, its encodings or
//! the Basic credentials were, in JSON, XML and text bodies, across the excerpt's boundary,
//! in a body cut off at its cap, and in headers. The whole-suite trace of `secrets` runs these
//! calls at `TRACE` too and searches every line for the token.

use std::sync::Arc;

use impact_client::{Client, Error, Request, RetryPolicy};
use impact_mock::{DEMO_ACCOUNT_SID, Fault, MockServer, Quota, RequestMatch};

use crate::redaction::base64;

/// A token with characters that each encoding changes: URL and form encodings (`/`, `+`, `=`,
/// `:`, `&`), JSON's `\/`, XML's `&amp;`.
pub(crate) const TOKEN: &str = "tok/Echo9+Zr7=Wv2:Lm5&q";

/// The pieces of the token a leak would show: every run of eight bytes.
fn pieces() -> Vec<String> {
    let forms = crate::secrets::forms(DEMO_ACCOUNT_SID, TOKEN);
    forms
        .iter()
        .flat_map(|form| {
            let bytes = form.as_bytes();
            (0..=bytes.len().saturating_sub(8))
                .map(|start| String::from_utf8_lossy(&bytes[start..start + 8]).into_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Everything a program could print of an error.
fn printed(error: &Error) -> Vec<String> {
    let mut printed = vec![error.to_string(), format!("{error:?}")];
    if let Some(report) = error.api_error() {
        let body = report.body();
        printed.push(report.to_string());
        printed.extend(body.message.clone());
        printed.extend(body.status.clone());
        printed.extend(body.excerpt.clone());
        for field_error in body.errors.iter().chain(&body.warnings) {
            printed.push(field_error.to_string());
            printed.extend(field_error.level.clone());
        }
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        printed.push(format!("{cause:?} {cause}"));
        source = cause.source();
    }
    printed
}

/// One call answered by `fault` on every attempt, through a client whose error bodies are cut
/// at `cap`: nothing printable of its error holds a piece of the token, and `<redacted>` stands
/// where the echo was (`redacted`), or nothing was kept of it at all.
async fn check(label: &str, fault: Fault, cap: usize, redacted: bool) {
    crate::secrets::trace_to_file_if_asked();
    let server = MockServer::builder()
        .account(DEMO_ACCOUNT_SID, TOKEN)
        .quota(Quota::disabled())
        .start()
        .await
        .expect("a port");
    server.push_fault(RequestMatch::any(), 4, fault);
    let client = Client::builder()
        .account_sid(DEMO_ACCOUNT_SID)
        .auth_token(TOKEN)
        .base_url(server.base_url())
        .random_seed(7)
        .clock(Arc::new(crate::manual_clock()))
        .error_body_cap(cap)
        .retry_policy(RetryPolicy::new().with_max_attempts(2))
        .build()
        .expect("a valid client");
    let error = client
        .send(Request::get("/Campaigns"))
        .await
        .expect_err("an error answer");
    let printed = printed(&error);
    for text in &printed {
        for piece in pieces() {
            assert!(!text.contains(&piece), "{label}: {piece:?} shows in {text}");
        }
    }
    let shows_redacted = printed.iter().any(|text| text.contains("<redacted>"));
    assert_eq!(shows_redacted, redacted, "{label}: {printed:#?}");
    server.shutdown().await;
}

#[tokio::test]
async fn echoes_of_the_token_are_redacted_in_everything_an_error_keeps() {
    let basic = base64(&format!("{DEMO_ACCOUNT_SID}:{TOKEN}"));
    let json_escaped = TOKEN.replace('/', "\\/");
    let xml_escaped = TOKEN.replace('&', "&amp;");
    let xml_reference = TOKEN.replace('&', "&amp;").replace('/', "&#x2F;");
    let percent = "tok%2FEcho9%2BZr7%3DWv2%3ALm5%26q";
    let cap = 64 * 1024;
    let json = |status: u16, body: String| Fault::raw(status, "application/json", body);
    let cases = [
        (
            "a JSON envelope: message, field and field error",
            json(
                401,
                format!(
                    r#"{{"Status":"ERROR","Message":"invalid token {TOKEN}","Errors":[{{"Field":"{TOKEN}","Message":"{TOKEN} is not valid"}}]}}"#
                ),
            ),
        ),
        (
            "JSON that escapes the slash",
            json(400, format!(r#"{{"Message":"you sent {json_escaped}"}}"#)),
        ),
        (
            "a conversion body: field, level, message and warnings",
            json(
                400,
                format!(
                    r#"{{"Status":"ERROR","errors":[{{"field":"{TOKEN}","level":"{TOKEN}","message":"{TOKEN}"}}],"warnings":[{{"field":"x","message":"{TOKEN}"}}]}}"#
                ),
            ),
        ),
        (
            "a problem body",
            json(
                401,
                format!(r#"{{"status":401,"title":"Unauthorized: {TOKEN}"}}"#),
            ),
        ),
        (
            "an error inside a 200",
            json(200, format!(r#"{{"Status":"ERROR","Message":"{TOKEN}"}}"#)),
        ),
        (
            "the Basic credentials in a message",
            json(
                401,
                format!(r#"{{"Message":"bad credentials: Basic {basic}="}}"#),
            ),
        ),
        (
            "XML: message and field error, escaped and as a character reference",
            Fault::raw(
                400,
                "application/xml",
                format!(
                    "<ImpactRadiusResponse><Status>ERROR</Status><Message>invalid {xml_escaped}</Message>\
                     <Errors><Error><Field>Token</Field><Message>{xml_reference}</Message></Error></Errors>\
                     </ImpactRadiusResponse>"
                ),
            ),
        ),
        (
            "plain text",
            Fault::raw(400, "text/plain", format!("you sent {TOKEN}")),
        ),
        (
            "plain text, percent-encoded",
            Fault::raw(400, "text/plain", format!("query was token={percent}")),
        ),
        (
            "HTML from a gateway",
            Fault::raw(
                502,
                "text/html",
                format!("<html><body>Bad gateway for {basic}</body></html>"),
            ),
        ),
        (
            "text whose token straddles the excerpt's 512-byte boundary",
            Fault::raw(
                400,
                "text/plain",
                format!("{}{TOKEN} and more", "x".repeat(505)),
            ),
        ),
        (
            "a 429 beyond the wait allowed, echoing the token",
            Fault::raw(429, "text/plain", format!("slow down, {TOKEN}"))
                .header("Retry-After", "3600"),
        ),
    ];
    for (label, fault) in cases {
        check(label, fault, cap, true).await;
    }
    // A body cut off at its cap in the middle of the token: its beginning is redacted too.
    let cut = Fault::raw(400, "text/plain", format!("you sent {TOKEN}"));
    check(
        "a body cut off mid-token",
        cut,
        "you sent tok/Echo".len(),
        true,
    )
    .await;
}

/// Headers that echo the credentials: the client keeps no header of an error answer (only the
/// rate-limit values it read from them, which are numbers), so nothing of them can show.
#[tokio::test]
async fn echoes_in_headers_are_not_kept() {
    let basic = base64(&format!("{DEMO_ACCOUNT_SID}:{TOKEN}"));
    let fault = Fault::raw(
        401,
        "application/json",
        r#"{"status":401,"title":"Unauthorized"}"#,
    )
    .header("WWW-Authenticate", &format!("Basic realm=\"{TOKEN}\""))
    .header("X-Echo", &format!("Basic {basic}="))
    .header("X-RateLimit-Remaining", TOKEN);
    check("headers", fault, 64 * 1024, false).await;
}
