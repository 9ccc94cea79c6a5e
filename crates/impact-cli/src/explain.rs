//! `impact explain`: decodes a response body from a file or stdin and explains it (SPEC 6.1).

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use clap::Args;
use impact_errors::StatusCode;

use crate::exit::Exit;
use crate::report::{InputInfo, ReportJson, render_human};

/// The most bytes `explain` reads. A larger input is explained by its first 64 MiB (and
/// stderr says so): memory stays bounded whatever is piped in, and 64 MiB is far beyond any
/// error body the API sends.
pub(crate) const INPUT_MAX_BYTES: usize = 64 << 20;

/// The arguments of `impact explain`.
///
/// ```text
/// impact explain body.json --status 400 --json
/// curl -s ... | impact explain --status 503 --content-type text/html
/// ```
#[derive(Debug, Clone, Args)]
pub(crate) struct ExplainArgs {
    /// The file holding the response body; `-` or nothing reads stdin. At most the first
    /// 64 MiB are read.
    #[arg(value_name = "FILE|-")]
    file: Option<PathBuf>,

    /// The HTTP status the body came with, 100 to 999. Without it the body alone decides
    /// whether this is an error, and nothing is judged retryable.
    #[arg(long, value_name = "N", value_parser = parse_status)]
    status: Option<StatusCode>,

    /// The Content-Type the server sent. Only a hint: the format is sniffed from the bytes.
    #[arg(long = "content-type", value_name = "CT")]
    content_type: Option<String>,

    /// Print one JSON object with every key of the report instead of text for a person.
    #[arg(long)]
    json: bool,
}

/// Parses `--status`: a decimal number from 100 to 999. HTTP status codes are three digits
/// (RFC 9110 section 15); codes from 600 up are accepted because gateways send them, and are
/// reported as `unexpected_status`.
fn parse_status(text: &str) -> Result<StatusCode, String> {
    let code: u16 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not an HTTP status code (a number from 100 to 999)"))?;
    StatusCode::from_u16(code).map_err(|refused| {
        format!(
            "{} is not an HTTP status code (a number from 100 to 999)",
            refused.value()
        )
    })
}

/// A body read from the input, and whether the input went on beyond [`INPUT_MAX_BYTES`].
struct Input {
    bytes: Vec<u8>,
    truncated: bool,
}

/// Reads at most `limit` bytes, and one more to learn whether the input is longer.
fn read_bounded(reader: impl Read, limit: usize) -> io::Result<Input> {
    let mut bytes = Vec::new();
    let probe = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader.take(probe).read_to_end(&mut bytes)?;
    let truncated = bytes.len() > limit;
    bytes.truncate(limit);
    Ok(Input { bytes, truncated })
}

/// Runs `impact explain`: prints one report on stdout and answers 0, or a message on stderr
/// and 2 when the input cannot be read.
pub(crate) fn run(args: ExplainArgs) -> Exit {
    // A body pasted from a failed call may hold the token a server echoed: when the token is in
    // this environment, the report never shows it.
    if let Some(token) = env_value(crate::connect::TOKEN_VAR) {
        let sid = env_value(crate::connect::SID_VAR);
        crate::output::protect(sid.as_deref(), &token);
    }
    let from_stdin = args
        .file
        .as_deref()
        .is_none_or(|path| path.as_os_str() == "-");
    let read = if from_stdin {
        read_bounded(io::stdin().lock(), INPUT_MAX_BYTES)
    } else {
        // `from_stdin` is false only when a file was named.
        let path = args.file.as_deref().unwrap_or_else(|| "-".as_ref());
        File::open(path).and_then(|file| read_bounded(file, INPUT_MAX_BYTES))
    };
    let input = match read {
        Ok(input) => input,
        Err(error) => {
            let source = match &args.file {
                Some(path) if !from_stdin => format!("{}", path.display()),
                _ => "stdin".to_owned(),
            };
            crate::say!("impact explain: cannot read {source}: {error}");
            return Exit::Usage;
        }
    };
    if input.truncated {
        crate::say!(
            "impact explain: the input is larger than {} MiB; explaining its first {} MiB",
            INPUT_MAX_BYTES >> 20,
            INPUT_MAX_BYTES >> 20
        );
    }

    let content_type = args.content_type.as_deref();
    let report = impact_codec::decode(&input.bytes, args.status);
    let text = if args.json {
        let mut line = ReportJson::new(&report).to_line();
        line.push('\n');
        line
    } else {
        let info = InputInfo {
            bytes_read: Some(input.bytes.len()),
            truncated: input.truncated,
            content_type,
        };
        render_human(&report, &info)
    };
    print(&text)
}

/// A variable of the environment, unless unset, empty or not UTF-8.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Writes the report to stdout. A reader that went away (`impact explain | head -1`) is not
/// an error worth a message; any other failure to write is reported on stderr.
fn print(text: &str) -> Exit {
    match crate::output::stdout(text.as_bytes()) {
        Ok(()) => Exit::Success,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Exit::Success,
        Err(error) => {
            crate::say!("impact explain: cannot write the report to stdout: {error}");
            Exit::Usage
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<u16, &str>) {
        assert_eq!(
            parse_status(input).map(StatusCode::as_u16),
            expect.map_err(str::to_owned),
            "{input:?}"
        );
    }

    #[test]
    fn status_is_a_three_digit_code() {
        check("100", Ok(100));
        check("429", Ok(429));
        check(" 503 ", Ok(503));
        check("999", Ok(999));
        check(
            "99",
            Err("99 is not an HTTP status code (a number from 100 to 999)"),
        );
        check(
            "1000",
            Err("1000 is not an HTTP status code (a number from 100 to 999)"),
        );
        check(
            "abc",
            Err("\"abc\" is not an HTTP status code (a number from 100 to 999)"),
        );
        check(
            "-1",
            Err("\"-1\" is not an HTTP status code (a number from 100 to 999)"),
        );
        check(
            "70000",
            Err("\"70000\" is not an HTTP status code (a number from 100 to 999)"),
        );
    }

    #[test]
    fn reading_is_bounded() {
        let input = read_bounded(&b"abcdef"[..], 4).expect("in memory");
        assert_eq!(
            (input.bytes.as_slice(), input.truncated),
            (&b"abcd"[..], true)
        );
        let input = read_bounded(&b"abcd"[..], 4).expect("in memory");
        assert_eq!(
            (input.bytes.as_slice(), input.truncated),
            (&b"abcd"[..], false)
        );
        let input = read_bounded(&b""[..], 4).expect("in memory");
        assert_eq!((input.bytes.as_slice(), input.truncated), (&b""[..], false));
    }
}
