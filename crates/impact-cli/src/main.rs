//! The `impact` command line: explains impact.com API answers, calls the APIs, runs the mock
//! and the demo (SPEC 6).
//!
//! This file only parses the command line and dispatches; each subcommand lives in its own
//! module, and the exit codes every subcommand shares are defined in [`exit`]. Reports go to
//! stdout and nothing else does, so `impact ... | jq` always works; messages go to stderr.
//!
//! ```text
//! impact explain body.json --status 400
//! impact explain - --status 200 --content-type application/xml --json < body.xml
//! impact api /Campaigns --paginate
//! impact sync --to sqlite:impact.sqlite3
//! impact mock
//! impact demo
//! ```

mod api;
mod connect;
mod demo;
mod exit;
mod explain;
mod logging;
mod mock;
#[macro_use]
mod output;
mod report;
mod sync;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit::Exit;

/// Call the impact.com APIs and explain their answers: what failed, whether to retry, which
/// fields to fix.
///
/// Exit codes: 0 success; 1 the API answered with an error; 2 usage or configuration error;
/// 3 transport failure or timeout; 4 rate limited beyond the allowed wait.
#[derive(Debug, Parser)]
#[command(name = "impact", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands, one module each.
#[derive(Debug, Subcommand)]
enum Command {
    /// Decode a response body (a file or stdin) and explain it: what the error means,
    /// whether it is worth retrying, which fields are wrong. Exits 0 whenever a report was
    /// printed, whatever the body held.
    Explain(explain::ExplainArgs),
    /// Call the API (credentials from IMPACT_ACCOUNT_SID and IMPACT_AUTH_TOKEN) with retries,
    /// backoff and rate-limit handling; print the body, or every item with --paginate.
    Api(api::ApiArgs),
    /// Run the loopback mock of the API in the foreground; the first stdout line is its base
    /// URL. Serves until interrupted.
    Mock(mock::MockArgs),
    /// Copy the account's data into SQLite or JSONL, completely and resumably, within the
    /// quota (credentials from IMPACT_ACCOUNT_SID and IMPACT_AUTH_TOKEN). Run it again to
    /// resume or to read what changed.
    Sync(sync::SyncArgs),
    /// Walk through every error class against an in-process mock with the real client,
    /// showing what the server did and what the client decided and why.
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    // clap prints its own usage errors on stderr and exits with 2, the code SPEC 6 gives to
    // usage errors; `--help` and `--version` exit with 0.
    let cli = Cli::parse();
    let exit: Exit = match cli.command {
        Command::Explain(args) => explain::run(args),
        Command::Api(args) => api::run(args),
        Command::Mock(args) => mock::run(args),
        Command::Sync(args) => sync::run(args),
        Command::Demo(args) => demo::run(args),
    };
    exit.into()
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        // clap checks the declared arguments for conflicts and malformed attributes here.
        super::Cli::command().debug_assert();
    }
}
