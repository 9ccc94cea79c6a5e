//! `impact mock` as a child process, and calls to its control interface (`/_mock/...`, SPEC
//! 8.4) over a plain loopback HTTP/1.1 connection per call.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `impact mock`, killed when dropped.
pub(crate) struct Mock {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base_url: String,
    addr: String,
}

/// The mock's flags the harnesses set.
pub(crate) struct MockSetup<'a> {
    pub(crate) seed: u64,
    pub(crate) scale: &'a str,
    /// `--now`; `None`: the real time at start.
    pub(crate) now: Option<&'a str>,
    /// `--quota`: `off`, `real` or `N/SECS`.
    pub(crate) quota: &'a str,
    pub(crate) clock: MockClock,
}

/// Whether the mock's world clock follows real time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MockClock {
    /// `--frozen`: it moves only through `POST /_mock/clock`.
    Frozen,
    /// It follows real time from `--now`.
    // Only `chaos quota` runs a live mock; the bench alone (without `chaos`) never does.
    #[cfg_attr(not(feature = "chaos"), allow(dead_code))]
    Live,
}

impl Mock {
    /// Starts `impact mock` with the setup's seed, scale, clock and quota.
    pub(crate) fn start(impact: &Path, setup: &MockSetup<'_>) -> Result<Mock, String> {
        let frozen = match setup.clock {
            MockClock::Frozen => Some("--frozen"),
            MockClock::Live => None,
        };
        let mut child = Command::new(impact)
            .arg("mock")
            .args(frozen)
            .args(["--quota", setup.quota, "--seed"])
            .arg(setup.seed.to_string())
            .args(["--scale", setup.scale])
            .args(setup.now.map(|now| ["--now", now]).into_iter().flatten())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("cannot start impact mock: {error}"))?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout)
                .read_line(&mut line)
                .map_err(|error| format!("cannot read the mock's base URL: {error}"))?;
        }
        let base_url = line.trim().to_owned();
        let addr = base_url
            .strip_prefix("http://")
            .unwrap_or_default()
            .to_owned();
        let mock = Mock {
            child,
            base_url,
            addr,
        };
        if !mock.addr.starts_with("127.0.0.1:") {
            return Err(format!("impact mock printed {line:?}, not its base URL"));
        }
        Ok(mock)
    }

    /// One call to the control interface: the body of a 2xx answer.
    pub(crate) fn call(&self, method: &str, path: &str, body: &str) -> Result<String, String> {
        let started = Instant::now();
        let result = call(&self.addr, method, path, body);
        result.map_err(|error| {
            format!(
                "{method} {path} failed after {:.1?}: {error}",
                started.elapsed()
            )
        })
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn call(addr: &str, method: &str, path: &str, body: &str) -> Result<String, String> {
    let mut stream = TcpStream::connect(addr).map_err(|error| error.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|error| error.to_string())?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|error| error.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader
        .read_line(&mut status_line)
        .map_err(|error| error.to_string())?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {status_line:?}"))?;
    let (length, chunked) = read_headers(&mut reader)?;
    let bytes = if chunked {
        read_chunked(&mut reader)?
    } else {
        let mut bytes = Vec::new();
        match length {
            Some(length) => reader.take(length).read_to_end(&mut bytes),
            None => reader.read_to_end(&mut bytes),
        }
        .map_err(|error| error.to_string())?;
        bytes
    };
    let text = String::from_utf8(bytes).map_err(|_| "the body is not UTF-8".to_owned())?;
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(format!("status {status}: {text}"))
    }
}

/// Reads the header block: the `Content-Length`, and whether the body is chunked.
fn read_headers(reader: &mut impl BufRead) -> Result<(Option<u64>, bool), String> {
    let mut length = None;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|error| error.to_string())?;
        let line = line.trim_end();
        if line.is_empty() {
            return Ok((length, chunked));
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        }
    }
}

fn read_chunked(reader: &mut impl BufRead) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader
            .read_line(&mut size_line)
            .map_err(|error| error.to_string())?;
        let size = usize::from_str_radix(size_line.trim(), 16)
            .map_err(|_| format!("bad chunk size {size_line:?}"))?;
        let mut chunk = vec![0; size + 2];
        reader
            .read_exact(&mut chunk)
            .map_err(|error| error.to_string())?;
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_joined() {
        let wire = b"5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
        let body = read_chunked(&mut &wire[..]).unwrap();
        assert_eq!(body, b"hello, world");
        assert!(read_chunked(&mut &b"zz\r\n"[..]).is_err());
    }

    #[test]
    fn headers_give_the_length_or_chunked() {
        let head = b"Content-Length: 12\r\nX: y\r\n\r\n";
        assert_eq!(read_headers(&mut &head[..]).unwrap(), (Some(12), false));
        let head = b"transfer-encoding: chunked\r\n\r\n";
        assert_eq!(read_headers(&mut &head[..]).unwrap(), (None, true));
    }
}
