//! Reading HTTP/1.1 requests with a bounded buffer and writing response heads, by hand.
//!
//! The mock speaks HTTP itself, on top of `httparse`, so that a scripted fault can break the
//! protocol at any byte: a framework would insist on answering correctly.

use std::io::{self, Write as _};

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;
use tokio::sync::watch;

/// The largest request head accepted; a longer one is answered 431.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The largest request body accepted; a longer one is answered 413.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The most headers a request may carry.
const MAX_HEADERS: usize = 64;

/// A request read off a connection, with the few headers the mock acts upon.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) keep_alive: bool,
    pub(crate) authorization: Option<String>,
    pub(crate) accept: Option<String>,
    /// `IR-Version`, which pins the API version of a request.
    pub(crate) ir_version: Option<String>,
    /// Every header, kept only when the request log is on (Authorization values redacted).
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
}

/// What reading the next request gave.
#[derive(Debug)]
pub(crate) enum ReadOutcome {
    Request(Request),
    /// The client closed the connection between requests, or the server is shutting down.
    Closed,
    /// The bytes are not a request the mock can serve: answer this status, then close.
    Refused(u16, &'static str),
}

/// Reads one request, keeping any pipelined bytes after it in `buf`.
pub(crate) async fn read_request(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    keep_headers: bool,
    shutdown: &mut watch::Receiver<bool>,
) -> io::Result<ReadOutcome> {
    let (mut request, head_len, body_len) = loop {
        if !buf.is_empty() {
            match parse_head(buf, keep_headers) {
                Ok(Some(parsed)) => break parsed,
                Ok(None) if buf.len() > MAX_HEAD_BYTES => {
                    return Ok(ReadOutcome::Refused(431, "request head too large"));
                }
                Ok(None) => {}
                Err((status, why)) => return Ok(ReadOutcome::Refused(status, why)),
            }
        }
        if !read_more(stream, buf, shutdown).await? {
            return Ok(ReadOutcome::Closed);
        }
    };
    while buf.len() < head_len + body_len {
        if !read_more(stream, buf, shutdown).await? {
            return Ok(ReadOutcome::Closed);
        }
    }
    let mut frame = buf.split_to(head_len + body_len);
    request.body = frame.split_off(head_len).freeze();
    Ok(ReadOutcome::Request(request))
}

/// Reads more bytes; false when the peer closed or the server is shutting down.
async fn read_more(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    shutdown: &mut watch::Receiver<bool>,
) -> io::Result<bool> {
    if *shutdown.borrow() {
        return Ok(false);
    }
    buf.reserve(8 * 1024);
    tokio::select! {
        read = stream.read_buf(buf) => Ok(read? > 0),
        _ = shutdown.changed() => Ok(false),
    }
}

type Parsed = (Request, usize, usize);
/// A status to answer and why, for bytes that are not a request the mock can serve.
type Refusal = (u16, &'static str);

/// Parses a complete head, or says that more bytes are needed.
fn parse_head(buf: &[u8], keep_headers: bool) -> Result<Option<Parsed>, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let head_len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err((431, "too many request headers"));
        }
        Err(_) => return Err((400, "malformed request head")),
    };
    let method = parsed.method.unwrap_or_default().to_owned();
    let target = parsed.path.unwrap_or_default().to_owned();
    let http10 = parsed.version == Some(0);
    let mut request = Request {
        method,
        target,
        keep_alive: !http10,
        authorization: None,
        accept: None,
        ir_version: None,
        headers: Vec::new(),
        body: Bytes::new(),
    };
    let mut body_len = 0usize;
    for header in parsed.headers.iter() {
        let name = header.name;
        let value = String::from_utf8_lossy(header.value);
        if name.eq_ignore_ascii_case("content-length") {
            body_len = match value.trim().parse::<usize>() {
                Ok(len) if len <= MAX_BODY_BYTES => len,
                Ok(_) => return Err((413, "request body too large")),
                Err(_) => return Err((400, "invalid content-length")),
            };
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Clients send form bodies with a length; chunked uploads are not emulated.
            return Err((411, "chunked request bodies are not supported"));
        } else if name.eq_ignore_ascii_case("connection") {
            let value = value.to_ascii_lowercase();
            if value.contains("close") {
                request.keep_alive = false;
            } else if value.contains("keep-alive") {
                request.keep_alive = true;
            }
        } else if name.eq_ignore_ascii_case("authorization") {
            request.authorization = Some(value.clone().into_owned());
        } else if name.eq_ignore_ascii_case("accept") {
            request.accept = Some(value.clone().into_owned());
        } else if name.eq_ignore_ascii_case("ir-version") {
            request.ir_version = Some(value.clone().into_owned());
        }
        if keep_headers {
            // The log must never hold a credential, so the value is replaced here, before it
            // is stored anywhere a test or a trace could print it.
            let value = if name.eq_ignore_ascii_case("authorization") {
                redact_authorization(&value)
            } else {
                value.into_owned()
            };
            request.headers.push((name.to_owned(), value));
        }
    }
    Ok(Some((request, head_len, body_len)))
}

/// `Basic <redacted>`: the scheme survives, the credentials do not.
fn redact_authorization(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) => format!("{scheme} <redacted>"),
        None => "<redacted>".to_owned(),
    }
}

/// Writes a status line: `HTTP/1.1 404 Not Found`.
pub(crate) fn status_line(out: &mut Vec<u8>, http10: bool, status: u16, reason: &str) {
    let version = if http10 { "HTTP/1.0" } else { "HTTP/1.1" };
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{version} {status} {reason}\r\n");
}

/// Writes one header line.
pub(crate) fn header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Writes a header whose value is a number.
pub(crate) fn header_u64(out: &mut Vec<u8>, name: &str, value: u64) {
    let _ = write!(out, "{name}: {value}\r\n");
}

/// The reason phrase for a status the mock sends.
pub(crate) fn reason(status: u16) -> &'static str {
    impact_errors::StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.reason())
        .unwrap_or(match status {
            302 => "Found",
            303 => "See Other",
            411 => "Length Required",
            413 => "Content Too Large",
            431 => "Request Header Fields Too Large",
            _ => "Unknown",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_is_redacted_in_kept_headers() {
        let head = b"GET / HTTP/1.1\r\nAuthorization: Basic c2VjcmV0OnRva2Vu\r\nAccept: x\r\n\r\n";
        let (request, len, body) = parse_head(head, true).unwrap().unwrap();
        assert_eq!((len, body), (head.len(), 0));
        assert_eq!(
            request.headers[0],
            ("Authorization".into(), "Basic <redacted>".into())
        );
        assert_eq!(request.accept.as_deref(), Some("x"));
    }

    #[test]
    fn oversized_and_malformed_heads_are_refused() {
        let big = b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n";
        assert!(matches!(parse_head(big, false), Err((413, _))));
        assert!(matches!(
            parse_head(b"\x01\x02 nonsense\r\n\r\n", false),
            Err((400, _))
        ));
        assert!(matches!(parse_head(b"GET / HTTP/1.1\r\n", false), Ok(None)));
    }
}
