//! A minimal HTTP/1.1 client over a raw TCP stream, so the tests see exactly what was sent.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use impact_mock::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How a read of the whole connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The server closed the connection (FIN).
    Closed,
    /// The server reset the connection (RST).
    Reset,
    /// Nothing more came within the read timeout; the connection was still open.
    Silent,
}

/// Everything received on a connection after sending one request.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) bytes: Vec<u8>,
    pub(crate) end: End,
}

impl Received {
    /// The head as text, up to the blank line (or everything when there is none).
    pub(crate) fn head(&self) -> String {
        let end = find(&self.bytes, b"\r\n\r\n").unwrap_or(self.bytes.len());
        String::from_utf8_lossy(&self.bytes[..end]).into_owned()
    }

    /// The bytes after the blank line.
    pub(crate) fn body(&self) -> &[u8] {
        match find(&self.bytes, b"\r\n\r\n") {
            Some(at) => &self.bytes[at + 4..],
            None => &[],
        }
    }

    pub(crate) fn body_text(&self) -> String {
        String::from_utf8_lossy(self.body()).into_owned()
    }

    /// The body as JSON (panics with the body when it is not).
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(self.body())
            .unwrap_or_else(|error| panic!("{error}: {}", self.body_text()))
    }

    /// The body of a chunked answer, reassembled.
    pub(crate) fn dechunked(&self) -> Vec<u8> {
        let mut body = self.body();
        let mut out = Vec::new();
        loop {
            let line_end = find(body, b"\r\n").expect("a chunk-size line");
            let size = usize::from_str_radix(std::str::from_utf8(&body[..line_end]).unwrap(), 16)
                .expect("a hexadecimal chunk size");
            if size == 0 {
                return out;
            }
            let start = line_end + 2;
            out.extend_from_slice(&body[start..start + size]);
            body = &body[start + size + 2..];
        }
    }

    pub(crate) fn status(&self) -> u16 {
        let head = self.head();
        head.split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0)
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.head().split("\r\n").skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Standard base64 with padding, for Basic credentials.
pub(crate) fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let mut block = [0u8; 3];
        block[..chunk.len()].copy_from_slice(chunk);
        let n = u32::from_be_bytes([0, block[0], block[1], block[2]]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A request to build: method, path, credentials, `Accept`, form body.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: &'static str,
    pub(crate) path: String,
    pub(crate) auth: Option<(String, String)>,
    pub(crate) accept: Option<&'static str>,
    pub(crate) body: Option<String>,
    pub(crate) close: bool,
    pub(crate) headers: Vec<(String, String)>,
}

impl Req {
    /// A GET of a path under the demo account's Partner root, with the demo credentials.
    pub(crate) fn get(path: &str) -> Req {
        Req {
            method: "GET",
            path: format!("/Mediapartners/{DEMO_ACCOUNT_SID}{path}"),
            auth: Some((DEMO_ACCOUNT_SID.to_owned(), DEMO_AUTH_TOKEN.to_owned())),
            accept: None,
            body: None,
            close: true,
            headers: Vec::new(),
        }
    }

    /// A GET of a path under the demo account's Brand root.
    pub(crate) fn brand(path: &str) -> Req {
        Req::get("").absolute(&format!("/Advertisers/{DEMO_ACCOUNT_SID}{path}"))
    }

    /// A control request (no credentials), with a JSON body when one is given.
    pub(crate) fn control(method: &'static str, path: &str, body: Option<&str>) -> Req {
        let mut request = Req::get("").absolute(path).method(method).no_auth();
        request.body = body.map(str::to_owned);
        request
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(crate) fn method(mut self, method: &'static str) -> Req {
        self.method = method;
        self
    }

    pub(crate) fn absolute(mut self, path: &str) -> Req {
        self.path = path.to_owned();
        self
    }

    pub(crate) fn json(mut self) -> Req {
        self.accept = Some("application/json");
        self
    }

    pub(crate) fn auth(mut self, sid: &str, token: &str) -> Req {
        self.auth = Some((sid.to_owned(), token.to_owned()));
        self
    }

    pub(crate) fn no_auth(mut self) -> Req {
        self.auth = None;
        self
    }

    pub(crate) fn form(mut self, body: &str) -> Req {
        self.body = Some(body.to_owned());
        self
    }

    pub(crate) fn keep_alive(mut self) -> Req {
        self.close = false;
        self
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut text = format!(
            "{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\n",
            self.method, self.path
        );
        if let Some((sid, token)) = &self.auth {
            let credentials = base64(format!("{sid}:{token}").as_bytes());
            text.push_str(&format!("Authorization: Basic {credentials}\r\n"));
        }
        if let Some(accept) = self.accept {
            text.push_str(&format!("Accept: {accept}\r\n"));
        }
        for (name, value) in &self.headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        if self.close {
            text.push_str("Connection: close\r\n");
        }
        match &self.body {
            Some(body) => text.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )),
            None => text.push_str("\r\n"),
        }
        text.into_bytes()
    }
}

/// Sends one request on a new connection and reads until the server closes, resets, or
/// stays silent for `quiet`.
pub(crate) async fn exchange_raw(addr: SocketAddr, request: &[u8], quiet: Duration) -> Received {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_all(&mut stream, quiet).await
}

pub(crate) async fn exchange(addr: SocketAddr, request: &Req) -> Received {
    exchange_raw(addr, &request.to_bytes(), Duration::from_secs(5)).await
}

pub(crate) async fn read_all(stream: &mut TcpStream, quiet: Duration) -> Received {
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout(quiet, stream.read(&mut chunk)).await {
            Err(_) => {
                return Received {
                    bytes,
                    end: End::Silent,
                };
            }
            Ok(Ok(0)) => {
                return Received {
                    bytes,
                    end: End::Closed,
                };
            }
            Ok(Ok(n)) => bytes.extend_from_slice(&chunk[..n]),
            Ok(Err(error)) if error.kind() == ErrorKind::ConnectionReset => {
                return Received {
                    bytes,
                    end: End::Reset,
                };
            }
            Ok(Err(error)) => panic!("read failed: {error}"),
        }
    }
}

/// Reads exactly one response with a `Content-Length` off a kept-alive connection.
pub(crate) async fn read_one(stream: &mut TcpStream, pending: &mut Vec<u8>) -> Received {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(at) = find(pending, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..at]).to_ascii_lowercase();
            let length: usize = head
                .split("\r\n")
                .find_map(|line| line.strip_prefix("content-length:"))
                .map(|value| value.trim().parse().unwrap())
                .expect("a content-length");
            if pending.len() >= at + 4 + length {
                let rest = pending.split_off(at + 4 + length);
                let bytes = std::mem::replace(pending, rest);
                return Received {
                    bytes,
                    end: End::Silent,
                };
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("an answer within 5 s")
            .unwrap();
        assert!(n > 0, "the server closed a kept-alive connection");
        pending.extend_from_slice(&chunk[..n]);
    }
}
