//! The server handle: binding, the accept loop, shared state and the scripting API.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::clock::Clock;
use crate::data::{Data, Resource};
use crate::fault::{Fault, RequestMatch, ScriptedFault};
use crate::quota::{Quota, QuotaState};
use crate::{Account, DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, RecordedRequest};

/// How long a shutdown waits for open connections to finish their current answer.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// State shared by the accept loop, the connections and the handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) accounts: Vec<Account>,
    pub(crate) quota: QuotaState,
    pub(crate) clock: Clock,
    pub(crate) data: Data,
    pub(crate) page_size: u64,
    pub(crate) sequence: AtomicU64,
    pub(crate) log_capacity: usize,
    script: Mutex<VecDeque<ScriptedFault>>,
    script_len: AtomicUsize,
    log: Mutex<VecDeque<RecordedRequest>>,
    requests_seen: AtomicU64,
    connections_to_drop: AtomicU64,
}

/// Locks a mutex even if a panicking test thread poisoned it: the data stays usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

impl Shared {
    /// Takes the first scripted fault that matches, in the order they were pushed.
    pub(crate) fn take_fault(&self, method: &str, target: &str) -> Option<Fault> {
        // Most requests meet an empty script; skip the lock for them.
        if self.script_len.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut script = lock(&self.script);
        let index = script
            .iter()
            .position(|entry| entry.matcher.matches(method, target))?;
        let entry = script.get_mut(index)?;
        entry.remaining = entry.remaining.saturating_sub(1);
        let fault = entry.fault.clone();
        if entry.remaining == 0 {
            script.remove(index);
            self.script_len.store(script.len(), Ordering::Release);
        }
        Some(fault)
    }

    pub(crate) fn count_request(&self) {
        self.requests_seen.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        let mut log = lock(&self.log);
        if log.len() >= self.log_capacity {
            log.pop_front();
        }
        log.push_back(request);
    }

    /// Whether the next accepted connection is to be closed at once.
    fn take_connection_drop(&self) -> bool {
        self.connections_to_drop
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// Configures a [`MockServer`] before it starts.
///
/// ```
/// use std::time::Duration;
/// use impact_mock::{MockServer, Quota, Resource};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let server = MockServer::builder()
///     .account("IR0123456789abcdef0123456789abcdef", "another-token")
///     .quota(Quota::per_window(10, Duration::from_secs(60)))
///     .items(Resource::Campaigns, 7)
///     .page_size(5)
///     .start()
///     .await
///     .expect("loopback is available");
/// assert!(server.base_url().starts_with("http://127.0.0.1:"));
/// server.shutdown().await;
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct MockServerBuilder {
    addr: SocketAddr,
    accounts: Vec<Account>,
    quota: Quota,
    counts: [usize; 3],
    page_size: u64,
    log_capacity: usize,
}

impl Default for MockServerBuilder {
    fn default() -> MockServerBuilder {
        MockServerBuilder {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            accounts: vec![Account::new(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN)],
            quota: Quota::default(),
            counts: [45, 45, 45],
            page_size: 20,
            log_capacity: 10_000,
        }
    }
}

impl MockServerBuilder {
    /// Listens on this address instead of `127.0.0.1:0` (any free port).
    pub fn addr(mut self, addr: SocketAddr) -> MockServerBuilder {
        self.addr = addr;
        self
    }

    /// Adds an account beside the demo account. Its token opens only its own SID's roots.
    pub fn account(mut self, sid: &str, token: &str) -> MockServerBuilder {
        self.accounts.push(Account::new(sid, token));
        self
    }

    /// The quota of every account (default: 1,000 calls per hour).
    pub fn quota(mut self, quota: Quota) -> MockServerBuilder {
        self.quota = quota;
        self
    }

    /// How many items a resource lists (default 45 each).
    pub fn items(mut self, resource: Resource, count: usize) -> MockServerBuilder {
        let index = Resource::ALL
            .iter()
            .position(|r| *r == resource)
            .unwrap_or_default();
        if let Some(slot) = self.counts.get_mut(index) {
            *slot = count;
        }
        self
    }

    /// The page size when a request gives no `PageSize` (default 20; at least 1).
    pub fn page_size(mut self, page_size: u64) -> MockServerBuilder {
        self.page_size = page_size.max(1);
        self
    }

    /// How many requests the log keeps, oldest dropped first (default 10,000; 0 keeps
    /// none, for benchmarks).
    pub fn request_log_capacity(mut self, capacity: usize) -> MockServerBuilder {
        self.log_capacity = capacity;
        self
    }

    /// Binds the listener and starts serving on the current tokio runtime.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn start(self) -> io::Result<MockServer> {
        let listener = bind(self.addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            quota: QuotaState::new(self.quota, self.accounts.len()),
            accounts: self.accounts,
            clock: Clock::new(),
            data: Data::generate(self.counts),
            page_size: self.page_size,
            sequence: AtomicU64::new(1),
            log_capacity: self.log_capacity,
            script: Mutex::new(VecDeque::new()),
            script_len: AtomicUsize::new(0),
            log: Mutex::new(VecDeque::new()),
            requests_seen: AtomicU64::new(0),
            connections_to_drop: AtomicU64::new(0),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let accept_task = tokio::spawn(accept_loop(listener, Arc::clone(&shared), shutdown_rx));
        tracing::info!(%addr, "impact mock listening");
        Ok(MockServer {
            addr,
            shared,
            shutdown,
            accept_task: Some(accept_task),
        })
    }
}

/// A running mock of the impact.com API on a loopback port.
///
/// Serves the emulated API (see the crate documentation) until [`shutdown`](Self::shutdown)
/// or drop. Scripted faults replace the normal answers for the requests they match.
///
/// ```
/// use impact_mock::{Fault, MockServer, RequestMatch};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let server = MockServer::start().await.expect("loopback is available");
/// server.push_fault(RequestMatch::prefix("/Mediapartners/"), 2, Fault::status(503));
/// assert_eq!(server.pending_faults(), 1);
/// assert!(server.requests().is_empty());
/// # });
/// ```
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    accept_task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Starts a mock with the defaults on `127.0.0.1` and any free port.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start() -> io::Result<MockServer> {
        MockServer::builder().start().await
    }

    /// A builder to configure the accounts, quota, data and address.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far (up to the log's capacity), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).iter().cloned().collect()
    }

    /// Forgets the logged requests.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// How many requests were read since the start, logged or not.
    pub fn requests_seen(&self) -> u64 {
        self.shared.requests_seen.load(Ordering::Relaxed)
    }

    /// Answers the next `times` requests that match `matcher` with `fault`. Faults apply in
    /// the order they were pushed: a request takes the first one that matches.
    pub fn push_fault(&self, matcher: RequestMatch, times: u32, fault: Fault) {
        if times == 0 {
            return;
        }
        let mut script = lock(&self.shared.script);
        script.push_back(ScriptedFault {
            matcher,
            remaining: times,
            fault,
        });
        self.shared
            .script_len
            .store(script.len(), Ordering::Release);
    }

    /// Answers the very next request, whatever it is, with `fault`.
    pub fn fail_next(&self, fault: Fault) {
        self.push_fault(RequestMatch::any(), 1, fault);
    }

    /// How many scripted faults still wait for requests.
    pub fn pending_faults(&self) -> usize {
        lock(&self.shared.script).len()
    }

    /// Removes every scripted fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.script).clear();
        self.shared.script_len.store(0, Ordering::Release);
    }

    /// Closes the next `count` connections as soon as they are accepted, before reading a
    /// byte. Pooled connections that are already open are not affected.
    pub fn drop_next_connections(&self, count: u64) {
        self.shared
            .connections_to_drop
            .fetch_add(count, Ordering::Relaxed);
    }

    /// Moves the quota clock forward, as if `by` had passed.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// Starts a fresh quota window for every account, now.
    pub fn reset_quota(&self) {
        self.shared.quota.reset(self.shared.clock.now());
    }

    /// Stops accepting, lets open connections finish their current answer (for up to a
    /// second), and waits for the server to stop.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.accept_task.take() {
            let _ = task.await;
        }
    }

    /// Serves until `signal` completes (say, Ctrl-C), then shuts down: for running the mock
    /// in the foreground.
    pub async fn serve_until(self, signal: impl Future<Output = ()>) {
        signal.await;
        self.shutdown().await;
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // The accept loop and every connection watch this channel and stop on their own.
        let _ = self.shutdown.send(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if shared.take_connection_drop() {
                        tracing::debug!(%peer, "closing a connection as scripted");
                        drop(stream);
                        continue;
                    }
                    connections.spawn(crate::connection::serve(
                        stream,
                        Arc::clone(&shared),
                        shutdown.clone(),
                    ));
                }
                Err(error) => {
                    // Running out of file descriptors is transient; back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
    tracing::info!("impact mock stopped");
}

/// How many connections may wait for the accept loop. Load tests open a thousand at once;
/// with tokio's default of 1,024, a starved accept loop lets the kernel drop connection
/// requests, which the client then resends only after a second or more.
const LISTEN_BACKLOG: u32 = 4_096;

/// Binds `addr` with the larger backlog.
fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As `TcpListener::bind` does, so that a restarted server can take its port back at once.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}
