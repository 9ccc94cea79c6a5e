//! The tour of `impact demo` as data: one row per step, with what it demonstrates, what the
//! server is told to do, the client it uses and the calls it makes. The runner in the parent
//! module drives every row the same way.

use std::time::Duration;

use impact_client::{ClientBuilder, Format, Request, RetryPolicy};
use impact_mock::{Fault, Misbehaviour};

/// One step: a heading, then each call on a client of its own.
pub(super) struct Step {
    /// What the step demonstrates: the heading.
    pub(super) title: &'static str,
    /// What the emulated API does, or was told to do, in words.
    pub(super) server: &'static str,
    /// The step's client, from the demo's (the demo account, 50 ms backoff, 5 s longest wait).
    /// Each step has a fresh one, so that what one step did (a hold, a spent budget) does
    /// not carry over into the next; the calls of a step share theirs.
    pub(super) client: fn(ClientBuilder) -> ClientBuilder,
    pub(super) calls: &'static [Call],
}

/// One call of a step: the faults scripted before it, what it is in words, and how it is made.
pub(super) struct Call {
    pub(super) script: fn() -> Vec<Scripted>,
    pub(super) says: &'static str,
    pub(super) action: Action,
}

/// How a call is made.
pub(super) enum Action {
    /// One request, with its retries.
    Send(fn() -> Request),
    /// A list followed page by page, as `impact api --paginate` does.
    Paginate(fn() -> Request),
}

/// A fault the emulated API is told to answer with: on `method` of `path` (under the demo
/// account's root), the next `times` requests.
pub(super) struct Scripted {
    pub(super) method: &'static str,
    pub(super) path: &'static str,
    pub(super) times: u32,
    pub(super) fault: Fault,
}

const fn scripted(method: &'static str, path: &'static str, times: u32, fault: Fault) -> Scripted {
    Scripted {
        method,
        path,
        times,
        fault,
    }
}

fn nothing() -> Vec<Scripted> {
    Vec::new()
}

fn same(builder: ClientBuilder) -> ClientBuilder {
    builder
}

const fn send(says: &'static str, request: fn() -> Request) -> Call {
    Call {
        script: nothing,
        says,
        action: Action::Send(request),
    }
}

const fn scripted_send(
    script: fn() -> Vec<Scripted>,
    says: &'static str,
    request: fn() -> Request,
) -> Call {
    Call {
        script,
        says,
        action: Action::Send(request),
    }
}

/// A JSON fault body.
fn json(status: u16, body: &'static str) -> Fault {
    Fault::raw(status, "application/json", body)
}

/// A 200 whose headers say the limit is used up until `reset` seconds from now.
fn exhausted(reset: &str) -> Fault {
    json(200, r#"{"Status":"OK"}"#)
        .header("X-RateLimit-Limit", "1000")
        .header("X-RateLimit-Remaining", "0")
        .header("X-RateLimit-Reset", reset)
}

/// Every step of the tour, in order.
pub(super) const STEPS: &[Step] = &[
    Step {
        title: "400 Bad Request: a validation error",
        server: "the emulated API checks the form fields of POST /Actions",
        client: same,
        calls: &[send(
            "POST /Actions with CampaignId=abc and no ActionTrackerId or OrderId",
            || Request::post("/Actions").form([("CampaignId", "abc")]),
        )],
    },
    Step {
        title: "401 Unauthorized: a wrong auth token",
        server: "the emulated API checks HTTP Basic credentials",
        client: |builder| builder.auth_token("not-the-token"),
        calls: &[send("GET /Campaigns", || Request::get("/Campaigns"))],
    },
    Step {
        title: "403 Forbidden, Spring style",
        server: "the emulated API answers /Reports with a Spring-style 403",
        client: same,
        calls: &[send("GET /Reports/partner_action_listing", || {
            Request::get("/Reports/partner_action_listing")
        })],
    },
    Step {
        title: "404 Not Found",
        server: "the emulated API has no campaign 999999",
        client: same,
        calls: &[send("GET /Campaigns/999999", || {
            Request::get("/Campaigns/999999")
        })],
    },
    Step {
        title: "405 Method Not Allowed",
        server: "the emulated API lists campaigns but does not delete the list",
        client: same,
        calls: &[send("DELETE /Campaigns", || Request::delete("/Campaigns"))],
    },
    Step {
        title: "409 Conflict",
        server: "scripted: 409 with {\"Status\":\"ERROR\",\"Message\":\"Contract decision already recorded\"}",
        client: same,
        calls: &[scripted_send(
            || {
                let body = r#"{"Status":"ERROR","Message":"Contract decision already recorded"}"#;
                vec![scripted("PUT", "/Contracts/77/Accept", 1, json(409, body))]
            },
            "PUT /Contracts/77/Accept",
            || Request::put("/Contracts/77/Accept"),
        )],
    },
    Step {
        title: "429 with Retry-After: 1",
        server: "scripted: 429 with Retry-After: 1 once, then the normal answer",
        client: same,
        calls: &[scripted_send(
            || {
                let body = r#"{"Status":"ERROR","Message":"Too many requests"}"#;
                let fault = json(429, body).header("Retry-After", "1");
                vec![scripted("GET", "/Campaigns", 1, fault)]
            },
            "GET /Campaigns?PageSize=2",
            || Request::get("/Campaigns").query("PageSize", "2"),
        )],
    },
    Step {
        title: "429 whose wait is too long: fail fast",
        server: "scripted: 429 with Retry-After: 3600 (the client may wait at most 5 s here)",
        client: same,
        calls: &[scripted_send(
            || {
                let body = r#"{"Status":"ERROR","Message":"Hourly quota reached"}"#;
                let fault = json(429, body).header("Retry-After", "3600");
                vec![scripted("GET", "/Campaigns", 1, fault)]
            },
            "GET /Campaigns",
            || Request::get("/Campaigns"),
        )],
    },
    Step {
        title: "pacing: Remaining: 0",
        server: "scripted: a 200 whose headers say X-RateLimit-Remaining: 0, resetting in 1 s; \
                 then one resetting in 3600 s",
        client: same,
        calls: &[
            scripted_send(
                || vec![scripted("GET", "/Campaigns/1000", 1, exhausted("1"))],
                "GET /Campaigns/1000 (the answer says the limit is used up for 1 s)",
                || Request::get("/Campaigns/1000"),
            ),
            send(
                "GET /Campaigns/1001 on the same client: held until the reset, not sent into a 429",
                || Request::get("/Campaigns/1001"),
            ),
            scripted_send(
                || vec![scripted("GET", "/Campaigns/1000", 1, exhausted("3600"))],
                "GET /Campaigns/1000 (now the limit is used up for an hour)",
                || Request::get("/Campaigns/1000"),
            ),
            send(
                "GET /Campaigns/1001 on the same client: nothing is sent; fail fast",
                || Request::get("/Campaigns/1001"),
            ),
        ],
    },
    Step {
        title: "500, 502, 503, 504: retried, then success",
        server: "scripted: 500, then 502, then 503 (HTML), then 504, then the normal answer",
        client: |builder| {
            builder.retry_policy(
                RetryPolicy::new()
                    .with_max_attempts(5)
                    .with_initial_backoff(Duration::from_millis(50)),
            )
        },
        calls: &[scripted_send(
            || {
                let html = "<html><body>Service Unavailable</body></html>";
                vec![
                    scripted("GET", "/Campaigns", 1, Fault::status(500)),
                    scripted("GET", "/Campaigns", 1, Fault::status(502)),
                    scripted("GET", "/Campaigns", 1, Fault::raw(503, "text/html", html)),
                    scripted("GET", "/Campaigns", 1, Fault::status(504)),
                ]
            },
            "GET /Campaigns?PageSize=2 (5 attempts allowed)",
            || Request::get("/Campaigns").query("PageSize", "2"),
        )],
    },
    Step {
        title: "a POST after a 500 is not retried",
        server: "scripted: 500 on POST /Conversions",
        client: same,
        calls: &[scripted_send(
            || {
                let fault = Fault::raw(500, "text/plain", "Internal Server Error");
                vec![scripted("POST", "/Conversions", 1, fault)]
            },
            "POST /Conversions (a conversion: sending it twice could count it twice)",
            || {
                Request::post("/Conversions").form([
                    ("CampaignId", "1000"),
                    ("ActionTrackerId", "12345"),
                    ("OrderId", "A-1"),
                ])
            },
        )],
    },
    Step {
        title: "an idempotent POST is retried",
        server: "scripted: 503 once on POST /Actions, then the normal answer",
        client: same,
        calls: &[scripted_send(
            || vec![scripted("POST", "/Actions", 1, Fault::status(503))],
            "POST /Actions marked idempotent (as `impact api --idempotent`)",
            || {
                Request::post("/Actions")
                    .form([
                        ("CampaignId", "1000"),
                        ("ActionTrackerId", "12345"),
                        ("OrderId", "A-2"),
                    ])
                    .idempotent(true)
            },
        )],
    },
    Step {
        title: "200 OK with Status: ERROR in the body",
        server: "scripted: 200 with {\"Status\":\"ERROR\",\"Message\":\"Not permitted to run report ...\"}",
        client: same,
        calls: &[scripted_send(
            || {
                let body = r#"{"Status":"ERROR","Message":"Not permitted to run report partner_performance"}"#;
                vec![scripted(
                    "GET",
                    "/Reports/partner_performance",
                    1,
                    json(200, body),
                )]
            },
            "GET /Reports/partner_performance",
            || Request::get("/Reports/partner_performance"),
        )],
    },
    Step {
        title: "a timeout",
        server: "scripted: the answer is delayed by 2 s, twice; each attempt may take 300 ms",
        client: |builder| {
            builder.retry_policy(
                RetryPolicy::new()
                    .with_max_attempts(2)
                    .with_initial_backoff(Duration::from_millis(50))
                    .with_attempt_timeout(Duration::from_millis(300)),
            )
        },
        calls: &[scripted_send(
            || {
                let fault = json(200, r#"{"Campaigns":[]}"#).delay(Duration::from_secs(2));
                vec![scripted("GET", "/Campaigns", 2, fault)]
            },
            "GET /Campaigns",
            || Request::get("/Campaigns"),
        )],
    },
    Step {
        title: "a reset in the middle of the body",
        server: "scripted: a 200 that resets the connection after 16 body bytes, once",
        client: same,
        calls: &[scripted_send(
            || {
                let body =
                    r#"{"@page":"1","@nextpageuri":"","Campaigns":[{"Id":"1000"},{"Id":"1001"}]}"#;
                let fault = json(200, body).misbehave(Misbehaviour::ResetAfterBodyBytes(16));
                vec![scripted("GET", "/Campaigns", 1, fault)]
            },
            "GET /Campaigns?PageSize=2",
            || Request::get("/Campaigns").query("PageSize", "2"),
        )],
    },
    Step {
        title: "an HTML page from a gateway",
        server: "scripted: 502 with an HTML page, on every attempt",
        client: same,
        calls: &[scripted_send(
            || {
                let page = "<html><head><title>502 Bad Gateway</title></head><body>\
                            <h1>502 Bad Gateway</h1><p>The upstream server did not answer.</p>\
                            </body></html>";
                vec![scripted(
                    "GET",
                    "/Ads",
                    4,
                    Fault::raw(502, "text/html", page),
                )]
            },
            "GET /Ads",
            || Request::get("/Ads"),
        )],
    },
    Step {
        title: "an XML error body",
        server: "the emulated API answers in XML when XML is asked for (the API's default format)",
        client: same,
        calls: &[send(
            "GET /Campaigns/999999 with Accept: application/xml (as `impact api --xml`)",
            || Request::get("/Campaigns/999999").format(Format::Xml),
        )],
    },
    Step {
        title: "pagination",
        server: "the emulated API lists 45 campaigns, 20 a page, with @nextpageuri links",
        client: same,
        calls: &[Call {
            script: nothing,
            says: "GET /Campaigns, then every @nextpageuri",
            action: Action::Paginate(|| Request::get("/Campaigns")),
        }],
    },
];
