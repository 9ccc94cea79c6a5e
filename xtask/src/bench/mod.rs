//! `cargo xtask bench [--quick] [--json] [--only sync]`: the performance figures of SPEC 7
//! and the sync figures of SPEC 11, each side interleaved with its baseline in one run (see
//! `BENCHMARKS.md`). `--only sync` measures the sync figures alone.
//!
//! `cargo xtask` runs xtask in the dev profile, where timings mean nothing. So this command
//! builds xtask in release mode with the `bench` feature and runs that binary with
//! `bench --measure`; the release binary starts the children it needs from itself (the mock
//! server, one process per memory measurement) and the allocation probe binary.

use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

use crate::project_root;

#[cfg(feature = "bench")]
mod client;
#[cfg(feature = "bench")]
mod codec;
#[cfg(feature = "bench")]
mod report;
#[cfg(feature = "bench")]
mod retry;
#[cfg(feature = "bench")]
mod retry_case;
#[cfg(feature = "bench")]
mod stats;
#[cfg(feature = "bench")]
mod sync;

/// The flags a user may pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Flags {
    quick: bool,
    json: bool,
    /// `--only sync`: the sync figures alone.
    only_sync: bool,
}

fn parse_flags(args: &[String]) -> Result<Flags, String> {
    let mut flags = Flags::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => flags.quick = true,
            "--json" => flags.json = true,
            "--only" => match args.next().map(String::as_str) {
                Some("sync") => flags.only_sync = true,
                other => return Err(format!("bench: --only {other:?}: only `sync` is known")),
            },
            other => return Err(format!("bench: unknown argument {other:?}")),
        }
    }
    Ok(flags)
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("--measure") => measure_entry(&args[1..]),
        Some("--serve-mock") => serve_mock_entry(),
        Some("--rss-child") => rss_child_entry(&args[1..]),
        Some("--client-side") => client_side_entry(&args[1..]),
        _ => launch(parse_flags(args)?),
    }
}

#[cfg(feature = "bench")]
fn measure_entry(args: &[String]) -> Result<(), String> {
    let (probe, impact, rest) = match args {
        [probe_flag, probe, impact_flag, impact, rest @ ..]
            if probe_flag == "--probe" && impact_flag == "--impact" =>
        {
            (PathBuf::from(probe), PathBuf::from(impact), rest)
        }
        _ => return Err("bench --measure needs --probe PATH --impact PATH first".to_owned()),
    };
    measure(parse_flags(rest)?, &probe, &impact)
}

#[cfg(feature = "bench")]
fn serve_mock_entry() -> Result<(), String> {
    client::serve_mock()
}

#[cfg(feature = "bench")]
fn rss_child_entry(args: &[String]) -> Result<(), String> {
    client::rss_child(args)
}

#[cfg(feature = "bench")]
fn client_side_entry(args: &[String]) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|error| format!("cannot find myself: {error}"))?;
    client::client_side(&exe, args)
}

#[cfg(not(feature = "bench"))]
fn client_side_entry(_: &[String]) -> Result<(), String> {
    Err(NOT_BUILT.to_owned())
}

#[cfg(not(feature = "bench"))]
fn measure_entry(_: &[String]) -> Result<(), String> {
    Err(NOT_BUILT.to_owned())
}

#[cfg(not(feature = "bench"))]
fn serve_mock_entry() -> Result<(), String> {
    Err(NOT_BUILT.to_owned())
}

#[cfg(not(feature = "bench"))]
fn rss_child_entry(_: &[String]) -> Result<(), String> {
    Err(NOT_BUILT.to_owned())
}

#[cfg(not(feature = "bench"))]
const NOT_BUILT: &str = "this xtask was built without the bench feature: run `cargo xtask bench`";

/// Builds the release binaries and runs the measurement, passing stdout through untouched so
/// that `--json` prints exactly one object.
fn launch(flags: Flags) -> Result<(), String> {
    eprintln!("bench: building xtask in release mode (the first build takes a few minutes)");
    let messages = release_build("xtask/bench")?;
    let main_exe = executable(&messages, "xtask")?;
    let probe_exe = executable(&messages, "xtask-bench-allocs")?;
    let impact_exe = executable(&messages, "impact")?;
    let mut command = Command::new(&main_exe);
    command
        .args(["bench", "--measure", "--probe"])
        .arg(&probe_exe)
        .arg("--impact")
        .arg(&impact_exe);
    if flags.quick {
        command.arg("--quick");
    }
    if flags.json {
        command.arg("--json");
    }
    if flags.only_sync {
        command.args(["--only", "sync"]);
    }
    let status = command
        .current_dir(project_root())
        .status()
        .map_err(|error| format!("cannot run {}: {error}", main_exe.display()))?;
    check_status("the release benchmark", status)
}

/// `cargo build --release` of xtask (with `features`) and impact-cli in one invocation, so
/// that both share one resolution of features: cargo's JSON messages, to find the executables
/// in with [`executable`].
pub(crate) fn release_build(features: &str) -> Result<String, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(&cargo)
        .current_dir(project_root())
        .args(["build", "--release", "--locked", "--package", "xtask"])
        .args(["--package", "impact-cli", "--features", features, "--bins"])
        .arg("--message-format=json-render-diagnostics")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    check_status("cargo build --release", output.status)?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn check_status(what: &str, status: ExitStatus) -> Result<(), String> {
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// The executable cargo built for binary target `name`, from its JSON build messages.
pub(crate) fn executable(messages: &str, name: &str) -> Result<PathBuf, String> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == name)
        .filter(|message| {
            message["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"))
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("cargo did not report the {name} executable"))
}

/// How much of everything a run does.
#[cfg(feature = "bench")]
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// Repetitions of each side of a timing comparison.
    pairs: usize,
    /// Length of one repetition of a decode or decision timing.
    repetition: std::time::Duration,
    /// Rounds of the client throughput comparison (each side once per round).
    client_rounds: usize,
    /// Length of one side's turn in a round.
    client_repetition: std::time::Duration,
    /// Fresh child processes of each kind for the memory figure.
    memory_pairs: usize,
    /// Pairs of the sync timing (a full sync, and the same pages with `impact api`).
    sync_pairs: usize,
}

#[cfg(feature = "bench")]
impl Plan {
    fn new(quick: bool) -> Plan {
        use std::time::Duration;
        if quick {
            Plan {
                pairs: 5,
                repetition: Duration::from_millis(60),
                client_rounds: 18,
                client_repetition: Duration::from_millis(250),
                memory_pairs: 5,
                sync_pairs: 5,
            }
        } else {
            Plan {
                pairs: 15,
                repetition: Duration::from_millis(150),
                client_rounds: 48,
                client_repetition: Duration::from_millis(250),
                memory_pairs: 7,
                sync_pairs: 9,
            }
        }
    }
}

/// The measurement proper, in the release binary.
#[cfg(feature = "bench")]
fn measure(flags: Flags, probe: &std::path::Path, impact: &std::path::Path) -> Result<(), String> {
    let plan = Plan::new(flags.quick);
    let started = std::time::Instant::now();
    let progress = |what: &str| eprintln!("bench: {what} ({:.0?} so far)", started.elapsed());
    let spec7 = if flags.only_sync {
        None
    } else {
        Some(measure_spec7(&plan, probe, &progress)?)
    };
    progress("sync");
    let sync = sync::run(impact, plan.sync_pairs)?;
    progress("done");
    let figures = report::Figures {
        quick: flags.quick,
        spec7,
        sync,
        seconds: started.elapsed().as_secs_f64(),
    };
    if flags.json {
        println!("{}", figures.json());
    } else {
        print!("{}", figures.table());
    }
    crate::goals::gate("bench", &figures.checked())
}

/// The figures of SPEC 7: codec, retry, client throughput and memory.
#[cfg(feature = "bench")]
fn measure_spec7(
    plan: &Plan,
    probe: &std::path::Path,
    progress: &dyn Fn(&str),
) -> Result<report::Spec7, String> {
    let exe = std::env::current_exe().map_err(|error| format!("cannot find myself: {error}"))?;
    progress("codec");
    let codec = codec::run(
        codec::Plan {
            pairs: plan.pairs,
            repetition: plan.repetition,
        },
        &project_root().join("fixtures"),
    )?;
    progress("retry");
    let retry = retry::run(plan.pairs, plan.repetition, probe)?;
    progress("client throughput");
    let mock = client::MockProcess::spawn(&exe)?;
    let throughput =
        client::throughput(&mock.base_url, plan.client_rounds, plan.client_repetition)?;
    progress("client memory");
    let memory = client::memory(&exe, &mock.base_url, plan.memory_pairs)?;
    drop(mock);
    Ok(report::Spec7 {
        codec,
        retry,
        throughput,
        memory,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &[&str], expect: Result<Flags, ()>) {
        let args: Vec<String> = input.iter().map(|arg| (*arg).to_owned()).collect();
        assert_eq!(parse_flags(&args).map_err(|_| ()), expect, "{input:?}");
    }

    #[test]
    fn flags() {
        check(&[], Ok(Flags::default()));
        check(
            &["--quick", "--json"],
            Ok(Flags {
                quick: true,
                json: true,
                only_sync: false,
            }),
        );
        check(
            &["--json", "--only", "sync"],
            Ok(Flags {
                quick: false,
                json: true,
                only_sync: true,
            }),
        );
        check(&["--fast"], Err(()));
        check(&["--only"], Err(()));
        check(&["--only", "codec"], Err(()));
    }

    #[test]
    fn executables_are_found_in_cargo_messages() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","target":{"name":"xtask","kind":["bin"]},"executable":"/t/release/xtask"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"name":"serde","kind":["lib"]},"executable":null}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
            "\n",
        );
        assert_eq!(
            executable(messages, "xtask"),
            Ok(PathBuf::from("/t/release/xtask"))
        );
        assert!(executable(messages, "xtask-bench-allocs").is_err());
        assert!(executable("not json\n", "xtask").is_err());
    }
}
