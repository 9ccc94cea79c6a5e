//! `impact sync`: copies an account's data into SQLite or JSONL, completely, resumably and
//! within the quota (SPEC 9), with impact-sync's runner on the real client.
//!
//! One runner reads the streams in the table's order (parents before the streams fanned out
//! over them), each to its end, committing every page with its checkpoint. A stream of the
//! default list that answers 403 is skipped with a note (discovery: the token cannot read it);
//! any other failure stops the command with the exit code of SPEC 6, and running the same
//! command again resumes every stream where it stood.

mod args;
mod progress;

use std::sync::{Arc, Mutex};

use impact_client::{ApiKind, Client};
use impact_sync::{
    ClientSource, JsonlStore, Runner, SqliteStore, Store, StoreErrorKind, StreamSpec, SyncError,
    SyncErrorKind,
};
use serde::Serialize;

pub(crate) use args::SyncArgs;
use args::Target;
use progress::Progress;

use crate::api::{Failure, report_client_failure};
use crate::connect::{self, Credentials, QuotaStore};
use crate::exit::Exit;

/// Runs `impact sync`.
pub(crate) fn run(args: SyncArgs) -> Exit {
    let chosen = match args.streams() {
        Ok(chosen) => chosen,
        Err(message) => return usage(&args, &message),
    };
    let exit = connect::run_connected(args.connect.quota_store_url(), |credentials, store| {
        sync(&args, credentials, store, &chosen)
    });
    exit.unwrap_or_else(|message| usage(&args, &message))
}

/// The streams a run reads, and whether they are the default list (then a 403 skips one).
pub(crate) struct Chosen {
    streams: Vec<&'static StreamSpec>,
    discovered: bool,
}

async fn sync(
    args: &SyncArgs,
    credentials: Credentials,
    store: QuotaStore,
    chosen: &Chosen,
) -> Exit {
    let token = credentials.token.clone();
    let builder = Client::builder()
        .api(args.api.into())
        .account_sid(credentials.sid)
        .auth_token(credentials.token)
        .base_url(args.connect.base_url.clone())
        .retry_policy(args.retry.policy());
    let client = match connect::with_quota_store(builder, store, "sync").build() {
        Ok(client) => client,
        Err(error) => return usage(args, &error.to_string()),
    };
    let source = ClientSource::new(client, &token);
    drop(token);
    let store = match open(&args.to) {
        Ok(store) => store,
        Err(message) => return usage(args, &message),
    };
    let mut runner = Runner::new(source, store).options(args.options());
    if let Some(calls) = args.max_calls {
        runner = runner.max_calls(calls);
    }
    if args.plan {
        return plan(args, runner, chosen).await;
    }
    let progress = Arc::new(Mutex::new(Progress::new()));
    let events = Arc::clone(&progress);
    let mut runner = runner.on_event(move |event| progress::lock(&events).event(event));
    // A pass over the chosen streams: after a crash or a stop, the same command reads only the
    // streams it had not finished.
    let pass = match runner.begin_pass(&chosen.streams) {
        Ok(pass) => pass,
        Err(error) => return report_sync_failure(args, &error),
    };
    if pass.resumed {
        crate::say!(
            "impact sync: resuming the stopped run: {} of {} streams left",
            pass.streams.len(),
            chosen.streams.len()
        );
    }
    for spec in &pass.streams {
        let result = runner.sync(spec).await;
        progress::lock(&progress).stream_ended(spec.name(), result.as_ref().ok());
        match result {
            Ok(report) if report.complete => {}
            Ok(_) => {
                crate::say!(
                    "impact sync: stopped at --max-calls {}; run the same command again to go on",
                    args.max_calls.unwrap_or_default()
                );
                return Exit::Success;
            }
            Err(error) if chosen.discovered && is_forbidden(&error) => {
                crate::say!(
                    "impact sync: skipping {}: the token cannot read it (403)",
                    spec.name()
                );
                if let Err(error) = runner.skip_in_pass(spec) {
                    return report_sync_failure(args, &error);
                }
            }
            Err(error) => return report_sync_failure(args, &error),
        }
    }
    Exit::Success
}

/// Opens the store `--to` names.
fn open(target: &Target) -> Result<Box<dyn Store + Send>, String> {
    let opened: Result<Box<dyn Store + Send>, _> = match target {
        Target::Sqlite(path) => SqliteStore::open(path).map(|store| Box::new(store) as _),
        Target::Jsonl(dir) => JsonlStore::open(dir).map(|store| Box::new(store) as _),
    };
    opened.map_err(|error| match error.kind() {
        StoreErrorKind::Locked => format!(
            "--to {target}: another sync is writing to this store; wait for it to end (the lock \
             is released when its process ends, however it ends)"
        ),
        _ => format!("--to {target}: {error}"),
    })
}

/// Whether a stream stopped on a 403: its endpoint is not open to this token.
fn is_forbidden(error: &SyncError) -> bool {
    error
        .client_error()
        .and_then(impact_client::Error::api_error)
        .and_then(impact_errors::Report::http_status)
        .is_some_and(|status| status.as_u16() == 403)
}

/// `--plan`: the calls each stream's next run makes at least and the time the quota needs
/// for them; the only calls made are the reads of parent lists that fan-outs need.
async fn plan<S, St>(args: &SyncArgs, mut runner: Runner<S, St>, chosen: &Chosen) -> Exit
where
    S: impact_sync::Source,
    St: Store,
{
    let mut plans = Vec::new();
    for spec in &chosen.streams {
        match runner.plan(spec).await {
            Ok(plan) => plans.push(plan),
            Err(error) if chosen.discovered && is_forbidden(&error) => {
                crate::say!(
                    "impact sync: skipping {}: the token cannot read what it fans out over (403)",
                    spec.name()
                );
            }
            Err(error) => return report_sync_failure(args, &error),
        }
    }
    match crate::output::stdout(progress::plan_table(&plans).as_bytes()) {
        Ok(()) => Exit::Success,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Exit::Success,
        Err(error) => {
            crate::say!("impact sync: cannot write the plan to stdout: {error}");
            Exit::Usage
        }
    }
}

/// A usage or configuration error: a message, and with `--json-errors` a JSON line.
fn usage(args: &SyncArgs, message: &str) -> Exit {
    crate::api::UsageError {
        command: "impact sync",
        json_errors: args.json_errors,
    }
    .report(message)
}

/// The `--json-errors` object of a failure that is not a call's.
#[derive(Debug, Serialize)]
struct SyncFailureLine<'a> {
    error: &'a str,
    message: String,
    stream: Option<&'a str>,
}

/// Explains why the sync stopped and gives the exit code: a call's failure as `impact api`
/// explains it (exit 1, 3 or 4), a store that cannot be written exit 2, anything else the API
/// sent that cannot be used exit 1. Everything committed stays: the same command resumes.
fn report_sync_failure(args: &SyncArgs, error: &SyncError) -> Exit {
    let stream = error.stream().unwrap_or("?");
    crate::say!("impact sync: {error}");
    crate::say!("impact sync: what was read is kept; run the same command again to go on");
    if let Some(client) = error.client_error() {
        let failure = Failure {
            prefix: format!("impact sync: {stream}: GET"),
            path: stream,
            json_errors: args.json_errors,
            max_wait: args.retry.max_wait,
        };
        return report_client_failure(&failure, client);
    }
    let exit = match error.kind() {
        SyncErrorKind::Store | SyncErrorKind::InvalidOptions => Exit::Usage,
        _ => Exit::ApiError,
    };
    if args.json_errors {
        crate::output::json_line(&SyncFailureLine {
            error: error.kind().as_str(),
            message: error.to_string(),
            stream: error.stream(),
        });
    }
    exit
}

/// The streams of `api`, as `--streams` names them or the default list.
fn streams_of(api: ApiKind, names: Option<&[String]>) -> Result<Chosen, String> {
    let table = impact_sync::streams(api);
    let Some(names) = names else {
        return Ok(Chosen {
            streams: table.iter().filter(|spec| spec.is_default()).collect(),
            discovered: true,
        });
    };
    let mut streams = Vec::new();
    for name in names {
        let spec = StreamSpec::find(api, name).ok_or_else(|| {
            let known: Vec<&str> = table.iter().map(StreamSpec::name).collect();
            format!(
                "--streams: {name:?} is not a stream of this API; the streams are {}",
                known.join(", ")
            )
        })?;
        if !streams.contains(&spec) {
            streams.push(spec);
        }
    }
    // The table's order: parents before the streams fanned out over them.
    streams.sort_by_key(|spec| table.iter().position(|row| row == *spec));
    Ok(Chosen {
        streams,
        discovered: false,
    })
}
