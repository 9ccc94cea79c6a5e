//! `impact api` against the mock running in this test process: every exit code, the
//! `--json-errors` lines, `--paginate`, `--include`, refused configurations, and the token kept
//! off stdout and stderr under `RUST_LOG=trace`.

use std::time::Duration;

use impact_mock::{Fault, MockServer, RequestMatch};
use serde_json::Value;

use crate::{Run, impact_with_env};

/// The account the tests call with: the token is distinctive so that a leak is found.
const SID: &str = "IRleakCheckAccount0000000000000001";
const TOKEN: &str = "tok-leak-5f3a9c7e2d";
/// `base64("{SID}:{TOKEN}")`, the Basic credentials as they travel.
const BASIC: &str = "SVJsZWFrQ2hlY2tBY2NvdW50MDAwMDAwMDAwMDAwMDAwMTp0b2stbGVhay01ZjNhOWM3ZTJk";

/// A mock on its own runtime, serving while the test runs the binary.
struct Mock {
    server: MockServer,
    // Dropped after the server, which stops the accept loop first.
    _runtime: tokio::runtime::Runtime,
}

impl Mock {
    fn start() -> Mock {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let server = runtime
            .block_on(
                MockServer::builder()
                    .account(SID, TOKEN)
                    .page_size(20)
                    .start(),
            )
            .expect("the mock binds a loopback port");
        Mock {
            server,
            _runtime: runtime,
        }
    }

    fn url(&self) -> String {
        self.server.base_url()
    }

    fn script(&self, path: &str, times: u32, fault: Fault) {
        let full = format!("/Mediapartners/{SID}{path}");
        self.server
            .push_fault(RequestMatch::exact(&full), times, fault);
    }
}

/// What a run must show.
struct Expect {
    code: i32,
    stdout_empty: bool,
}

const FAILS: Expect = Expect {
    code: 1,
    stdout_empty: true,
};

/// Runs `impact api ARGS` with the test account (and `RUST_LOG=trace`, the worst case for a
/// leak), checks the exit code, that neither the token nor its Basic encoding was printed,
/// and whether stdout stayed empty.
fn check(args: &[&str], expect: Expect) -> Run {
    check_env(
        args,
        &[
            ("IMPACT_ACCOUNT_SID", SID),
            ("IMPACT_AUTH_TOKEN", TOKEN),
            ("RUST_LOG", "trace"),
        ],
        expect,
    )
}

fn check_env(args: &[&str], env: &[(&str, &str)], expect: Expect) -> Run {
    let mut argv = vec!["api"];
    argv.extend_from_slice(args);
    let run = impact_with_env(&argv, b"", env);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.code, expect.code,
        "impact {argv:?}\nstdout: {stdout}\nstderr: {}",
        run.stderr
    );
    for secret in [TOKEN, BASIC] {
        assert!(!stdout.contains(secret), "the token is on stdout: {argv:?}");
        assert!(
            !run.stderr.contains(secret),
            "the token is on stderr: {argv:?}"
        );
    }
    if expect.stdout_empty {
        assert!(run.stdout.is_empty(), "stdout is not empty: {stdout}");
    }
    run
}

/// The last non-empty line of stderr, parsed as one JSON object.
fn last_json(run: &Run) -> Value {
    let last = run
        .stderr
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .expect("stderr has a line");
    let value: Value = serde_json::from_str(last)
        .unwrap_or_else(|error| panic!("last stderr line is not JSON ({error}): {last}"));
    assert!(value.is_object(), "{last}");
    value
}

#[test]
fn success_prints_the_body_as_received() {
    let mock = Mock::start();
    let url = mock.url();
    let run = check(
        &["/Campaigns/1000", "--base-url", &url],
        Expect {
            code: 0,
            stdout_empty: false,
        },
    );
    let body: Value = serde_json::from_slice(&run.stdout).expect("a JSON body");
    assert_eq!(body["CampaignId"], "1000");
    let requests = mock.server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].target,
        format!("/Mediapartners/{SID}/Campaigns/1000")
    );
    assert_eq!(requests[0].header("Accept"), Some("application/json"));
    assert!(requests[0].auth.is_valid());
}

#[test]
fn include_prints_status_and_headers_first() {
    let mock = Mock::start();
    let url = mock.url();
    let run = check(
        &["/Campaigns/1000", "-i", "--xml", "--base-url", &url],
        Expect {
            code: 0,
            stdout_empty: false,
        },
    );
    let text = String::from_utf8(run.stdout).expect("UTF-8");
    let (head, body) = text
        .split_once("\n\n")
        .expect("a blank line after the headers");
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("HTTP/1.1 200 OK"));
    let headers: Vec<&str> = lines.collect();
    assert!(
        headers
            .iter()
            .any(|h| h.starts_with("content-type: application/xml")),
        "{headers:?}"
    );
    assert!(
        headers
            .iter()
            .any(|h| h.starts_with("x-ratelimit-remaining: "))
    );
    assert!(
        body.starts_with("<?xml") || body.starts_with("<ImpactRadiusResponse"),
        "{body}"
    );
}

#[test]
fn fields_are_query_for_get_and_form_otherwise() {
    let mock = Mock::start();
    let url = mock.url();
    check(
        &[
            "/Campaigns",
            "-f",
            "PageSize=2",
            "-f",
            "Name=a b&c",
            "-H",
            "IR-Version: 12",
            "--base-url",
            &url,
        ],
        Expect {
            code: 0,
            stdout_empty: false,
        },
    );
    let run = check(
        &[
            "/Actions",
            "-X",
            "post",
            "-f",
            "CampaignId=1000",
            "-f",
            "ActionTrackerId=12345",
            "-f",
            "OrderId=A 1",
            "--base-url",
            &url,
        ],
        Expect {
            code: 0,
            stdout_empty: false,
        },
    );
    let body: Value = serde_json::from_slice(&run.stdout).expect("a JSON body");
    assert_eq!(body["Status"], "OK");
    let requests = mock.server.requests();
    assert_eq!(
        requests[0].target,
        format!("/Mediapartners/{SID}/Campaigns?PageSize=2&Name=a+b%26c")
    );
    assert_eq!(requests[0].header("IR-Version"), Some("12"));
    assert_eq!(requests[1].method, "POST");
    assert_eq!(requests[1].target, format!("/Mediapartners/{SID}/Actions"));
    assert_eq!(
        requests[1].header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        String::from_utf8_lossy(&requests[1].body),
        "CampaignId=1000&ActionTrackerId=12345&OrderId=A+1"
    );
}

#[test]
fn api_error_exits_1_with_the_explain_report() {
    let mock = Mock::start();
    let url = mock.url();
    let run = check(
        &["/Campaigns/999999", "--json-errors", "--base-url", &url],
        FAILS,
    );
    assert!(
        run.stderr.contains("what happened  HTTP 404 Not Found"),
        "{}",
        run.stderr
    );
    let json = last_json(&run);
    let keys: Vec<&str> = json
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = vec![
        "attempts",
        "class",
        "errors",
        "format",
        "http_status",
        "is_error",
        "message",
        "retryable",
        "shape",
        "status",
    ];
    want.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(json["http_status"], 404);
    assert_eq!(json["class"], "not_found");
    assert_eq!(json["is_error"], true);
    assert_eq!(json["retryable"], false);
    assert_eq!(json["attempts"], 1);
    assert!(json["errors"].is_array());
}

#[test]
fn post_after_500_is_not_retried_unless_idempotent() {
    let mock = Mock::start();
    let url = mock.url();
    let form = [
        "-f",
        "CampaignId=1000",
        "-f",
        "ActionTrackerId=12345",
        "-f",
        "OrderId=A-1",
    ];
    mock.script("/Actions", 1, Fault::raw(500, "text/plain", "boom"));
    let mut args = vec![
        "/Actions",
        "-X",
        "POST",
        "--json-errors",
        "--backoff-ms",
        "5",
        "--base-url",
        &url,
    ];
    args.extend_from_slice(&form);
    let run = check(&args, FAILS);
    let json = last_json(&run);
    assert_eq!(
        (json["class"].as_str(), json["attempts"].as_u64()),
        (Some("server_error"), Some(1))
    );
    assert_eq!(
        (json["format"].as_str(), json["shape"].as_str()),
        (Some("text"), Some("unstructured"))
    );

    mock.script("/Actions", 1, Fault::raw(500, "text/plain", "boom"));
    args.push("--idempotent");
    check(
        &args,
        Expect {
            code: 0,
            stdout_empty: false,
        },
    );
    assert_eq!(mock.server.requests().len(), 3);
}

#[test]
fn error_in_a_200_body_exits_1() {
    let mock = Mock::start();
    let url = mock.url();
    mock.script(
        "/Reports/x",
        1,
        Fault::raw(
            200,
            "application/json",
            r#"{"Status":"ERROR","Message":"Not permitted"}"#,
        ),
    );
    let run = check(&["/Reports/x", "--json-errors", "--base-url", &url], FAILS);
    let json = last_json(&run);
    assert_eq!(json["class"], "error_in_body");
    assert_eq!(json["message"], "Not permitted");
}

#[test]
fn rate_limit_beyond_max_wait_exits_4() {
    let mock = Mock::start();
    let url = mock.url();
    mock.script(
        "/Campaigns",
        1,
        Fault::raw(
            429,
            "application/json",
            r#"{"Status":"ERROR","Message":"Hourly quota reached"}"#,
        )
        .header("Retry-After", "3600"),
    );
    let run = check(
        &[
            "/Campaigns",
            "--max-wait",
            "2",
            "--json-errors",
            "--base-url",
            &url,
        ],
        Expect {
            code: 4,
            stdout_empty: true,
        },
    );
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
    let json = last_json(&run);
    assert_eq!(json["http_status"], 429);
    assert_eq!(json["class"], "too_many_requests");
    assert_eq!(json["message"], "Hourly quota reached");
    assert_eq!(json["attempts"], 1);
    let secs = json["retry_after_secs"].as_u64().expect("a number");
    assert!((3595..=3601).contains(&secs), "{secs}");
}

#[test]
fn retry_after_within_max_wait_is_waited() {
    let mock = Mock::start();
    let url = mock.url();
    mock.script(
        "/Campaigns/1000",
        1,
        Fault::status(429).header("Retry-After", "1"),
    );
    let run = check(
        &["/Campaigns/1000", "--base-url", &url],
        Expect {
            code: 0,
            stdout_empty: false,
        },
    );
    assert!(
        run.elapsed >= Duration::from_millis(950),
        "{:?}",
        run.elapsed
    );
    assert_eq!(mock.server.requests().len(), 2);
}

#[test]
fn timeout_exits_3() {
    let mock = Mock::start();
    let url = mock.url();
    mock.script(
        "/Campaigns",
        2,
        Fault::raw(200, "application/json", "{}").delay(Duration::from_secs(3)),
    );
    let run = check(
        &[
            "/Campaigns",
            "--timeout",
            "0.2",
            "--max-attempts",
            "2",
            "--backoff-ms",
            "5",
            "--json-errors",
            "--base-url",
            &url,
        ],
        Expect {
            code: 3,
            stdout_empty: true,
        },
    );
    let json = last_json(&run);
    assert_eq!(json["error"], "timeout");
    assert_eq!(json["attempts"], 2);
    assert!(
        json["message"]
            .as_str()
            .is_some_and(|m| m.contains("timed out")),
        "{json}"
    );
}

#[test]
fn connection_failure_exits_3() {
    // A port that was just free: binding and dropping a listener leaves nothing there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let run = check(
        &[
            "/Campaigns",
            "--max-attempts",
            "2",
            "--backoff-ms",
            "5",
            "--json-errors",
            "--base-url",
            &url,
        ],
        Expect {
            code: 3,
            stdout_empty: true,
        },
    );
    let json = last_json(&run);
    assert_eq!(json["error"], "connection");
    assert_eq!(json["attempts"], 2);
}

#[test]
fn reset_mid_body_is_retried() {
    let mock = Mock::start();
    let url = mock.url();
    mock.script(
        "/Campaigns/1000",
        1,
        Fault::raw(200, "application/json", r#"{"Id":"1000","Name":"x"}"#)
            .misbehave(impact_mock::Misbehaviour::ResetAfterBodyBytes(5)),
    );
    let run = check(
        &["/Campaigns/1000", "--backoff-ms", "5", "--base-url", &url],
        Expect {
            code: 0,
            stdout_empty: false,
        },
    );
    let body: Value = serde_json::from_slice(&run.stdout).expect("the second, whole body");
    assert_eq!(body["CampaignId"], "1000");
}

#[test]
fn paginate_prints_every_item_once_per_line() {
    let mock = Mock::start();
    let url = mock.url();
    for format in [None, Some("--xml")] {
        let mut args = vec!["/Campaigns", "--paginate", "--base-url", &url];
        args.extend(format);
        let run = check(
            &args,
            Expect {
                code: 0,
                stdout_empty: false,
            },
        );
        let text = String::from_utf8(run.stdout).expect("UTF-8");
        let ids: Vec<String> = text
            .lines()
            .map(|line| {
                let item: Value = serde_json::from_str(line).expect("one JSON item per line");
                assert!(item.is_object(), "{line}");
                assert!(!line.contains("\n"));
                item["CampaignId"]
                    .as_str()
                    .expect("a CampaignId")
                    .to_owned()
            })
            .collect();
        let want: Vec<String> = (1000..1045).map(|id| id.to_string()).collect();
        assert_eq!(ids, want, "{format:?}");
    }
    // Three pages for each format, and nothing else.
    assert_eq!(mock.server.requests().len(), 6);
}

#[test]
fn usage_errors_exit_2_and_send_nothing() {
    let mock = Mock::start();
    let url = mock.url();
    let usage = Expect {
        code: 2,
        stdout_empty: true,
    };
    for bad in [
        vec!["/Campaigns", "--max-attempts", "0"],
        vec!["/Campaigns", "--max-attempts", "1000"],
        vec!["/Campaigns", "--timeout", "0"],
        vec!["/Campaigns", "--timeout", "-3"],
        vec!["/Campaigns", "--max-wait", "-1"],
        vec!["/Campaigns", "--backoff-ms", "0"],
        vec!["/Campaigns", "-f", "novalue"],
        vec!["/Campaigns", "-H", "Authorization: Basic eA=="],
        vec!["/Campaigns", "--api", "nonsense"],
        vec!["/Campaigns", "-X", "GE T"],
        vec!["/Campaigns", "--paginate", "--include"],
        vec!["/Cam paigns"],
    ] {
        let mut args = bad.clone();
        args.extend(["--base-url", &url]);
        check(&args, Expect { ..usage });
    }
    assert_eq!(mock.server.requests_seen(), 0);
}

#[test]
fn plain_http_is_refused_unless_loopback() {
    for url in [
        "http://192.0.2.44:8080",
        "http://127.0.0.1.nip.io:8080",
        "http://localhost.example",
    ] {
        let run = check(
            &[
                "/Campaigns",
                "--max-attempts",
                "1",
                "--timeout",
                "1",
                "--base-url",
                url,
            ],
            Expect {
                code: 2,
                stdout_empty: true,
            },
        );
        assert!(run.stderr.contains("refusing plain http"), "{}", run.stderr);
    }
}

#[test]
fn missing_credentials_exit_2() {
    let mock = Mock::start();
    let url = mock.url();
    for env in [
        vec![("IMPACT_ACCOUNT_SID", SID)],
        vec![("IMPACT_AUTH_TOKEN", TOKEN)],
        vec![("IMPACT_ACCOUNT_SID", SID), ("IMPACT_AUTH_TOKEN", "  ")],
    ] {
        let run = check_env(
            &["/Campaigns", "--json-errors", "--base-url", &url],
            &env,
            Expect {
                code: 2,
                stdout_empty: true,
            },
        );
        assert!(run.stderr.contains("is not set"), "{}", run.stderr);
        assert_eq!(last_json(&run)["error"], "usage");
    }
    assert_eq!(mock.server.requests_seen(), 0);
}

#[test]
fn the_json_line_is_last_even_under_trace_logging() {
    let mock = Mock::start();
    let url = mock.url();
    mock.script("/Campaigns", 4, Fault::status(503));
    let run = check(
        &[
            "/Campaigns",
            "--backoff-ms",
            "5",
            "--json-errors",
            "--base-url",
            &url,
        ],
        FAILS,
    );
    // Trace logging did run: the client's per-attempt events are there, before the line.
    assert!(
        run.stderr.contains("attempt failed; retrying"),
        "{}",
        run.stderr
    );
    let json = last_json(&run);
    assert_eq!(json["attempts"], 4);
    assert_eq!(json["http_status"], 503);
}
