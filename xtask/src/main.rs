//! Project chores behind `cargo xtask`: one module per subcommand.
//!
//! - `cargo xtask fixtures [--check]`: regenerate `fixtures/` from the declared table of cases,
//!   or fail when what is committed is stale or orphaned.
//! - `cargo xtask simulate [--json]`: the deterministic retry-policy simulator (SPEC 7).
//! - `cargo xtask bench [--quick] [--json]`: the performance figures of SPEC 7, measured in a
//!   release build.
//! - `cargo xtask fuzz [--smoke]`: the cargo-fuzz targets, seeded from `fixtures/`.
//! - `cargo xtask chaos sync [flags]`: `impact sync` killed at random moments and restarted,
//!   then held to the mock's ground truth (SPEC 11), with impact-cli built in release mode.
//! - `cargo xtask chaos quota [flags]`: `impact sync` processes sharing one quota through a
//!   real Redis against the mock, in real time (SPEC 11, shared quota).

mod bench;
mod chaos;
mod fixtures;
mod fuzz;
mod goals;
mod simulate;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  fixtures [--check]   regenerate fixtures/ from the table of cases (--check: fail if stale)
  simulate [--json]    run the retry-policy simulator (contention, outage, rate limit)
  bench [--quick] [--json]  measure the SPEC 7 figures in a release build (see BENCHMARKS.md)
  fuzz [--smoke | --secs N | --cmin] [--target NAME]...  run the cargo-fuzz targets on seeds from fixtures/
  chaos sync [--kills N] [--seeds A,B,..] [--store sqlite|jsonl|both] [--scale small|medium]
                       SIGKILL impact sync at random moments; hold the store to the ground truth
  chaos quota [--processes 1,4,16] [--latency-rounds N]
                       1 to 16 impact sync processes through one Redis against the mock's quota
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        "fixtures" => fixtures::run(rest),
        "simulate" => simulate::run(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "chaos" => chaos::run(rest),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root: the parent of this crate's manifest directory.
fn project_root() -> std::path::PathBuf {
    let manifest_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| manifest_dir.to_path_buf())
}
