//! Runs the built `impact` binary as a user would: exit codes, the `--json` report, the text
//! for a person, hostile inputs, `impact api` against the in-process mock, `impact mock` and
//! `impact demo`.

mod api;
mod exit_codes;
mod fixtures;
mod hostile;
mod mock_and_demo;
mod quota_store;
mod secrets;
mod snapshots;
mod sync;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// One finished run of the binary.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: String,
    pub(crate) elapsed: Duration,
}

/// Runs `impact` with `args`, feeding `stdin`, and waits for it.
pub(crate) fn impact(args: &[&str], stdin: &[u8]) -> Run {
    impact_with_env(args, stdin, &[])
}

/// Runs `impact` with `args` and exactly these `IMPACT_*` and `RUST_LOG` variables (any the
/// test process has are removed, so that a developer's own credentials never leak into a
/// test), feeding `stdin`, and waits for it.
pub(crate) fn impact_with_env(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Run {
    let started = Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_impact"));
    for name in [
        "IMPACT_ACCOUNT_SID",
        "IMPACT_AUTH_TOKEN",
        "RUST_LOG",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the impact binary starts");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let input = stdin.to_vec();
    // A separate thread feeds stdin so that a child that stops reading early cannot
    // deadlock the test; a broken pipe then only means the child had enough.
    let feeder = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let Output {
        status,
        stdout,
        stderr,
    } = child
        .wait_with_output()
        .expect("the impact binary finishes");
    let elapsed = started.elapsed();
    feeder.join().expect("the feeder thread ends");
    Run {
        code: status
            .code()
            .expect("the binary exits rather than being killed"),
        stdout,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        elapsed,
    }
}

/// Parses stdout as exactly one JSON object.
pub(crate) fn one_json_object(run: &Run) -> serde_json::Value {
    let text = std::str::from_utf8(&run.stdout).expect("stdout is UTF-8");
    let value: serde_json::Value = serde_json::from_str(text)
        .unwrap_or_else(|error| panic!("stdout is not one JSON value ({error}): {text:?}"));
    assert!(value.is_object(), "stdout is not a JSON object: {text}");
    value
}
