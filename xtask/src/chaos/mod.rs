//! `cargo xtask chaos SCENARIO [flags]`: crash harnesses, one module per scenario.
//!
//! - `sync`: `impact sync` killed with SIGKILL at random moments and restarted against
//!   `impact mock`, then held to the mock's ground truth (SPEC 11, crash safety).
//! - `quota`: `impact sync` processes sharing one account's quota through Redis, alone, beside
//!   a hidden tool and with Redis killed, against `impact mock --quota 300/60` (SPEC 11, shared
//!   quota), and admission latency against `PING`.
//!
//! Like `bench`, the dev-profile xtask only builds: it builds impact-cli and xtask (with the
//! `chaos` feature) in release mode in one cargo invocation and runs that xtask with
//! `chaos --measure --impact PATH`, so that kill moments fall across a run as fast as users
//! see it, and so that the everyday xtask does not compile the HTTP stack.

use std::path::PathBuf;
use std::process::Command;

use crate::project_root;

#[cfg(any(feature = "chaos", feature = "bench"))]
pub(crate) mod control;
#[cfg(feature = "chaos")]
mod quota;
#[cfg(feature = "chaos")]
pub(crate) mod redis;
#[cfg(feature = "chaos")]
mod sync;

/// What `chaos sync` is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyncFlags {
    /// SIGKILLs per seed and store.
    pub(crate) kills: u32,
    pub(crate) seeds: Vec<u64>,
    pub(crate) stores: Vec<StoreKind>,
    /// `small` or `medium`: the mock's `--scale`.
    pub(crate) scale: String,
}

impl Default for SyncFlags {
    fn default() -> SyncFlags {
        SyncFlags {
            kills: 10,
            seeds: vec![1],
            stores: vec![StoreKind::Sqlite, StoreKind::Jsonl],
            scale: "small".to_owned(),
        }
    }
}

/// The store a run syncs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreKind {
    Sqlite,
    Jsonl,
}

impl StoreKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Jsonl => "jsonl",
        }
    }
}

const USAGE: &str = "usage: cargo xtask chaos sync [--kills N] [--seeds A,B,..] \
                     [--store sqlite|jsonl|both] [--scale small|medium]\n       \
                     cargo xtask chaos quota [--processes 1,4,16] [--latency-rounds N]";

fn parse_sync_flags(args: &[String]) -> Result<SyncFlags, String> {
    let mut flags = SyncFlags::default();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .map(String::as_str)
                .ok_or_else(|| format!("chaos sync: {flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--kills" => {
                let text = value()?;
                flags.kills = text
                    .parse()
                    .map_err(|_| format!("chaos sync: --kills {text:?} is not a count"))?;
            }
            "--seeds" => {
                let text = value()?;
                flags.seeds = text
                    .split(',')
                    .map(|seed| seed.trim().parse::<u64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| format!("chaos sync: --seeds {text:?} is not A,B,.."))?;
                if flags.seeds.is_empty() {
                    return Err("chaos sync: --seeds names no seed".to_owned());
                }
            }
            "--store" => {
                flags.stores = match value()? {
                    "sqlite" => vec![StoreKind::Sqlite],
                    "jsonl" => vec![StoreKind::Jsonl],
                    "both" => vec![StoreKind::Sqlite, StoreKind::Jsonl],
                    other => return Err(format!("chaos sync: --store {other:?}\n{USAGE}")),
                }
            }
            "--scale" => {
                flags.scale = match value()? {
                    scale @ ("small" | "medium") => scale.to_owned(),
                    other => return Err(format!("chaos sync: --scale {other:?}\n{USAGE}")),
                }
            }
            other => return Err(format!("chaos sync: unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(flags)
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    match args {
        [measure, flag, impact, rest @ ..] if measure == "--measure" && flag == "--impact" => {
            measure_entry(&PathBuf::from(impact), rest)
        }
        [scenario, rest @ ..] if scenario == "sync" => {
            let flags = parse_sync_flags(rest)?;
            let stores: Vec<&str> = flags.stores.iter().map(|store| store.name()).collect();
            eprintln!(
                "chaos sync: {} kills per seed and store, seeds {:?}, stores {}, {} world",
                flags.kills,
                flags.seeds,
                stores.join(" and "),
                flags.scale
            );
            launch(args)
        }
        [scenario, ..] if scenario == "quota" => launch(args),
        _ => Err(USAGE.to_owned()),
    }
}

#[cfg(feature = "chaos")]
fn measure_entry(impact: &std::path::Path, args: &[String]) -> Result<(), String> {
    match args {
        [scenario, rest @ ..] if scenario == "sync" => sync::run(impact, &parse_sync_flags(rest)?),
        [scenario, rest @ ..] if scenario == "quota" => {
            quota::run(impact, &quota::parse_flags(rest)?)
        }
        _ => Err(USAGE.to_owned()),
    }
}

#[cfg(not(feature = "chaos"))]
fn measure_entry(_: &std::path::Path, _: &[String]) -> Result<(), String> {
    Err("this xtask was built without the chaos feature: run `cargo xtask chaos`".to_owned())
}

/// Builds impact-cli and the chaos xtask in release mode and runs the scenario.
fn launch(args: &[String]) -> Result<(), String> {
    eprintln!("chaos: building impact-cli and xtask in release mode");
    let messages = crate::bench::release_build("xtask/chaos")?;
    let xtask = crate::bench::executable(&messages, "xtask")?;
    let impact = crate::bench::executable(&messages, "impact")?;
    let status = Command::new(&xtask)
        .args(["chaos", "--measure", "--impact"])
        .arg(&impact)
        .args(args)
        .current_dir(project_root())
        .status()
        .map_err(|error| format!("cannot run {}: {error}", xtask.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("chaos {} failed ({status})", args.join(" ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &[&str], expect: Result<SyncFlags, ()>) {
        let args: Vec<String> = input.iter().map(|arg| (*arg).to_owned()).collect();
        assert_eq!(parse_sync_flags(&args).map_err(|_| ()), expect, "{input:?}");
    }

    #[test]
    fn sync_flags() {
        check(&[], Ok(SyncFlags::default()));
        check(
            &[
                "--kills", "100", "--seeds", "1,2,3", "--store", "jsonl", "--scale", "medium",
            ],
            Ok(SyncFlags {
                kills: 100,
                seeds: vec![1, 2, 3],
                stores: vec![StoreKind::Jsonl],
                scale: "medium".to_owned(),
            }),
        );
        check(&["--kills"], Err(()));
        check(&["--kills", "many"], Err(()));
        check(&["--seeds", "1,x"], Err(()));
        check(&["--store", "postgres"], Err(()));
        check(&["--scale", "large"], Err(()));
        check(&["--fast"], Err(()));
    }
}
