//! One task per connection: read requests, answer them or misbehave as scripted.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::RecordedRequest;
use crate::fault::{Fault, FaultBody, Misbehaviour};
use crate::http::{self, ReadOutcome, Request};
use crate::quota::QuotaDecision;
use crate::render;
use crate::router::{self, Response};
use crate::server::Shared;
use crate::time::Timestamp;

/// The block a generated body is written from.
const BLOCK_BYTES: usize = 64 * 1024;

/// Serves requests on one connection until either side closes it.
pub(crate) async fn serve(
    mut stream: TcpStream,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    if let Err(error) = serve_requests(&mut stream, &shared, &mut shutdown).await {
        // Clients hang up mid-answer all the time in fault tests; that is not news.
        tracing::trace!(%error, "connection ended with an error");
    }
}

async fn serve_requests(
    stream: &mut TcpStream,
    shared: &Shared,
    shutdown: &mut watch::Receiver<bool>,
) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut buf = BytesMut::with_capacity(8 * 1024);
    let mut out = Vec::with_capacity(4 * 1024);
    let keep_headers = shared.log_capacity > 0;
    loop {
        let request = match http::read_request(stream, &mut buf, keep_headers, shutdown).await? {
            ReadOutcome::Request(request) => request,
            ReadOutcome::Closed => return Ok(()),
            ReadOutcome::Refused(status, why) => {
                return refuse_unreadable(stream, &mut out, status, why).await;
            }
        };
        if request.target.starts_with("/_mock/") || request.target == "/_mock" {
            let keep_alive = request.keep_alive;
            crate::control::serve(stream, shared, &request, &mut out).await?;
            if keep_alive {
                continue;
            }
            let _ = stream.shutdown().await;
            return Ok(());
        }
        let next = serve_api_request(stream, shared, &request, &mut out, shutdown).await?;
        match next {
            Next::KeepAlive => {}
            Next::Close => {
                let _ = stream.shutdown().await;
                return Ok(());
            }
            // Dropping a socket with a zero linger resets it; a FIN first would spoil that.
            Next::Reset => return Ok(()),
        }
    }
}

/// Answers one request of the emulated API: a scripted fault if one matches, else the router's
/// answer; records it when the log is on.
async fn serve_api_request(
    stream: &mut TcpStream,
    shared: &Shared,
    request: &Request,
    out: &mut Vec<u8>,
    shutdown: &mut watch::Receiver<bool>,
) -> io::Result<Next> {
    shared.count_request();
    let keep_headers = shared.log_capacity > 0;
    let head_only = request.method == "HEAD";
    let (auth, credential) = {
        let credentials = shared.credentials();
        let (auth, index) = router::authenticate(&credentials, request.authorization.as_deref());
        (
            auth,
            index.and_then(|index| credentials.get(index).cloned()),
        )
    };
    let account = credential.as_ref().map(|credential| credential.sid.clone());
    let next = if let Some(fault) = shared.take_fault(&request.method, &request.target) {
        tracing::debug!(
            method = %request.method,
            target = %request.target,
            status = fault.status,
            misbehaviour = ?fault.misbehaviour,
            "answering with a scripted fault"
        );
        if keep_headers {
            shared.record(record(
                request,
                auth,
                (fault.status, true),
                (shared, account),
            ));
        }
        let format = router::Target::parse(request).format;
        let answer = Answer {
            keep_alive: request.keep_alive,
            head_only,
            format,
        };
        serve_fault(stream, out, &fault, answer, shutdown).await?
    } else {
        let response = router::route(shared, request, credential);
        tracing::debug!(
            method = %request.method,
            target = %request.target,
            status = response.status,
            "answered"
        );
        let keep_alive = request.keep_alive;
        if keep_headers {
            shared.record(record(
                request,
                auth,
                (response.status, false),
                (shared, account),
            ));
        }
        let now = shared.clock.now();
        write_response(stream, out, &response, now, keep_alive, head_only).await?;
        if keep_alive {
            Next::KeepAlive
        } else {
            Next::Close
        }
    };
    Ok(next)
}

/// Answers a request that could not be read (too large, malformed) and closes.
async fn refuse_unreadable(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    status: u16,
    why: &str,
) -> io::Result<()> {
    tracing::debug!(status, why, "refusing a request");
    out.clear();
    http::status_line(out, false, status, http::reason(status));
    http::header(out, "Content-Type", "text/plain; charset=utf-8");
    http::header_u64(out, "Content-Length", why.len() as u64);
    http::header(out, "Connection", "close");
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(why.as_bytes());
    stream.write_all(out).await
}

fn record(
    request: &Request,
    auth: crate::AuthSeen,
    (status, scripted): (u16, bool),
    (shared, account): (&Shared, Option<String>),
) -> RecordedRequest {
    RecordedRequest {
        method: request.method.clone(),
        target: request.target.clone(),
        headers: request.headers.clone(),
        auth,
        body: request.body.to_vec(),
        status,
        scripted,
        at: shared.clock.now(),
        account,
    }
}

/// Writes a normal answer in one write. Its `Date` is the world's clock, as a server's own
/// clock would be: a client learns the world's time from it (scripted faults send only the
/// headers they were given).
async fn write_response(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    response: &Response,
    now: Timestamp,
    keep_alive: bool,
    head_only: bool,
) -> io::Result<()> {
    out.clear();
    http::status_line(out, false, response.status, http::reason(response.status));
    http::header(out, "Date", &now.to_http_date());
    http::header(out, "Content-Type", response.content_type);
    http::header_u64(out, "Content-Length", response.body.len() as u64);
    match response.quota {
        QuotaDecision::Unlimited => {}
        QuotaDecision::Allowed(limits) | QuotaDecision::Exhausted(limits) => {
            limits.headers(|name, value| http::header_u64(out, name, value));
        }
    }
    for (name, value) in &response.headers {
        http::header(out, name, value);
    }
    if !keep_alive {
        http::header(out, "Connection", "close");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(&response.body);
    }
    stream.write_all(out).await
}

/// What happens to the connection after an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    KeepAlive,
    Close,
    Reset,
}

/// Where the bytes of a scripted body come from.
enum Source {
    Bytes(Bytes),
    Repeated { len: u64, block: Vec<u8> },
}

impl Source {
    fn len(&self) -> u64 {
        match self {
            Source::Bytes(bytes) => bytes.len() as u64,
            Source::Repeated { len, .. } => *len,
        }
    }
}

/// How the request asked to be answered.
#[derive(Debug, Clone, Copy)]
struct Answer {
    keep_alive: bool,
    head_only: bool,
    format: render::Format,
}

fn source(fault: &Fault, format: render::Format) -> (Source, Option<&'static str>) {
    match &fault.body {
        FaultBody::Shaped { shape, message } => {
            let message = message
                .as_deref()
                .unwrap_or_else(|| http::reason(fault.status));
            let (body, content_type) = render::shaped(*shape, fault.status, message, format);
            (Source::Bytes(body.into()), Some(content_type))
        }
        FaultBody::Empty => (Source::Bytes(Bytes::new()), None),
        FaultBody::Raw(bytes) => (Source::Bytes(bytes.clone()), None),
        FaultBody::Json(decoded) => (
            Source::Bytes(render::fault_json(decoded).into()),
            Some(render::Format::Json.content_type()),
        ),
        FaultBody::Xml(decoded) => (
            Source::Bytes(render::fault_xml(decoded).into()),
            Some(render::Format::Xml.content_type()),
        ),
        FaultBody::Repeated { len, pattern } => {
            let pattern: &[u8] = if pattern.is_empty() { b"x" } else { pattern };
            // A whole number of patterns per block keeps the repetition seamless.
            let copies = (BLOCK_BYTES / pattern.len()).max(1);
            (
                Source::Repeated {
                    len: *len,
                    block: pattern.repeat(copies),
                },
                None,
            )
        }
    }
}

/// Sends a scripted answer; returns what becomes of the connection.
async fn serve_fault(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    fault: &Fault,
    answer: Answer,
    shutdown: &mut watch::Receiver<bool>,
) -> io::Result<Next> {
    let Answer {
        keep_alive,
        head_only,
        format,
    } = answer;
    if !fault.delay.is_zero() && !sleep_unless_shutdown(fault.delay, shutdown).await {
        return Ok(Next::Close);
    }
    match fault.misbehaviour {
        Misbehaviour::ResetBeforeHeaders => {
            // A zero linger makes the close an RST instead of a FIN.
            stream.set_zero_linger()?;
            return Ok(Next::Reset);
        }
        Misbehaviour::CloseBeforeHeaders => return Ok(Next::Close),
        _ => {}
    }
    let (body, default_type) = source(fault, format);
    write_fault_head(out, fault, default_type, body.len(), keep_alive);
    let well_formed = fault.misbehaviour == Misbehaviour::None && !fault.http10;
    if fault.misbehaviour == Misbehaviour::EndlessHeaders {
        stream.write_all(out).await?;
        wait_for_peer_close(stream, shutdown).await;
        return Ok(Next::Close);
    }
    out.extend_from_slice(b"\r\n");
    stream.write_all(out).await?;
    let reusable = if keep_alive && well_formed {
        Next::KeepAlive
    } else {
        Next::Close
    };
    if head_only {
        return Ok(reusable);
    }
    let trickle = fault.trickle;
    let sent = tokio::select! {
        sent = send_body(stream, &body, fault.misbehaviour, trickle) => sent?,
        _ = shutdown.changed() => Next::Close,
    };
    Ok(if sent == Next::KeepAlive {
        reusable
    } else {
        sent
    })
}

/// The status line and headers of a scripted fault, with the length it asks for.
fn write_fault_head(
    out: &mut Vec<u8>,
    fault: &Fault,
    default_type: Option<&str>,
    body_len: u64,
    keep_alive: bool,
) {
    out.clear();
    let reason = fault
        .reason
        .as_deref()
        .unwrap_or_else(|| http::reason(fault.status));
    http::status_line(out, fault.http10, fault.status, reason);
    let has_type = fault
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if let (false, Some(content_type)) = (has_type, default_type) {
        http::header(out, "Content-Type", content_type);
    }
    for (name, value) in &fault.headers {
        http::header(out, name, value);
    }
    match fault.misbehaviour {
        Misbehaviour::BrokenChunked => http::header(out, "Transfer-Encoding", "chunked"),
        Misbehaviour::ContentLengthLonger(extra) => {
            http::header_u64(out, "Content-Length", body_len.saturating_add(extra));
        }
        Misbehaviour::ContentLengthShorter(less) => {
            http::header_u64(out, "Content-Length", body_len.saturating_sub(less));
        }
        // An HTTP/1.0 answer without a length ends when the connection closes.
        _ if fault.http10 => {}
        _ => http::header_u64(out, "Content-Length", body_len),
    }
    if !keep_alive || fault.http10 {
        http::header(out, "Connection", "close");
    }
}

/// Writes the body as the misbehaviour says; `KeepAlive` when the framing allows reuse.
async fn send_body(
    stream: &mut TcpStream,
    body: &Source,
    misbehaviour: Misbehaviour,
    trickle: Option<(usize, Duration)>,
) -> io::Result<Next> {
    match misbehaviour {
        Misbehaviour::ResetAfterBodyBytes(limit) => {
            reset_after(stream, body, limit.min(body.len()), trickle).await
        }
        Misbehaviour::ResetMidBody => reset_after(stream, body, body.len() / 2, trickle).await,
        Misbehaviour::Truncate => {
            write_range(stream, body, 0, body.len() / 2, trickle).await?;
            stream.flush().await?;
            Ok(Next::Close)
        }
        Misbehaviour::BrokenChunked => {
            let half = body.len() / 2;
            stream.write_all(format!("{half:x}\r\n").as_bytes()).await?;
            write_range(stream, body, 0, half, trickle).await?;
            // What follows the first chunk cannot be parsed as a chunk size.
            stream.write_all(b"\r\nzz-not-a-chunk-size\r\n").await?;
            write_range(stream, body, half, body.len(), trickle).await?;
            Ok(Next::Close)
        }
        _ => {
            write_range(stream, body, 0, body.len(), trickle).await?;
            Ok(Next::KeepAlive)
        }
    }
}

/// Sends the first `bytes` of the body, then resets the connection.
async fn reset_after(
    stream: &mut TcpStream,
    body: &Source,
    bytes: u64,
    trickle: Option<(usize, Duration)>,
) -> io::Result<Next> {
    write_range(stream, body, 0, bytes, trickle).await?;
    stream.flush().await?;
    stream.set_zero_linger()?;
    Ok(Next::Reset)
}

/// Writes bytes `from..to` of the body, `chunk` bytes at a time when trickling.
async fn write_range(
    stream: &mut TcpStream,
    body: &Source,
    from: u64,
    to: u64,
    trickle: Option<(usize, Duration)>,
) -> io::Result<()> {
    let mut at = from;
    while at < to {
        let piece = slice_at(body, at, to);
        let piece = match trickle {
            Some((chunk, _)) => piece.get(..chunk.min(piece.len())).unwrap_or(piece),
            None => piece,
        };
        if piece.is_empty() {
            break;
        }
        stream.write_all(piece).await?;
        at += piece.len() as u64;
        if let Some((_, interval)) = trickle
            && at < to
        {
            stream.flush().await?;
            tokio::time::sleep(interval).await;
        }
    }
    Ok(())
}

/// The longest contiguous piece of the body starting at `at` and ending by `to`.
fn slice_at(body: &Source, at: u64, to: u64) -> &[u8] {
    let want = usize::try_from(to - at).unwrap_or(usize::MAX);
    match body {
        Source::Bytes(bytes) => {
            let start = usize::try_from(at).unwrap_or(usize::MAX);
            bytes
                .get(start..start.saturating_add(want).min(bytes.len()))
                .unwrap_or_default()
        }
        Source::Repeated { block, .. } => {
            let block_len = block.len() as u64;
            let offset = usize::try_from(at % block_len).unwrap_or(0);
            let available = block.get(offset..).unwrap_or_default();
            available
                .get(..want.min(available.len()))
                .unwrap_or_default()
        }
    }
}

async fn sleep_unless_shutdown(delay: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        _ = shutdown.changed() => false,
    }
}

/// Holds the connection open, discarding anything the client sends, until it closes.
async fn wait_for_peer_close(stream: &mut TcpStream, shutdown: &mut watch::Receiver<bool>) {
    let mut scratch = [0u8; 1024];
    loop {
        tokio::select! {
            read = stream.read(&mut scratch) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
            _ = shutdown.changed() => return,
        }
    }
}
