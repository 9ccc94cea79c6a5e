//! Everything the command line writes goes through here, so that the auth token never
//! reaches stdout or stderr, whatever a server echoed and whatever `RUST_LOG` says (SPEC 6.2):
//! the last line of defence after the client's own redaction. The token, its percent-encodings
//! and its Basic encoding (with the SID) become `<redacted>`.

use std::io::{self, Write};
use std::sync::OnceLock;

use impact_sync::Redactor;

static REDACTOR: OnceLock<Redactor> = OnceLock::new();

/// Redacts this token (and the Basic credentials of `sid` with it, when the SID is known)
/// from everything written from now on. The first call wins; commands call it once, before
/// anything reaches a server.
pub(crate) fn protect(sid: Option<&str>, token: &str) {
    let redactor = match sid {
        Some(sid) => Redactor::new(sid, token),
        None => Redactor::for_token(token),
    };
    let _ = REDACTOR.set(redactor);
}

fn redact(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match REDACTOR.get() {
        Some(redactor) => redactor.redact(bytes),
        None => std::borrow::Cow::Borrowed(bytes),
    }
}

/// Writes bytes to stdout, redacted, and flushes them.
pub(crate) fn stdout(bytes: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(&redact(bytes))?;
    stdout.flush()
}

/// Writes text to stderr, redacted. A stderr that cannot be written has no one to tell.
pub(crate) fn stderr(text: &str) {
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_all(&redact(text.as_bytes()));
    let _ = stderr.flush();
}

/// `eprintln!` through the redaction.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        let mut text = format!($($arg)*);
        text.push('\n');
        $crate::output::stderr(&text);
    }};
}

/// A writer of stderr that redacts what it is given: the log's writer. The log formats each
/// event into one buffer and writes it at once, so a secret is never split between writes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RedactingStderr;

impl Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut stderr = io::stderr().lock();
        stderr.write_all(&redact(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// Prints one JSON object as the last line of stderr (the `--json-errors` line).
pub(crate) fn json_line(value: &impl serde::Serialize) {
    // Serialising the commands' plain structs cannot fail; the fallback keeps the promise of a
    // JSON object on the last line anyway.
    let mut line = serde_json::to_string(value).unwrap_or_else(|_| {
        r#"{"error":"report","message":"could not serialise the report"}"#.into()
    });
    line.push('\n');
    stderr(&line);
}
