//! The server handle: binding, the accept loop, shared state and the scripting API.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::clock::{Clock, ClockMode};
use crate::config::{MockConfig, Rules};
use crate::fault::{Fault, FaultSpec, RequestMatch, ScriptedFault};
use crate::jobs::Jobs;
use crate::quota::{Quota, QuotaState};
use crate::time::Timestamp;
use crate::world::{Counts, MAX_CAMPAIGNS, Scale, World, WorldSpec};
use crate::{Account, DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, RecordedRequest, Resource};

/// How long a shutdown waits for open connections to finish their current answer.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Where the fixture world's clock stands: 2025-01-15T12:00:00-08:00.
pub(crate) const FIXTURE_NOW: Timestamp = Timestamp::from_unix_seconds(1_736_971_200);

/// Credentials the mock accepts: an account's token, or a scoped token of it. `Debug`
/// never shows the token.
#[derive(Clone)]
pub(crate) struct Credential {
    pub(crate) sid: String,
    pub(crate) token: String,
    /// The endpoints a scoped token may call (`None`: all).
    pub(crate) scope: Option<Vec<String>>,
    /// The index of the account's world.
    pub(crate) world: usize,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("sid", &self.sid)
            .field("token", &"<redacted>")
            .field("scope", &self.scope)
            .finish()
    }
}

/// State shared by the accept loop, the connections and the handle.
pub(crate) struct Shared {
    pub(crate) addr: SocketAddr,
    credentials: RwLock<Vec<Arc<Credential>>>,
    /// One world per account SID, with the SID.
    pub(crate) worlds: Vec<(String, World)>,
    pub(crate) quota: QuotaState,
    pub(crate) clock: Clock,
    pub(crate) rules: Rules,
    pub(crate) page_size: Option<u64>,
    pub(crate) jobs: Jobs,
    pub(crate) sequence: AtomicU64,
    pub(crate) log_capacity: usize,
    script: Mutex<VecDeque<ScriptedFault>>,
    script_len: AtomicUsize,
    log: Mutex<VecDeque<RecordedRequest>>,
    requests_seen: AtomicU64,
    connections_to_drop: AtomicU64,
}

impl std::fmt::Debug for Shared {
    /// The server's settings, briefly: worlds and logs are far too large to print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("addr", &self.addr)
            .field("credentials", &*self.credentials())
            .field("worlds", &self.worlds.len())
            .field("quota", &self.quota)
            .field("now", &self.clock.now())
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

/// Locks a mutex even if a panicking test thread poisoned it: the data stays usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
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

    pub(crate) fn push_fault(&self, matcher: RequestMatch, times: u32, fault: Fault) {
        if times == 0 {
            return;
        }
        let mut script = lock(&self.script);
        script.push_back(ScriptedFault {
            matcher,
            remaining: times,
            fault,
        });
        self.script_len.store(script.len(), Ordering::Release);
    }

    pub(crate) fn clear_faults(&self) {
        lock(&self.script).clear();
        self.script_len.store(0, Ordering::Release);
    }

    /// The pending faults, as `GET /_mock/faults` lists them.
    pub(crate) fn pending(&self) -> Vec<ScriptedFault> {
        lock(&self.script).iter().cloned().collect()
    }

    pub(crate) fn count_request(&self) {
        self.requests_seen.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        if self.log_capacity == 0 {
            return;
        }
        let mut log = lock(&self.log);
        if log.len() >= self.log_capacity {
            log.pop_front();
        }
        log.push_back(request);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.log).iter().cloned().collect()
    }

    pub(crate) fn clear_requests(&self) {
        lock(&self.log).clear();
    }

    pub(crate) fn credentials(&self) -> RwLockReadGuard<'_, Vec<Arc<Credential>>> {
        self.credentials
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Adds a token for an existing account; `None` when the account is unknown.
    pub(crate) fn add_token(
        &self,
        sid: &str,
        token: &str,
        scope: Option<Vec<String>>,
    ) -> Option<()> {
        let world = self.worlds.iter().position(|(known, _)| known == sid)?;
        let mut credentials = self
            .credentials
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        credentials.retain(|credential| !(credential.sid == sid && credential.token == token));
        credentials.push(Arc::new(Credential {
            sid: sid.to_owned(),
            token: token.to_owned(),
            scope,
            world,
        }));
        Some(())
    }

    /// The world of an account SID.
    pub(crate) fn world(&self, sid: &str) -> Option<(usize, &World)> {
        self.worlds
            .iter()
            .enumerate()
            .find(|(_, (known, _))| known == sid)
            .map(|(index, (_, world))| (index, world))
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
/// The default is the *fixture world* the workspace's own tests use: 45 campaigns, ads and
/// actions (a few of everything else), the clock frozen at 2025-01-15T12:00:00-08:00, lists
/// 20 to a page unless asked otherwise, and 1,000 calls an hour for every group.
/// [`config`](Self::config) (or [`scale`](Self::scale)) switches to the generated world of
/// `impact mock`.
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
    seed: u64,
    counts: Counts,
    now: Option<Timestamp>,
    clock: ClockMode,
    rules: Rules,
    page_size: Option<u64>,
    faults: Vec<FaultSpec>,
    log_capacity: usize,
}

impl Default for MockServerBuilder {
    fn default() -> MockServerBuilder {
        MockServerBuilder {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            accounts: vec![Account::new(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN)],
            quota: Quota::default(),
            seed: 1,
            counts: Counts::fixture(),
            now: Some(FIXTURE_NOW),
            clock: ClockMode::Frozen,
            rules: Rules::Documented,
            page_size: Some(20),
            faults: Vec::new(),
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

    /// The quota of every account (default: 1,000 calls per hour for every group).
    pub fn quota(mut self, quota: Quota) -> MockServerBuilder {
        self.quota = quota;
        self
    }

    /// The seed the worlds are generated from (default 1).
    pub fn seed(mut self, seed: u64) -> MockServerBuilder {
        self.seed = seed;
        self
    }

    /// A generated world of this scale instead of the fixture world: the documented page
    /// sizes, every population in proportion. Set counts afterwards with
    /// [`items`](Self::items).
    pub fn scale(mut self, scale: Scale) -> MockServerBuilder {
        self.counts = Counts::of_scale(scale);
        self.page_size = None;
        self
    }

    /// Where the world's clock starts (default for the fixture world:
    /// 2025-01-15T12:00:00-08:00; for [`config`](Self::config): the real time at start).
    pub fn now(mut self, now: Timestamp) -> MockServerBuilder {
        self.now = Some(now);
        self
    }

    /// Whether the world's clock follows real time (the fixture world is frozen).
    pub fn clock(mut self, mode: ClockMode) -> MockServerBuilder {
        self.clock = mode;
        self
    }

    /// Which refusals lists enforce (default: the documented ones).
    pub fn rules(mut self, rules: Rules) -> MockServerBuilder {
        self.rules = rules;
        self
    }

    /// How many items of a resource the world holds. For resources that keep arriving
    /// (actions, clicks, inquiries, submissions, notes per campaign) this is how many the
    /// three years before `now` hold, about. Resources whose number follows from others
    /// (action items and updates, reports, jobs) are not changed.
    pub fn items(mut self, resource: Resource, count: usize) -> MockServerBuilder {
        let mut count = count as u64;
        if resource == Resource::Campaigns {
            count = count.min(MAX_CAMPAIGNS);
        }
        let _ = self.counts.set(resource, count);
        self
    }

    /// The page size of every list when a request gives no `PageSize` (at least 1); without
    /// it, each list's documented default applies. The fixture world uses 20.
    pub fn page_size(mut self, page_size: u64) -> MockServerBuilder {
        self.page_size = Some(page_size.max(1));
        self
    }

    /// How many requests the log keeps, oldest dropped first (default 10,000; 0 keeps
    /// none, for benchmarks).
    pub fn request_log_capacity(mut self, capacity: usize) -> MockServerBuilder {
        self.log_capacity = capacity;
        self
    }

    /// Everything `impact mock`'s flags set: a generated world of the config's scale and
    /// seed, its clock, quota, rules, faults and accounts.
    pub fn config(mut self, config: MockConfig) -> MockServerBuilder {
        self = self
            .scale(config.scale)
            .seed(config.seed)
            .clock(config.clock);
        self.now = config.now;
        self.quota = config.quota;
        self.rules = config.rules;
        self.faults.extend(config.faults);
        self.accounts.extend(config.accounts);
        self
    }

    /// Binds the listener and starts serving on the current tokio runtime.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn start(self) -> io::Result<MockServer> {
        let listener = bind(self.addr)?;
        let addr = listener.local_addr()?;
        let spec = WorldSpec {
            seed: self.seed,
            counts: self.counts,
        };
        let mut worlds: Vec<(String, World)> = Vec::new();
        let mut credentials = Vec::new();
        for account in &self.accounts {
            let world = match worlds.iter().position(|(sid, _)| *sid == account.sid) {
                Some(index) => index,
                None => {
                    worlds.push((account.sid.clone(), World::new(&spec, &account.sid)));
                    worlds.len() - 1
                }
            };
            credentials.push(Arc::new(Credential {
                sid: account.sid.clone(),
                token: account.token.clone(),
                scope: None,
                world,
            }));
        }
        let now = self.now.unwrap_or_else(Clock::system_now);
        let shared = Arc::new(Shared {
            addr,
            credentials: RwLock::new(credentials),
            worlds,
            quota: QuotaState::new(self.quota),
            clock: Clock::new(now, self.clock),
            rules: self.rules,
            page_size: self.page_size,
            jobs: Jobs::default(),
            sequence: AtomicU64::new(1),
            log_capacity: self.log_capacity,
            script: Mutex::new(VecDeque::new()),
            script_len: AtomicUsize::new(0),
            log: Mutex::new(VecDeque::new()),
            requests_seen: AtomicU64::new(0),
            connections_to_drop: AtomicU64::new(0),
        });
        for spec in self.faults {
            shared.push_fault(spec.matcher().clone(), spec.times(), spec.fault().clone());
        }
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
    /// Starts a mock with the defaults (the fixture world) on `127.0.0.1` and any free port.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start() -> io::Result<MockServer> {
        MockServer::builder().start().await
    }

    /// A builder to configure the accounts, quota, world and address.
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

    /// The requests received so far (up to the log's capacity), oldest first; control
    /// requests (`/_mock/`) are not logged.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Forgets the logged requests.
    pub fn clear_requests(&self) {
        self.shared.clear_requests();
    }

    /// How many requests were read since the start, logged or not.
    pub fn requests_seen(&self) -> u64 {
        self.shared.requests_seen.load(Ordering::Relaxed)
    }

    /// Answers the next `times` requests that match `matcher` with `fault`. Faults apply in
    /// the order they were pushed: a request takes the first one that matches.
    pub fn push_fault(&self, matcher: RequestMatch, times: u32, fault: Fault) {
        self.shared.push_fault(matcher, times, fault);
    }

    /// Scripts a fault as the control interface and `impact mock --fault` take it.
    pub fn push_fault_spec(&self, spec: &FaultSpec) {
        self.push_fault(spec.matcher().clone(), spec.times(), spec.fault().clone());
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
        self.shared.clear_faults();
    }

    /// Closes the next `count` connections as soon as they are accepted, before reading a
    /// byte. Pooled connections that are already open are not affected.
    pub fn drop_next_connections(&self, count: u64) {
        self.shared
            .connections_to_drop
            .fetch_add(count, Ordering::Relaxed);
    }

    /// Moves the world's clock and the quota windows forward, as if `by` had passed: the
    /// actions, updates and job progress in between happen.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// The world's `now`.
    pub fn now(&self) -> Timestamp {
        self.shared.clock.now()
    }

    /// Starts a fresh quota window for every account and group, now, with counters at zero.
    pub fn reset_quota(&self) {
        self.shared.quota.reset(self.shared.clock.elapsed());
    }

    /// Adds a token for an existing account that may call only these endpoints (the first
    /// path segment after the account root: `Campaigns`, `Actions`, ...); others answer 403.
    /// Returns false when the account is unknown.
    pub fn add_scoped_token(&self, sid: &str, token: &str, endpoints: &[&str]) -> bool {
        let scope = endpoints
            .iter()
            .map(|endpoint| (*endpoint).to_owned())
            .collect();
        self.shared.add_token(sid, token, Some(scope)).is_some()
    }

    /// Makes the next `count` export jobs fail instead of completing.
    pub fn fail_next_jobs(&self, count: u32) {
        self.shared.jobs.fail_next(count);
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
