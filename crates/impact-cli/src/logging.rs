//! Logs for the commands that talk to a server: `tracing` events to stderr, filtered by
//! `RUST_LOG` (default `warn`), so that stdout carries only bodies, items and reports (SPEC 6).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter used when `RUST_LOG` is unset or cannot be read.
pub(crate) const DEFAULT_FILTER: &str = "warn";

/// Installs the stderr logger for this process.
///
/// The default fmt writer writes each event synchronously, so that once a command's work is
/// done nothing it logged can arrive after its final report on stderr. Colours are used only
/// on a terminal and never when `NO_COLOR` is set. The client and the mock never log the auth
/// token, nothing here logs the environment or request headers, and the writer redacts the
/// token all the same ([`crate::output`]).
pub(crate) fn init() {
    let (filter, bad_filter) = match std::env::var("RUST_LOG") {
        Ok(text) if !text.trim().is_empty() => match EnvFilter::try_new(text.trim()) {
            Ok(filter) => (filter, false),
            Err(_) => (EnvFilter::new(DEFAULT_FILTER), true),
        },
        _ => (EnvFilter::new(DEFAULT_FILTER), false),
    };
    let stderr = std::io::stderr();
    let ansi = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // Another subscriber can only be installed already if this were called twice; then the
    // first one simply stays.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| crate::output::RedactingStderr)
        .with_ansi(ansi)
        .try_init();
    if bad_filter {
        // The value is not repeated: whatever it is, it is not ours to echo.
        tracing::warn!("RUST_LOG could not be read as a filter; logging at warn");
    }
}
