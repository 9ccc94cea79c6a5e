//! What `impact api` and `impact sync` share to reach the API: the credentials (SPEC 6), the
//! retry flags (SPEC 6.2), the base URL, and the shared quota store (SPEC 10).

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use impact_client::{ClientBuilder, DEFAULT_BASE_URL, RetryPolicy, SharedLimits};

/// The environment variable holding the Account SID.
pub(crate) const SID_VAR: &str = "IMPACT_ACCOUNT_SID";
/// The environment variable holding the auth token.
pub(crate) const TOKEN_VAR: &str = "IMPACT_AUTH_TOKEN";
/// The environment variable naming the shared quota store when `--quota-store` is not given.
pub(crate) const QUOTA_STORE_VAR: &str = "IMPACT_QUOTA_STORE";

/// The most attempts `--max-attempts` allows: beyond a few dozen, retrying only adds load.
const MAX_ATTEMPTS_LIMIT: u32 = 20;
/// The largest `--backoff-ms`: the policy caps every backoff at 20 s, and the initial one may
/// not exceed the cap.
const BACKOFF_MS_LIMIT: u64 = 20_000;
/// The largest `--max-wait`: a day, the longest window the API's limits have (SPEC 2.6).
const MAX_WAIT_LIMIT_SECS: f64 = 86_400.0;
/// The largest `--timeout`: an hour for one attempt is already far beyond any answer.
const TIMEOUT_LIMIT_SECS: f64 = 3_600.0;

/// The retry flags of SPEC 6.2.
#[derive(Debug, Clone, Args)]
pub(crate) struct RetryArgs {
    /// Attempts in all, the first included (1 means no retry), from 1 to 20.
    #[arg(long = "max-attempts", value_name = "N", default_value = "4", value_parser = parse_max_attempts)]
    pub(crate) max_attempts: u32,

    /// The backoff before the first retry, in milliseconds, from 1 to 20000.
    #[arg(long = "backoff-ms", value_name = "MS", default_value = "500", value_parser = parse_backoff_ms)]
    pub(crate) backoff_ms: u64,

    /// The longest wait for a server hint or for pacing, in seconds (0 to 86400); a longer
    /// one fails at once with exit code 4.
    #[arg(long = "max-wait", value_name = "SECS", default_value = "60", value_parser = parse_max_wait)]
    pub(crate) max_wait: Duration,

    /// The per-attempt timeout in seconds, above 0 and at most 3600.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_timeout)]
    pub(crate) timeout: Duration,
}

impl RetryArgs {
    /// The client's retry policy.
    pub(crate) fn policy(&self) -> RetryPolicy {
        RetryPolicy::new()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(Duration::from_millis(self.backoff_ms))
            .with_max_wait(self.max_wait)
            .with_attempt_timeout(self.timeout)
    }
}

/// Where the API and the shared quota store are.
#[derive(Debug, Clone, Args)]
pub(crate) struct ConnectArgs {
    /// The API's base URL; plain http is refused unless the host is loopback.
    #[arg(long = "base-url", value_name = "URL", default_value = DEFAULT_BASE_URL)]
    pub(crate) base_url: String,

    /// Share the account's pace and retry budget with other processes through this Redis
    /// (default: IMPACT_QUOTA_STORE; unset means in-process).
    #[arg(long = "quota-store", value_name = "redis://HOST:PORT[/DB]")]
    pub(crate) quota_store: Option<String>,
}

impl ConnectArgs {
    /// The shared quota store's URL: the flag, else the environment, else none.
    pub(crate) fn quota_store_url(&self) -> Option<String> {
        self.quota_store
            .clone()
            .or_else(|| std::env::var(QUOTA_STORE_VAR).ok())
            .filter(|url| !url.trim().is_empty())
    }
}

/// The account's credentials, read from the environment. The token is never echoed.
pub(crate) struct Credentials {
    pub(crate) sid: String,
    pub(crate) token: String,
}

/// Reads the credentials from the environment.
pub(crate) fn credentials() -> Result<Credentials, String> {
    let read = |name: &str, what: &str| match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        Ok(_) | Err(std::env::VarError::NotPresent) => Err(format!(
            "{name} is not set: export the account's {what} (impact.com: Settings > API)"
        )),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{name} is not valid UTF-8")),
    };
    Ok(Credentials {
        sid: read(SID_VAR, "Account SID")?,
        token: read(TOKEN_VAR, "auth token")?,
    })
}

/// How the shared quota store came up.
pub(crate) enum QuotaStore {
    /// No store was asked for: pacing and the retry budget stay in this process.
    InProcess,
    /// The store answered: every process naming it shares one pace and one budget.
    Shared(Arc<dyn SharedLimits>),
    /// The store did not answer at start: the command goes on in-process, and the store is
    /// taken up when it answers.
    Unreachable(Arc<dyn SharedLimits>),
}

/// Connects the shared quota store at `url` (SPEC 10). A URL that is not `redis://...` is a
/// configuration error; Redis down is not (the store reports itself unreachable). All the
/// wiring to impact-quota is here, so that a change of its constructors touches one function.
pub(crate) async fn quota_store(url: Option<&str>) -> Result<QuotaStore, String> {
    let Some(url) = url else {
        return Ok(QuotaStore::InProcess);
    };
    // The URL may carry a password: it is never repeated.
    let store = impact_quota::QuotaStore::connect(url)
        .await
        .map_err(|error| format!("--quota-store: {error}"))?;
    let available = store.is_available();
    let limits: Arc<dyn SharedLimits> = Arc::new(impact_quota::RedisLimits::new(store));
    Ok(if available {
        QuotaStore::Shared(limits)
    } else {
        QuotaStore::Unreachable(limits)
    })
}

/// Hands the store (if any) to a client being built, and says once on stderr when it did not
/// answer.
pub(crate) fn with_quota_store(
    builder: ClientBuilder,
    store: QuotaStore,
    command: &str,
) -> ClientBuilder {
    match store {
        QuotaStore::InProcess => builder,
        QuotaStore::Shared(limits) => builder.shared_limits(limits),
        QuotaStore::Unreachable(limits) => {
            crate::say!(
                "impact {command}: the shared quota store does not answer; going on with this \
                 process's own pacing from the server's headers (the store is used again as \
                 soon as it answers)"
            );
            builder.shared_limits(limits)
        }
    }
}

/// Reads the credentials (redacting the token from all output from then on), starts a
/// current-thread runtime, connects the shared quota store `url` names, starts the log, and
/// runs `work` with the credentials and the store. The runtime stops before this returns, so
/// that every task (pooled connections included) has ended before the command's last report.
///
/// The store is connected before the log starts, so that a store down at start is said once,
/// in the command's words, not also in the store's own log line. `Err` is a usage or
/// configuration error: missing credentials, a runtime that cannot start, a bad store URL.
pub(crate) fn run_connected<T, F>(
    url: Option<String>,
    work: impl FnOnce(Credentials, QuotaStore) -> F,
) -> Result<T, String>
where
    F: std::future::Future<Output = T>,
{
    let credentials = credentials()?;
    crate::output::protect(Some(&credentials.sid), &credentials.token);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    let result = runtime.block_on(async {
        let store = quota_store(url.as_deref()).await;
        crate::logging::init();
        match store {
            Ok(store) => Ok(work(credentials, store).await),
            Err(message) => Err(message),
        }
    });
    drop(runtime);
    result
}

/// Parses `--max-attempts`: 1 to [`MAX_ATTEMPTS_LIMIT`].
pub(crate) fn parse_max_attempts(text: &str) -> Result<u32, String> {
    let out_of_range =
        || format!("{text:?} is out of range: attempts must be 1 to {MAX_ATTEMPTS_LIMIT}");
    let attempts: u32 = text.trim().parse().map_err(|_| out_of_range())?;
    if (1..=MAX_ATTEMPTS_LIMIT).contains(&attempts) {
        Ok(attempts)
    } else {
        Err(out_of_range())
    }
}

/// Parses `--backoff-ms`: 1 to [`BACKOFF_MS_LIMIT`].
pub(crate) fn parse_backoff_ms(text: &str) -> Result<u64, String> {
    let out_of_range =
        || format!("{text:?} is out of range: the backoff must be 1 to {BACKOFF_MS_LIMIT} ms");
    let millis: u64 = text.trim().parse().map_err(|_| out_of_range())?;
    if (1..=BACKOFF_MS_LIMIT).contains(&millis) {
        Ok(millis)
    } else {
        Err(out_of_range())
    }
}

/// The lower bound of a number of seconds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AtLeast {
    /// Zero is allowed.
    Zero,
    /// Zero is not: the value must be above it.
    AboveZero,
}

/// Parses a number of seconds (decimals allowed) from `at_least` to `max`.
fn parse_secs(text: &str, at_least: AtLeast, max: f64, what: &str) -> Result<Duration, String> {
    let bound = match at_least {
        AtLeast::AboveZero => "above 0",
        AtLeast::Zero => "0 or more",
    };
    let out_of_range =
        || format!("{text:?} is out of range: {what} must be {bound} and at most {max} seconds");
    let secs: f64 = text.trim().parse().map_err(|_| out_of_range())?;
    let too_small = match at_least {
        AtLeast::AboveZero => secs <= 0.0,
        AtLeast::Zero => secs < 0.0,
    };
    if !secs.is_finite() || too_small || secs > max {
        return Err(out_of_range());
    }
    Duration::try_from_secs_f64(secs).map_err(|_| out_of_range())
}

/// Parses `--max-wait`: 0 to a day.
pub(crate) fn parse_max_wait(text: &str) -> Result<Duration, String> {
    parse_secs(text, AtLeast::Zero, MAX_WAIT_LIMIT_SECS, "the maximum wait")
}

/// Parses `--timeout`: above 0, at most an hour.
pub(crate) fn parse_timeout(text: &str) -> Result<Duration, String> {
    parse_secs(text, AtLeast::AboveZero, TIMEOUT_LIMIT_SECS, "the timeout")
}
