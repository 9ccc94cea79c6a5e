//! Bounded reads (SPEC 4): a 100 MiB error body is read up to the cap and the connection
//! dropped; a success body over its cap fails without being buffered.
//!
//! The bytes delivered are counted by a relay whose socket towards the client has a send buffer
//! of a few KiB, so that what it counts is what the client read plus what the client's own
//! socket buffered (about 64 KiB here), not megabytes of kernel buffers: with a 100 MiB body it
//! measured 64 KiB delivered for a 1-byte cap, 96 KiB for 64 KiB, 282 KiB for 256 KiB and
//! 1,026 KiB for 1 MiB, the same in eight runs each. So a bound of the cap plus 192 KiB fails
//! as soon as the client reads a few hundred KiB more than its cap.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use impact_client::{ErrorKind, RetryPolicy};
use impact_mock::{Fault, MockServer, RequestMatch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

use crate::{builder, quiet_mock};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// What the client's socket may hold beyond what the client read, and then some.
pub(crate) const SOCKET_SLACK: u64 = 192 * KIB;

/// A loopback TCP relay in front of the mock that counts the bytes it delivered to the client.
/// Its sockets towards the client send from a buffer of a few KiB (accepted sockets take the
/// listener's), so that bytes the client never read do not pile up in the relay's kernel.
pub(crate) async fn counting_relay(server: &MockServer) -> (String, Arc<AtomicU64>) {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket
        .set_send_buffer_size(4096)
        .expect("a small send buffer");
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("a port");
    let listener = socket.listen(64).expect("listening");
    let addr = listener.local_addr().expect("an address");
    let upstream = server.addr();
    let delivered = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&delivered);
    tokio::spawn(async move {
        while let Ok((client_side, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let Ok(server_side) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut from_client, mut to_client) = client_side.into_split();
                let (mut from_server, mut to_server) = server_side.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut from_client, &mut to_server).await;
                });
                let mut buffer = vec![0_u8; 64 * 1024];
                while let Ok(read) = from_server.read(&mut buffer).await {
                    if read == 0 || to_client.write_all(&buffer[..read]).await.is_err() {
                        break;
                    }
                    counter.fetch_add(read as u64, Ordering::Relaxed);
                }
            });
        }
    });
    (format!("http://{addr}"), delivered)
}

/// Sends one GET answered by `fault` through the relay and returns the error and the bytes
/// the client was sent before it hung up.
async fn check(fault: Fault, cap: usize) -> (impact_client::Error, u64) {
    let server = quiet_mock().await;
    server.push_fault(RequestMatch::any(), 1, fault);
    let (base, delivered) = counting_relay(&server).await;
    let client = builder(&server)
        .base_url(base)
        .error_body_cap(cap)
        .success_body_cap(cap)
        .retry_policy(RetryPolicy::new().with_max_attempts(1))
        .build()
        .expect("a valid client");
    let error = client.get("/Campaigns").await.expect_err("over the cap");
    let sent = delivered.load(Ordering::Relaxed);
    server.shutdown().await;
    (error, sent)
}

#[tokio::test]
async fn a_100_mib_error_body_is_read_only_up_to_the_cap() {
    let cap = 64 * KIB;
    let (error, delivered) = check(Fault::huge(500, "text/plain", 100 * MIB), cap as usize).await;
    assert_eq!(error.kind(), ErrorKind::Api, "{error}");
    assert_eq!(error.status().map(u16::from), Some(500));
    let excerpt = error
        .api_error()
        .and_then(|report| report.body().excerpt.clone())
        .unwrap_or_default();
    assert!(
        excerpt.len() <= impact_codec::EXCERPT_MAX_BYTES,
        "{}",
        excerpt.len()
    );
    // The client stopped reading at the cap: only that and what its socket held got through.
    assert!(
        delivered >= cap && delivered <= cap + SOCKET_SLACK,
        "{delivered} bytes delivered of 100 MiB for a cap of {cap}"
    );
}

#[tokio::test]
async fn a_success_body_over_its_cap_is_refused() {
    let (error, delivered) =
        check(Fault::huge(200, "application/json", 100 * MIB), 1024 * 1024).await;
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
    assert!(error.to_string().contains("cap"), "{error}");
    // Refused on its declared length: nothing of the body was read, only what the client's
    // socket took in before the connection was dropped.
    assert!(
        delivered <= SOCKET_SLACK,
        "{delivered} bytes delivered of 100 MiB"
    );
}
