//! The flags of `impact sync` (SPEC 9.1) and their parsers.

use std::fmt;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use impact_client::ApiKind;
use impact_sync::{SyncOptions, Timestamp};

use super::{Chosen, streams_of};
use crate::connect::{ConnectArgs, RetryArgs};

/// Which API to sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SyncApi {
    /// The Partner API, under `/Mediapartners/{SID}`.
    Partner,
    /// The Brand API, under `/Advertisers/{SID}`.
    Brand,
}

impl From<SyncApi> for ApiKind {
    fn from(api: SyncApi) -> ApiKind {
        match api {
            SyncApi::Partner => ApiKind::Partner,
            SyncApi::Brand => ApiKind::Brand,
        }
    }
}

/// Where the streams land.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `sqlite:PATH`: one SQLite file.
    Sqlite(PathBuf),
    /// `jsonl:DIR`: a directory of JSONL files.
    Jsonl(PathBuf),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Target::Jsonl(dir) => write!(f, "jsonl:{}", dir.display()),
        }
    }
}

/// Parses `--to`: `sqlite:PATH` or `jsonl:DIR`.
fn parse_target(text: &str) -> Result<Target, String> {
    let (kind, place) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not sqlite:PATH or jsonl:DIR"))?;
    if place.trim().is_empty() {
        return Err(format!("{text:?} names no path"));
    }
    match kind {
        "sqlite" => Ok(Target::Sqlite(PathBuf::from(place))),
        "jsonl" => Ok(Target::Jsonl(PathBuf::from(place))),
        _ => Err(format!(
            "{kind:?} is not a store: use sqlite:PATH or jsonl:DIR"
        )),
    }
}

/// Parses `--start-date`: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 date-time.
fn parse_start(text: &str) -> Result<Timestamp, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD)"))
}

/// Parses a positive count with an upper bound.
fn positive(text: &str, max: u64, what: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is out of range: {what} must be 1 to {max}"
        )),
    }
}

fn parse_days(text: &str) -> Result<u32, String> {
    // Three years: nothing the API serves lies further back.
    positive(text, 1_096, "days").map(|n| n as u32)
}

fn parse_lookback(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n <= 1_096 => Ok(n),
        _ => Err(format!(
            "{text:?} is out of range: the lookback must be 0 to 1096 days"
        )),
    }
}

fn parse_page_size(text: &str) -> Result<u32, String> {
    positive(text, 20_000, "the page size").map(|n| n as u32)
}

fn parse_max_calls(text: &str) -> Result<u64, String> {
    positive(text, u64::from(u32::MAX), "the call limit")
}

/// The arguments of `impact sync` (SPEC 9.1).
///
/// ```text
/// impact sync                                        # every stream the token can read, to ./impact.sqlite3
/// impact sync --to jsonl:out --streams Actions,ActionUpdates --api brand
/// impact sync --plan                                 # the calls and the quota time, nothing read
/// ```
#[derive(Debug, Clone, Args)]
pub(crate) struct SyncArgs {
    /// Where the streams land: sqlite:PATH (one file) or jsonl:DIR (a file per stream).
    #[arg(long, value_name = "sqlite:PATH|jsonl:DIR", default_value = "sqlite:impact.sqlite3", value_parser = parse_target)]
    pub(crate) to: Target,

    /// Which API to sync.
    #[arg(long, value_enum, default_value = "partner")]
    pub(crate) api: SyncApi,

    /// The streams to sync, by the API's list keys (Campaigns,Actions,...); default every
    /// stream the token can read (a 403 skips a stream with a note).
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub(crate) streams: Option<Vec<String>>,

    /// The first day of the first run (default three years back, the API's floor).
    #[arg(long = "start-date", value_name = "YYYY-MM-DD", value_parser = parse_start)]
    pub(crate) start_date: Option<Timestamp>,

    /// How far before the end of the last complete run a later run starts reading again, in
    /// days (default each stream's own: 88 for actions).
    #[arg(long = "lookback-days", value_name = "N", value_parser = parse_lookback)]
    pub(crate) lookback_days: Option<u32>,

    /// The length of date windows in days, at most the API's limit (default the limit, 45).
    #[arg(long = "window-days", value_name = "N", value_parser = parse_days)]
    pub(crate) window_days: Option<u32>,

    /// The page size, kept within what each list accepts (default the largest).
    #[arg(long = "page-size", value_name = "N", value_parser = parse_page_size)]
    pub(crate) page_size: Option<u32>,

    /// Stop (resumably, exit 0) after this many calls; the same command goes on.
    #[arg(long = "max-calls", value_name = "N", value_parser = parse_max_calls)]
    pub(crate) max_calls: Option<u64>,

    /// Print the calls each stream's run would make and the time the quota needs for them;
    /// make no call but the reads of the parent lists fan-outs need.
    #[arg(long)]
    pub(crate) plan: bool,

    /// On failure, make the last line of stderr one JSON object describing it.
    #[arg(long = "json-errors")]
    pub(crate) json_errors: bool,

    #[command(flatten)]
    pub(crate) connect: ConnectArgs,

    #[command(flatten)]
    pub(crate) retry: RetryArgs,
}

impl SyncArgs {
    /// The streams to read, checked against the API's table.
    pub(crate) fn streams(&self) -> Result<Chosen, String> {
        streams_of(self.api.into(), self.streams.as_deref())
    }

    /// The library's options from the flags.
    pub(crate) fn options(&self) -> SyncOptions {
        let mut options = SyncOptions::new();
        if let Some(start) = self.start_date {
            options = options.start(start);
        }
        if let Some(days) = self.lookback_days {
            options = options.lookback_days(days);
        }
        if let Some(days) = self.window_days {
            options = options.window_days(days);
        }
        if let Some(size) = self.page_size {
            options = options.page_size(size);
        }
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: PartialEq + fmt::Debug + Clone>(
        parse: fn(&str) -> Result<T, String>,
        cases: &[(&str, Result<T, &str>)],
    ) {
        for (input, expect) in cases {
            assert_eq!(
                parse(input),
                expect.clone().map_err(str::to_owned),
                "{input:?}"
            );
        }
    }

    #[test]
    fn targets_name_a_store_kind_and_a_place() {
        check(
            parse_target,
            &[
                ("sqlite:a.db", Ok(Target::Sqlite("a.db".into()))),
                ("jsonl:out/dir", Ok(Target::Jsonl("out/dir".into()))),
                ("sqlite:C:/x", Ok(Target::Sqlite("C:/x".into()))),
                ("a.db", Err("\"a.db\" is not sqlite:PATH or jsonl:DIR")),
                ("sqlite:", Err("\"sqlite:\" names no path")),
                (
                    "postgres:x",
                    Err("\"postgres\" is not a store: use sqlite:PATH or jsonl:DIR"),
                ),
            ],
        );
    }

    #[test]
    fn counts_are_bounded() {
        check(
            parse_days,
            &[
                ("45", Ok(45)),
                ("0", Err("\"0\" is out of range: days must be 1 to 1096")),
                ("x", Err("\"x\" is out of range: days must be 1 to 1096")),
            ],
        );
        check(
            parse_lookback,
            &[
                ("0", Ok(0)),
                ("88", Ok(88)),
                (
                    "2000",
                    Err("\"2000\" is out of range: the lookback must be 0 to 1096 days"),
                ),
            ],
        );
        check(
            parse_page_size,
            &[
                ("20000", Ok(20_000)),
                (
                    "20001",
                    Err("\"20001\" is out of range: the page size must be 1 to 20000"),
                ),
            ],
        );
        check(
            parse_start,
            &[
                (
                    "2024-05-01",
                    Ok("2024-05-01T00:00:00Z".parse().expect("a date")),
                ),
                ("May 1", Err("\"May 1\" is not a date (YYYY-MM-DD)")),
            ],
        );
    }

    #[test]
    fn streams_are_the_tables_names_in_its_order() {
        let names = |list: &[&str]| -> Result<Vec<&str>, String> {
            let owned: Vec<String> = list.iter().map(|name| (*name).to_owned()).collect();
            streams_of(ApiKind::Partner, Some(&owned))
                .map(|chosen| chosen.streams.iter().map(|spec| spec.name()).collect())
        };
        assert_eq!(
            names(&["Actions", "Campaigns", "Actions"]),
            Ok(vec!["Campaigns", "Actions"])
        );
        assert!(names(&["actions"]).is_err_and(|message| message.contains("ActionUpdates")));
        let default = streams_of(ApiKind::Partner, None).expect("the default list");
        assert!(default.discovered);
        assert!(default.streams.iter().all(|spec| spec.is_default()));
    }
}
