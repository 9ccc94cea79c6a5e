//! `cargo xtask fuzz [--smoke | --secs N | --cmin] [--target NAME]...`: runs the cargo-fuzz
//! targets of `fuzz/`, each on a corpus seeded from `fixtures/` at run time, or minimises the
//! corpora they grew (`--cmin`).
//!
//! The seeds are rebuilt on every run from the committed fixtures, so that a regression input
//! added to the fixture table is replayed by every later run; the corpora that libFuzzer grows
//! stay out of git. One `cargo fuzz build` compiles every target, then each runs in turn. Any
//! crash, timeout, leak or memory blow-up fails the command and names the input that caused it.
//! libFuzzer's output streams through to stderr; the command ends with a table of executions,
//! coverage (`cov:` edges, `ft:` features) and corpus sizes per target.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Every fuzz target of `fuzz/Cargo.toml`, with how its seeds are made.
const TARGETS: [(&str, Seeds); 6] = [
    ("decode_auto", Seeds::StatusPrefixedBodies),
    ("decode_json", Seeds::Bodies),
    ("decode_xml", Seeds::Bodies),
    ("page_meta", Seeds::Bodies),
    ("rate_limit_headers", Seeds::HeaderBlocks),
    ("retry_after", Seeds::HeaderValues),
];

/// How long each target runs with `--smoke`.
const SMOKE_SECS: u64 = 20;

/// The memory a target may use before libFuzzer reports it as a blow-up. Decoding a body of at
/// most `MAX_INPUT_BYTES` must stay far below it.
const RSS_LIMIT_MB: u64 = 1024;

/// The largest single allocation libFuzzer tolerates: a decoder that allocates in proportion
/// to a number read from its input instead of to the input's length shows up here.
const MALLOC_LIMIT_MB: u64 = 256;

/// The longest input libFuzzer generates; API bodies that matter are far shorter.
const MAX_INPUT_BYTES: usize = 64 * 1024;

/// A single input taking longer than this is a hang.
const INPUT_TIMEOUT_SECS: u64 = 10;

/// The Unix time the fixture exchanges were received at (see `fixtures::RECEIVED_AT_UNIX`),
/// as the `rate_limit_headers` target reads it from its first four bytes (divided by three).
const RECEIVED_AT_UNIX: u64 = 1_764_072_000;

const USAGE: &str = "usage: cargo xtask fuzz [--smoke | --secs N | --cmin] [--target NAME]...";

/// How a target's inputs are laid out, and so how fixtures become its seeds.
#[derive(Clone, Copy)]
enum Seeds {
    /// Raw bodies.
    Bodies,
    /// Bodies behind two bytes of HTTP status.
    StatusPrefixedBodies,
    /// Four bytes of "now" (divided by three), then `name: value` header lines.
    HeaderBlocks,
    /// Single header values (`Retry-After`, resets, dates).
    HeaderValues,
}

/// What one target's run (or minimisation) found.
struct Outcome {
    target: &'static str,
    summary: Summary,
    corpus_before: usize,
    corpus_after: usize,
    passed: bool,
}

/// What `cargo xtask fuzz` was asked to do.
enum Task {
    /// Run each target for this many seconds.
    Run { secs: u64 },
    /// Minimise each target's corpus.
    Minimise,
}

/// Entry point of `cargo xtask fuzz`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let Some((task, only)) = parse_args(args)? else {
        println!("{USAGE}");
        return Ok(());
    };
    let root = project_root();
    let fuzz_dir = root.join("fuzz");
    ensure_cargo_fuzz()?;

    // One build for every target; `run` and `cmin` below reuse it because the flags are the
    // same. `-a` keeps debug assertions and overflow checks, so arithmetic on hostile numbers
    // counts.
    let status = Command::new("cargo")
        .args(["+nightly", "fuzz", "build", "-a"])
        .current_dir(&fuzz_dir)
        .status()
        .map_err(|e| format!("cannot run cargo +nightly fuzz build: {e}"))?;
    if !status.success() {
        return Err(format!("cargo +nightly fuzz build failed ({status})"));
    }

    let fixtures = root.join("fixtures");
    let mut outcomes = Vec::new();
    for (target, seeds) in TARGETS {
        if !only.is_empty() && !only.iter().any(|name| name == target) {
            continue;
        }
        let corpus = fuzz_dir.join("corpus").join(target);
        match task {
            Task::Run { secs } => {
                let seeded = write_seeds(&fixtures, &corpus, seeds)?;
                eprintln!("==> fuzz {target}: {secs} s from {seeded} seeds");
                outcomes.push(run_target(&fuzz_dir, target, &corpus, secs)?);
            }
            Task::Minimise => {
                eprintln!("==> minimise the corpus of {target}");
                outcomes.push(minimise(&fuzz_dir, target, &corpus)?);
            }
        }
    }
    print_table(&outcomes);
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| o.target)
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzzing found crashes in {}: the inputs are under fuzz/artifacts/; fix them and add each as a regression fixture",
            failed.join(", ")
        ))
    }
}

/// The task and the targets named (none: every target), or `None` when help was asked for.
fn parse_args(args: &[String]) -> Result<Option<(Task, Vec<String>)>, String> {
    let mut task = None;
    let mut only: Vec<String> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--smoke" => task = Some(Task::Run { secs: SMOKE_SECS }),
            "--cmin" => task = Some(Task::Minimise),
            "--secs" => {
                let value = args
                    .next()
                    .ok_or_else(|| format!("--secs needs a value\n{USAGE}"))?;
                let secs = value
                    .parse::<u64>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--secs wants a positive number, not {value:?}"))?;
                task = Some(Task::Run { secs });
            }
            "--target" => {
                let value = args
                    .next()
                    .ok_or_else(|| format!("--target needs a name\n{USAGE}"))?;
                if !TARGETS.iter().any(|(name, _)| name == value) {
                    let names: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
                    return Err(format!(
                        "unknown fuzz target {value:?}; known: {}",
                        names.join(", ")
                    ));
                }
                only.push(value.clone());
            }
            "-h" | "--help" => return Ok(None),
            other => {
                return Err(format!(
                    "unknown argument {other:?} for `cargo xtask fuzz`\n{USAGE}"
                ));
            }
        }
    }
    let task = task.ok_or_else(|| {
        format!("say what: --smoke ({SMOKE_SECS} s each), --secs N or --cmin\n{USAGE}")
    })?;
    Ok(Some((task, only)))
}

/// One line per target: executions, coverage (libFuzzer's `cov:` and `ft:` at the end of the
/// run), the corpus before and after, and whether anything was found.
fn print_table(outcomes: &[Outcome]) {
    let number = |n: Option<u64>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
    println!(
        "{:<20} {:>14} {:>8} {:>8} {:>14}  result",
        "target", "executions", "cov", "ft", "corpus"
    );
    for outcome in outcomes {
        let result = if outcome.passed {
            "no findings"
        } else {
            "FINDING"
        };
        let corpus = format!("{} -> {}", outcome.corpus_before, outcome.corpus_after);
        println!(
            "{:<20} {:>14} {:>8} {:>8} {corpus:>14}  {result}",
            outcome.target,
            number(outcome.summary.runs),
            number(outcome.summary.cov),
            number(outcome.summary.ft),
        );
    }
}

/// The repository root. Kept local (rather than `crate::project_root`) so that this module
/// stands on its own.
fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}

/// Installs cargo-fuzz from crates.io when it is missing.
fn ensure_cargo_fuzz() -> Result<(), String> {
    let present = Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if present {
        return Ok(());
    }
    eprintln!("==> installing cargo-fuzz");
    let status = Command::new("cargo")
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .map_err(|e| format!("cannot run cargo install: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo install cargo-fuzz failed ({status})"))
    }
}

/// Runs one target for `secs` seconds and reads libFuzzer's summary from its output, which is
/// passed through to stderr line by line as it comes, so that a long run can be watched.
fn run_target(
    fuzz_dir: &Path,
    target: &'static str,
    corpus: &Path,
    secs: u64,
) -> Result<Outcome, String> {
    let corpus_before = count_files(corpus);
    let mut child = Command::new("cargo")
        .args(["+nightly", "fuzz", "run", "-a", target])
        .arg(corpus)
        .arg("--")
        .arg(format!("-max_total_time={secs}"))
        .args(limits())
        .arg("-print_final_stats=1")
        .current_dir(fuzz_dir)
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo +nightly fuzz run {target}: {e}"))?;
    let mut summary = Summary::default();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let line = line.map_err(|e| format!("cannot read the output of {target}: {e}"))?;
            eprintln!("{line}");
            summary.read(&line);
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("cannot wait for cargo +nightly fuzz run {target}: {e}"))?;
    Ok(Outcome {
        target,
        summary,
        corpus_before,
        corpus_after: count_files(corpus),
        passed: status.success(),
    })
}

/// The resource limits every run and minimisation uses (see the constants above).
fn limits() -> [String; 4] {
    [
        format!("-rss_limit_mb={RSS_LIMIT_MB}"),
        format!("-malloc_limit_mb={MALLOC_LIMIT_MB}"),
        format!("-max_len={MAX_INPUT_BYTES}"),
        format!("-timeout={INPUT_TIMEOUT_SECS}"),
    ]
}

/// Minimises one target's corpus with `cargo fuzz cmin` (libFuzzer's `-merge=1`): the smallest
/// set of inputs that keeps the coverage of them all.
fn minimise(fuzz_dir: &Path, target: &'static str, corpus: &Path) -> Result<Outcome, String> {
    let corpus_before = count_files(corpus);
    if corpus_before == 0 {
        return Err(format!(
            "{} is empty: run the target first",
            corpus.display()
        ));
    }
    let status = Command::new("cargo")
        .args(["+nightly", "fuzz", "cmin", "-a", target])
        .arg(corpus)
        .arg("--")
        .args(limits())
        .current_dir(fuzz_dir)
        .status()
        .map_err(|e| format!("cannot run cargo +nightly fuzz cmin {target}: {e}"))?;
    Ok(Outcome {
        target,
        summary: Summary::default(),
        corpus_before,
        corpus_after: count_files(corpus),
        passed: status.success(),
    })
}

fn count_files(dir: &Path) -> usize {
    fs::read_dir(dir).map(|dir| dir.count()).unwrap_or(0)
}

/// What libFuzzer's output says about a run: the executions of its final statistics
/// (`stat::number_of_executed_units`) and the coverage of its last status line (`cov:` edges
/// and `ft:` features).
#[derive(Default)]
struct Summary {
    runs: Option<u64>,
    cov: Option<u64>,
    ft: Option<u64>,
}

impl Summary {
    fn read(&mut self, line: &str) {
        if let Some(runs) = line.strip_prefix("stat::number_of_executed_units:") {
            self.runs = runs.trim().parse().ok();
        }
        if line.starts_with('#') {
            let mut words = line.split_whitespace();
            while let Some(word) = words.next() {
                match word {
                    "cov:" => self.cov = words.next().and_then(|n| n.parse().ok()),
                    "ft:" => self.ft = words.next().and_then(|n| n.parse().ok()),
                    _ => {}
                }
            }
        }
    }
}

/// Writes the seeds of one target into its corpus directory and returns how many there are.
/// Inputs libFuzzer added in earlier runs stay: they are the coverage it already reached.
fn write_seeds(fixtures: &Path, corpus: &Path, seeds: Seeds) -> Result<usize, String> {
    fs::create_dir_all(corpus).map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, bytes) in read_dir_files(&fixtures.join("bodies"))? {
        match seeds {
            Seeds::Bodies => inputs.push((name, bytes)),
            Seeds::StatusPrefixedBodies => {
                let status = status_in_name(&name);
                inputs.push((name, [&status.to_be_bytes()[..], &bytes].concat()));
            }
            Seeds::HeaderBlocks | Seeds::HeaderValues => {}
        }
    }
    for (name, bytes) in read_dir_files(&fixtures.join("exchanges"))? {
        let Some((head, body)) = split_exchange(&bytes) else {
            continue;
        };
        let status = status_line_code(head);
        match seeds {
            Seeds::Bodies => inputs.push((name, body.to_vec())),
            Seeds::StatusPrefixedBodies => {
                inputs.push((name, [&status.to_be_bytes()[..], body].concat()));
            }
            Seeds::HeaderBlocks => {
                let now = u32::try_from(RECEIVED_AT_UNIX / 3).unwrap_or(u32::MAX);
                let headers = head.splitn(2, |&b| b == b'\n').nth(1).unwrap_or_default();
                inputs.push((name, [&now.to_be_bytes()[..], headers].concat()));
            }
            Seeds::HeaderValues => {
                for (index, line) in head.split(|&b| b == b'\n').skip(1).enumerate() {
                    if let Some(colon) = line.iter().position(|&b| b == b':') {
                        let value = line[colon + 1..].trim_ascii();
                        inputs.push((format!("{name}.{index}"), value.to_vec()));
                    }
                }
            }
        }
    }
    if matches!(seeds, Seeds::HeaderValues) {
        // The three date forms RFC 9110 obliges a recipient to read.
        for (index, date) in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ]
        .iter()
        .enumerate()
        {
            inputs.push((format!("rfc9110-date-{index}"), date.as_bytes().to_vec()));
        }
    }
    for (name, bytes) in &inputs {
        let path = corpus.join(format!("seed-{name}"));
        fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(inputs.len())
}

/// Every regular file of a directory, by name, in name order.
fn read_dir_files(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        files.push((name, bytes));
    }
    files.sort();
    Ok(files)
}

/// The status a fixture body's name carries (`envelope-400-compact.json` is 400), else 200.
fn status_in_name(name: &str) -> u16 {
    name.split(['-', '.'])
        .find(|part| part.len() == 3 && part.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|part| part.parse().ok())
        .unwrap_or(200)
}

/// Splits a recorded HTTP/1.1 response into its head (status line and headers) and body.
fn split_exchange(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    for separator in [&b"\r\n\r\n"[..], b"\n\n"] {
        if let Some(at) = bytes.windows(separator.len()).position(|w| w == separator) {
            return Some((&bytes[..at], &bytes[at + separator.len()..]));
        }
    }
    None
}

/// The status code of a head's status line, or 200 when it cannot be read.
fn status_line_code(head: &[u8]) -> u16 {
    head.split(|&b| b == b' ')
        .nth(1)
        .and_then(|code| std::str::from_utf8(code).ok())
        .and_then(|code| code.parse().ok())
        .unwrap_or(200)
}
