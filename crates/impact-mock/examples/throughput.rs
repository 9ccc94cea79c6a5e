//! Measures how many keep-alive GETs per second the mock answers over 16 connections.
//!
//! `cargo run --release -p impact-mock --example throughput [seconds]`: each connection sends
//! a GET of a JSON page of one campaign (about 1 KiB: a Partner campaign has 18 attributes),
//! waits for the answer, and repeats; the figure shows whether the mock can be a benchmark's
//! bottleneck (SPEC 11: at least 40,000 requests per second).

use std::time::{Duration, Instant};

use impact_mock::{DEMO_ACCOUNT_SID, MockServer, Quota};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CONNECTIONS: usize = 16;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let server = MockServer::builder()
        .quota(Quota::disabled())
        .request_log_capacity(0)
        .start()
        .await?;
    // "IRmock...:mock-demo-token-..." in base64 is computed by the client normally; the
    // mock accepts the demo credentials, so encode them here.
    let credentials =
        base64(format!("{DEMO_ACCOUNT_SID}:{}", impact_mock::DEMO_AUTH_TOKEN).as_bytes());
    let request = format!(
        "GET /Mediapartners/{DEMO_ACCOUNT_SID}/Campaigns?PageSize=1 HTTP/1.1\r\nHost: x\r\n\
         Accept: application/json\r\nAuthorization: Basic {credentials}\r\n\r\n"
    );
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let addr = server.addr();
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let mut buf = vec![0u8; 16 * 1024];
            let mut count = 0u64;
            let mut body_len = 0usize;
            while Instant::now() < deadline {
                stream.write_all(request.as_bytes()).await?;
                let mut filled = 0;
                loop {
                    filled += stream.read(&mut buf[filled..]).await?;
                    let text = &buf[..filled];
                    if let Some(at) = text.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&text[..at]).to_ascii_lowercase();
                        let length: usize = head
                            .split("\r\n")
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if filled >= at + 4 + length {
                            body_len = length;
                            break;
                        }
                    }
                }
                count += 1;
            }
            Ok::<_, std::io::Error>((count, body_len))
        }));
    }
    let mut total = 0;
    let mut body_len = 0;
    for task in tasks {
        let (count, len) = task.await??;
        total += count;
        body_len = len;
    }
    println!(
        "{total} requests in {seconds} s over {CONNECTIONS} connections: {:.0} requests/s ({body_len}-byte bodies)",
        total as f64 / seconds as f64
    );
    server.shutdown().await;
    Ok(())
}

fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let mut block = [0u8; 3];
        block[..chunk.len()].copy_from_slice(chunk);
        let n = u32::from_be_bytes([0, block[0], block[1], block[2]]);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}
