//! Exit codes and the streams they use: 0 whenever a report was printed, 2 for usage errors
//! with a message on stderr and nothing on stdout (SPEC 6 and 6.1).

use serde_json::{Value, json};

use crate::{impact, one_json_object};

/// Runs `impact args` on `stdin`; checks the exit code and, for a report, the whole JSON
/// object on stdout. Without an expected report, stdout must stay empty and stderr explain.
fn check(args: &[&str], stdin: &[u8], expect_exit: i32, expect_json: Option<Value>) {
    let run = impact(args, stdin);
    assert_eq!(run.code, expect_exit, "{args:?}: stderr {}", run.stderr);
    match expect_json {
        Some(expect) => {
            assert_eq!(one_json_object(&run), expect, "{args:?}");
            assert_eq!(run.stderr, "", "{args:?}");
        }
        None => {
            assert!(
                run.stdout.is_empty(),
                "{args:?}: stdout {:?}",
                String::from_utf8_lossy(&run.stdout)
            );
            assert!(!run.stderr.trim().is_empty(), "{args:?}: stderr is empty");
        }
    }
}

fn empty_report(http_status: Value, class: &str, retryable: bool) -> Value {
    json!({
        "http_status": http_status, "is_error": class != "none", "class": class,
        "retryable": retryable, "format": "empty", "shape": "empty", "status": null,
        "message": null, "errors": []
    })
}

#[test]
fn a_report_exits_0_whatever_the_body_held() {
    check(
        &["explain", "--json"],
        b"",
        0,
        Some(empty_report(json!(null), "none", false)),
    );
    check(
        &["explain", "-", "--json", "--status", "503"],
        b"  \n",
        0,
        Some(empty_report(json!(503), "server_error", true)),
    );
    check(
        &["explain", "--status", "429", "--json", "-"],
        b"",
        0,
        Some(empty_report(json!(429), "too_many_requests", true)),
    );
    check(
        &["explain", "--json", "--status", "999"],
        b"",
        0,
        Some(empty_report(json!(999), "unexpected_status", false)),
    );
    check(
        &[
            "explain",
            "--json",
            "--status",
            "100",
            "--content-type",
            "application/json",
        ],
        b"",
        0,
        Some(empty_report(json!(100), "unexpected_status", false)),
    );
}

#[test]
fn a_file_is_read_like_stdin() {
    let dir = std::env::temp_dir().join(format!("impact-cli-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("empty-body.txt");
    std::fs::write(&path, b"\xef\xbb\xbf \r\n").expect("write the body");
    let path_text = path.to_str().expect("UTF-8 temp path");
    check(
        &["explain", path_text, "--json", "--status", "404"],
        b"ignored: a file was named",
        0,
        Some(empty_report(json!(404), "not_found", false)),
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn usage_errors_exit_2() {
    check(&[], b"", 2, None);
    check(&["explain", "--bogus"], b"", 2, None);
    check(&["frobnicate"], b"", 2, None);
    check(&["explain", "--status"], b"", 2, None);
    check(&["explain", "--status", "abc"], b"", 2, None);
    check(&["explain", "--status", "99"], b"", 2, None);
    check(&["explain", "--status", "1000"], b"", 2, None);
    check(&["explain", "--status", "-5"], b"", 2, None);
    check(&["explain", "--status", "4O4"], b"", 2, None);
    check(&["explain", "a.json", "b.json"], b"", 2, None);
    check(
        &["explain", "--status", "400", "--status", "500"],
        b"",
        2,
        None,
    );
    check(&["explain", "--json=yes"], b"", 2, None);
}

#[test]
fn unreadable_input_exits_2_and_says_why() {
    let missing = "/nonexistent/impact-cli/body.json";
    check(&["explain", missing, "--json"], b"", 2, None);
    let run = impact(&["explain", missing], b"");
    assert!(
        run.stderr
            .contains("cannot read /nonexistent/impact-cli/body.json"),
        "{}",
        run.stderr
    );
    // A directory opens but cannot be read as a body.
    let dir = std::env::temp_dir();
    check(
        &["explain", dir.to_str().expect("UTF-8 temp dir"), "--json"],
        b"",
        2,
        None,
    );
}

#[test]
fn help_and_version_exit_0() {
    for args in [&["--help"][..], &["--version"], &["explain", "--help"]] {
        let run = impact(args, b"");
        assert_eq!(run.code, 0, "{args:?}");
        assert!(!run.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    use std::io::Read;
    use std::process::{Command, Stdio};

    // The reader closes the pipe before the report is written: the binary must neither
    // panic nor complain (exit 0, empty stderr).
    let mut child = Command::new(env!("CARGO_BIN_EXE_impact"))
        .args(["explain", "--status", "400"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the impact binary starts");
    drop(child.stdout.take());
    let body = br#"{"Status":"ERROR","Message":"Validation Failed"}"#;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin.write_all(body).expect("the body is written");
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr is piped")
        .read_to_string(&mut stderr)
        .expect("stderr is read");
    let status = child.wait().expect("the binary finishes");
    assert_eq!(status.code(), Some(0), "stderr {stderr}");
    assert_eq!(stderr, "");
}
