//! The client's configuration: which API and account, credentials, base URL, format, timeouts,
//! retry policy, budget and body caps, checked once when the client is built.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use impact_retry::{BudgetConfig, RetryPolicy};
use zeroize::Zeroizing;

use crate::client::Client;
use crate::error::Error;
use crate::limits::{SharedLimits, StorePolicy};
use crate::secrets::Secrets;
use crate::time::{Clock, TokioClock};
use crate::url::BaseUrl;

/// The default base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.impact.com";

/// The default cap on error bodies: 64 KiB. Beyond it the client stops reading and drops the
/// connection, so a hostile or broken server cannot exhaust memory.
pub const DEFAULT_ERROR_BODY_CAP: usize = 64 * 1024;

/// The default cap on success bodies: 256 MiB, enough for report exports while still bounding
/// memory. Larger bodies fail with [`ErrorKind::Decode`](crate::ErrorKind::Decode).
pub const DEFAULT_SUCCESS_BODY_CAP: usize = 256 * 1024 * 1024;

/// The `User-Agent` the client sends: the crate's name and version.
pub const USER_AGENT: &str = concat!("impact-client/", env!("CARGO_PKG_VERSION"));

/// Which of the impact.com APIs to call; it decides the account root of relative paths.
///
/// ```
/// use impact_client::ApiKind;
///
/// assert_eq!(ApiKind::Brand.root(), "Advertisers");
/// assert_eq!(ApiKind::default(), ApiKind::Partner);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ApiKind {
    /// The Partner API, under `/Mediapartners/{AccountSID}`.
    #[default]
    Partner,
    /// The Brand API, under `/Advertisers/{AccountSID}`.
    Brand,
    /// The Agency API, under `/Agencies/{AccountSID}`.
    Agency,
}

impl ApiKind {
    /// The first path segment of the API: `Mediapartners`, `Advertisers` or `Agencies`.
    pub const fn root(self) -> &'static str {
        match self {
            ApiKind::Partner => "Mediapartners",
            ApiKind::Brand => "Advertisers",
            ApiKind::Agency => "Agencies",
        }
    }
}

/// The response format to ask for with `Accept`.
///
/// ```
/// use impact_client::Format;
///
/// assert_eq!(Format::Xml.accept(), "application/xml");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// `Accept: application/json` (the client's default).
    #[default]
    Json,
    /// `Accept: application/xml` (the API's own default).
    Xml,
}

impl Format {
    /// The `Accept` header value.
    pub const fn accept(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Xml => "application/xml",
        }
    }

    /// The `Accept` header value, built at compile time: `HeaderValue::from_static` checks its
    /// text byte by byte when it runs, which is wasted work on every request.
    pub(crate) fn accept_header(self) -> HeaderValue {
        const JSON: HeaderValue = HeaderValue::from_static(Format::Json.accept());
        const XML: HeaderValue = HeaderValue::from_static(Format::Xml.accept());
        match self {
            Format::Json => JSON,
            Format::Xml => XML,
        }
    }
}

/// The auth token, kept out of every `Debug` and `Display`, and wiped from memory when the
/// builder is dropped.
struct Secret(Zeroizing<String>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The base URL as the caller gave it, before it is checked. A caller may have put
/// credentials in it (`https://sid:token@host`, `?token=...`), which `build` refuses; until
/// then `Debug` shows only its scheme, host, port and path, so the builder never prints them.
struct BaseUrlText(String);

impl fmt::Debug for BaseUrlText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match reqwest::Url::parse(&self.0) {
            Ok(url) => f.write_str(&crate::url::redacted(&url)),
            Err(_) => f.write_str("<not a url>"),
        }
    }
}

/// Builds a [`Client`]; every setting is checked in [`ClientBuilder::build`].
///
/// ```
/// use std::time::Duration;
/// use impact_client::{ApiKind, Client, Format, RetryPolicy};
///
/// let client = Client::builder()
///     .api(ApiKind::Brand)
///     .account_sid("IRw4Tz9Kc2Ve7Nq5Lx8Bh3Pm6Dj1Gs0Fy4")
///     .auth_token("made-up-token")
///     .format(Format::Xml)
///     .retry_policy(RetryPolicy::new().with_max_attempts(2))
///     .build()
///     .unwrap();
/// assert!(!format!("{client:?}").contains("made-up-token"));
///
/// let refused = Client::builder()
///     .account_sid("IR1")
///     .auth_token("t")
///     .base_url("http://api.example.com")
///     .build();
/// assert!(refused.is_err());
/// ```
#[derive(Debug)]
pub struct ClientBuilder {
    pub(crate) api: ApiKind,
    account_sid: Option<String>,
    auth_token: Option<Secret>,
    base_url: BaseUrlText,
    pub(crate) format: Format,
    ir_version: Option<String>,
    pub(crate) policy: RetryPolicy,
    pub(crate) budget: Option<BudgetConfig>,
    pub(crate) error_body_cap: usize,
    pub(crate) success_body_cap: usize,
    pub(crate) clock: Option<Arc<dyn Clock>>,
    pub(crate) random_seed: Option<u64>,
    pub(crate) pool_max_idle_per_host: usize,
    pub(crate) shared_limits: Option<Arc<dyn SharedLimits>>,
    pub(crate) store_policy: StorePolicy,
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder::new()
    }
}

impl ClientBuilder {
    /// A builder with the defaults: Partner API, `https://api.impact.com`, JSON, the retry
    /// policy and budget of SPEC 3, a 64 KiB error-body cap.
    pub fn new() -> ClientBuilder {
        ClientBuilder {
            api: ApiKind::Partner,
            account_sid: None,
            auth_token: None,
            base_url: BaseUrlText(DEFAULT_BASE_URL.to_owned()),
            format: Format::Json,
            ir_version: None,
            policy: RetryPolicy::new(),
            budget: Some(BudgetConfig::new()),
            error_body_cap: DEFAULT_ERROR_BODY_CAP,
            success_body_cap: DEFAULT_SUCCESS_BODY_CAP,
            clock: None,
            random_seed: None,
            pool_max_idle_per_host: usize::MAX,
            shared_limits: None,
            store_policy: StorePolicy::new(),
        }
    }

    /// Which API relative paths are rooted in.
    pub fn api(mut self, api: ApiKind) -> ClientBuilder {
        self.api = api;
        self
    }

    /// The Account SID (the Basic auth user name, and part of every path).
    pub fn account_sid(mut self, sid: impl Into<String>) -> ClientBuilder {
        self.account_sid = Some(sid.into());
        self
    }

    /// The auth token (the Basic auth password). It is encoded once into a header value
    /// marked sensitive and never printed.
    pub fn auth_token(mut self, token: impl Into<String>) -> ClientBuilder {
        self.auth_token = Some(Secret(Zeroizing::new(token.into())));
        self
    }

    /// The base URL (default `https://api.impact.com`). Plain `http` is refused unless the
    /// host is loopback; a path is kept as a prefix of every request.
    pub fn base_url(mut self, url: impl Into<String>) -> ClientBuilder {
        self.base_url = BaseUrlText(url.into());
        self
    }

    /// The response format to ask for (default JSON).
    pub fn format(mut self, format: Format) -> ClientBuilder {
        self.format = format;
        self
    }

    /// Pins the API version with the `IR-Version` header.
    pub fn ir_version(mut self, version: impl Into<String>) -> ClientBuilder {
        self.ir_version = Some(version.into());
        self
    }

    /// The retry policy: attempts, backoff, jitter, per-attempt timeout, total deadline and
    /// maximum wait (default [`RetryPolicy::new`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> ClientBuilder {
        self.policy = policy;
        self
    }

    /// The per-attempt timeout, covering connect, headers and the whole body (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.policy.attempt_timeout = timeout;
        self
    }

    /// The longest a whole call may take, retries and waits included (default none).
    pub fn total_deadline(mut self, deadline: Option<Duration>) -> ClientBuilder {
        self.policy.total_deadline = deadline;
        self
    }

    /// The retry budget shared by all calls of the client, or `None` for no budget.
    pub fn budget(mut self, budget: Option<BudgetConfig>) -> ClientBuilder {
        self.budget = budget;
        self
    }

    /// How many bytes of an error body to read before dropping the connection (default
    /// 64 KiB).
    pub fn error_body_cap(mut self, bytes: usize) -> ClientBuilder {
        self.error_body_cap = bytes;
        self
    }

    /// How many bytes of a success body to accept (default 256 MiB); a larger one fails with
    /// [`ErrorKind::Decode`](crate::ErrorKind::Decode) without being buffered whole.
    pub fn success_body_cap(mut self, bytes: usize) -> ClientBuilder {
        self.success_body_cap = bytes;
        self
    }

    /// The clock that times deadlines, pacing and sleeps (default [`TokioClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> ClientBuilder {
        self.clock = Some(clock);
        self
    }

    /// Seeds the jitter's random numbers, for reproducible runs.
    pub fn random_seed(mut self, seed: u64) -> ClientBuilder {
        self.random_seed = Some(seed);
        self
    }

    /// The most idle connections kept per host (default unbounded, as in reqwest).
    pub fn pool_max_idle_per_host(mut self, max: usize) -> ClientBuilder {
        self.pool_max_idle_per_host = max;
        self
    }

    /// Shares the account's pace and retry budget through a store, with every process that
    /// uses the same store and account (default: kept in this process, shared by the client
    /// and its clones). See [`SharedLimits`] for what the client asks of it.
    pub fn shared_limits(mut self, store: Arc<dyn SharedLimits>) -> ClientBuilder {
        self.shared_limits = Some(store);
        self
    }

    /// How the store of shared limits is used: the bound on each operation and what a failure
    /// does (default [`StorePolicy::new`]: 250 ms, go on with the in-process limits).
    pub fn store_policy(mut self, policy: StorePolicy) -> ClientBuilder {
        self.store_policy = policy;
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let sid = self
            .account_sid
            .as_deref()
            .ok_or_else(|| Error::config("missing account sid"))?
            .trim()
            .to_owned();
        if sid.is_empty() || sid.len() > 64 || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::config(
                "account sid must be 1 to 64 ascii letters and digits",
            ));
        }
        let token = self
            .auth_token
            .as_ref()
            .ok_or_else(|| Error::config("missing auth token"))?;
        if token.0.is_empty() || token.0.chars().any(|c| c.is_control() || c == ' ') {
            // The token itself is never repeated in a message.
            return Err(Error::config(
                "auth token must be non-empty and free of spaces and control characters",
            ));
        }
        self.policy
            .validate()
            .map_err(|error| Error::config(format!("invalid retry policy: {error}")))?;
        if self.error_body_cap == 0 {
            return Err(Error::config("error body cap must be at least one byte"));
        }
        if self.store_policy.timeout.is_zero() {
            return Err(Error::config(
                "the shared limits store timeout must be above zero",
            ));
        }
        let base = BaseUrl::parse(&self.base_url.0)?;
        let authorization = basic_auth(&sid, &token.0)?;
        let secrets = Secrets::new(&sid, &token.0);
        let ir_version = match &self.ir_version {
            Some(version) => Some(
                HeaderValue::from_str(version.trim())
                    .map_err(|_| Error::config("ir-version must be a valid header value"))?,
            ),
            None => None,
        };
        let clock = self
            .clock
            .clone()
            .unwrap_or_else(|| Arc::new(TokioClock::new()));
        let credentials = Credentials {
            authorization,
            secrets,
        };
        Client::from_parts(self, sid, base, credentials, ir_version, clock)
    }
}

/// What a client keeps of its credentials: the header it sends, and every form an echo of them
/// may take (to redact from error answers).
pub(crate) struct Credentials {
    pub(crate) authorization: HeaderValue,
    pub(crate) secrets: Secrets,
}

/// The `Authorization: Basic ...` value, marked sensitive so that no log or debug output of
/// the http stack shows it. The plain and encoded credentials built on the way are wiped when
/// dropped; their capacity is reserved up front so that no reallocation leaves a copy behind.
/// (The header value itself lives as long as the client: `http` offers no way to wipe it.)
fn basic_auth(sid: &str, token: &str) -> Result<HeaderValue, Error> {
    let plain_len = sid.len() + token.len() + 1;
    let mut credentials = Zeroizing::new(String::with_capacity(plain_len));
    credentials.push_str(sid);
    credentials.push(':');
    credentials.push_str(token);
    let mut value = Zeroizing::new(String::with_capacity(6 + plain_len.div_ceil(3) * 4));
    value.push_str("Basic ");
    base64_into(credentials.as_bytes(), &mut value);
    let mut header = HeaderValue::from_str(&value)
        .map_err(|_| Error::config("credentials do not form a valid header"))?;
    header.set_sensitive(true);
    Ok(header)
}

/// Standard base64 with padding (RFC 4648), enough for one header built once per client.
fn base64_into(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(char::from(
                    ALPHABET[((n >> (18 - 6 * index)) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &str) {
        let mut out = String::new();
        base64_into(input.as_bytes(), &mut out);
        assert_eq!(out, expect, "{input}");
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        check("", "");
        check("f", "Zg==");
        check("fo", "Zm8=");
        check("foo", "Zm9v");
        check("foob", "Zm9vYg==");
        check("fooba", "Zm9vYmE=");
        check("foobar", "Zm9vYmFy");
    }
}
