//! `impact mock` (its first stdout line is the base URL, then it serves) and `impact demo`
//! (runs every step and ends within 30 seconds).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN};

use crate::{Run, impact_with_env};

/// Checks a run's exit code and that stdout holds every expected text.
fn check(run: &Run, expect_code: i32, expect_texts: &[&str]) {
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.code, expect_code,
        "stdout: {stdout}\nstderr: {}",
        run.stderr
    );
    for text in expect_texts {
        assert!(stdout.contains(text), "{text:?} missing from:\n{stdout}");
    }
}

#[test]
fn demo_walks_every_error_class_within_30_seconds() {
    let run = impact_with_env(&["demo"], b"", &[]);
    assert!(
        run.elapsed < Duration::from_secs(30),
        "the demo took {:?}",
        run.elapsed
    );
    check(
        &run,
        0,
        &[
            "400 Bad Request",
            "fields to fix  CampaignId: Not a numeric value",
            "401 Unauthorized",
            "spring shape",
            "404 Not Found",
            "405 Method Not Allowed",
            "409 Conflict",
            "retry in",
            "too_many_requests -> retry in",
            "the server asks for a longer wait than allowed; fail fast",
            "from pacing: the last answer said Remaining: 0",
            "rate_limited after 0 attempts",
            "-> 504 Gateway Timeout (scripted)",
            "success after 5 attempts",
            "a POST that may have been processed is not sent again",
            "error_in_body",
            "timeout after 2 attempts",
            "broken_body -> retry in",
            "| 502 Bad Gateway",
            "xml, envelope shape",
            "page 1: 20 items (Id 1000 to 1019)",
            "page 3: 5 items (Id 1040 to 1044)",
            "45 items in",
            "impact demo: 18 steps in",
        ],
    );
    // The demo's account is the public one of the mock, yet its Basic credentials (base64 of
    // "IRmock..." starts with "SVJtb2Nr") must not be printed: the demo shows decisions, not
    // headers.
    assert!(!String::from_utf8_lossy(&run.stdout).contains("SVJtb2Nr"));
    assert!(!run.stderr.contains("SVJtb2Nr"));
}

#[test]
fn mock_prints_its_base_url_first_then_serves() {
    let stderr = with_mock(&[], |url| {
        assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
        let run = impact_with_env(
            &["api", "/Campaigns/1000", "--base-url", url],
            b"",
            &[
                ("IMPACT_ACCOUNT_SID", DEMO_ACCOUNT_SID),
                ("IMPACT_AUTH_TOKEN", DEMO_AUTH_TOKEN),
            ],
        );
        check(&run, 0, &["\"CampaignId\":\"1000\""]);
    });
    assert!(stderr.contains(DEMO_ACCOUNT_SID), "{stderr}");
}

#[test]
fn mock_refuses_a_public_address() {
    let run = impact_with_env(&["mock", "--addr", "0.0.0.0:0"], b"", &[]);
    check(&run, 2, &[]);
    assert!(
        run.stderr.contains("not a loopback address"),
        "{}",
        run.stderr
    );
}

/// Starts `impact mock ARGS`, gives its base URL to `body`, and stops it.
fn with_mock(args: &[&str], body: impl FnOnce(&str)) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_impact"))
        .arg("mock")
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("impact mock starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the first line arrives");
    let url = first.trim().to_owned();
    let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&url)));
    child.kill().expect("the mock can be stopped");
    let output = child.wait_with_output().expect("the mock ends");
    if let Err(panic) = served {
        std::panic::resume_unwind(panic);
    }
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A control GET, as JSON.
fn control(url: &str, path: &str) -> serde_json::Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let response = reqwest::get(format!("{url}{path}"))
            .await
            .expect("a control call");
        serde_json::from_str(&response.text().await.expect("a body")).expect("json")
    })
}

/// Every flag of SPEC 8.4 reaches the mock: the world's clock, its scale and seed, the quota,
/// a fault scripted before the first request, a second account.
#[test]
fn mock_takes_every_flag_of_spec_8_4() {
    let second = "IRsecondAccount00000000000000001";
    let account = format!("{second}:second-token");
    let stderr = with_mock(
        &[
            "--seed",
            "7",
            "--scale",
            "medium",
            "--frozen",
            "--now",
            "2025-06-01T00:00:00Z",
            "--quota",
            "300/60",
            "--rules",
            "legacy",
            "--account",
            &account,
            "--fault",
            r#"{"path":"/Actions","status":503,"times":2}"#,
        ],
        |url| {
            assert_eq!(control(url, "/_mock/clock")["now"], "2025-06-01T00:00:00Z");
            let faults = control(url, "/_mock/faults");
            assert_eq!(faults.as_array().map(Vec::len), Some(1), "{faults}");
            let run = impact_with_env(
                &["api", "/Campaigns", "--base-url", url],
                b"",
                &[
                    ("IMPACT_ACCOUNT_SID", second),
                    ("IMPACT_AUTH_TOKEN", "second-token"),
                ],
            );
            check(&run, 0, &["\"Campaigns\""]);
            // Medium: 20 campaigns.
            let body: serde_json::Value = serde_json::from_slice(&run.stdout).expect("json");
            assert_eq!(body["@total"], "20", "{body}");
            let quota = control(url, "/_mock/quota");
            let limits = quota["limits"].as_array().expect("limits");
            assert!(
                limits
                    .iter()
                    .any(|l| l["limit"] == 300 && l["window_secs"] == 60),
                "{quota}"
            );
        },
    );
    assert!(stderr.contains("2025-06-01T00:00:00Z (frozen)"), "{stderr}");
}

/// Bad values exit 2; a refused account is never echoed, since it holds a token.
#[test]
fn mock_refuses_bad_flags_without_echoing_a_token() {
    for (args, says) in [
        (vec!["--scale", "tiny"], "small, medium or large"),
        (vec!["--quota", "lots"], "quota"),
        (vec!["--now", "noon"], "noon"),
        (vec!["--fault", "{"], "fault"),
        (vec!["--account", "IRabc:"], "--account number 1"),
        (
            vec!["--account", "no-colon-zq9secret"],
            "--account number 1",
        ),
    ] {
        let mut argv = vec!["mock"];
        argv.extend_from_slice(&args);
        let run = impact_with_env(&argv, b"", &[]);
        check(&run, 2, &[]);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("zq9secret"), "{}", run.stderr);
    }
}
