//! Everything `impact mock`'s flags set (SPEC 8.4), as one value with typed parsers, so that a
//! command line maps onto a [`MockServerBuilder`](crate::MockServerBuilder) in a few lines.

use std::fmt;
use std::str::FromStr;

use crate::clock::ClockMode;
use crate::fault::FaultSpec;
use crate::quota::Quota;
use crate::time::Timestamp;
use crate::world::Scale;
use crate::{Account, DEMO_ACCOUNT_SID};

/// Which flag or field a [`ConfigError`] is about.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigErrorKind {
    /// `--scale`.
    Scale,
    /// `--quota`.
    Quota,
    /// `--fault` or `POST /_mock/faults`.
    Fault,
    /// `--account`.
    Account,
    /// `--now`.
    Now,
    /// `--rules`.
    Rules,
}

/// A flag value the mock cannot use, with what was wrong. Its `Display` names the value and
/// the reason; programs match on [`kind`](Self::kind).
///
/// ```
/// use impact_mock::{ConfigErrorKind, Scale};
///
/// let error = "tiny".parse::<Scale>().unwrap_err();
/// assert_eq!(error.kind(), ConfigErrorKind::Scale);
/// assert_eq!(error.to_string(), "invalid scale \"tiny\": expected small, medium or large");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    kind: ConfigErrorKind,
    input: String,
    reason: String,
}

impl ConfigError {
    pub(crate) fn new(
        kind: ConfigErrorKind,
        input: &str,
        reason: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            kind,
            // A bounded excerpt: a fault specification can be long.
            input: input.chars().take(200).collect(),
            reason: reason.into(),
        }
    }

    /// What the error is about.
    pub fn kind(&self) -> ConfigErrorKind {
        self.kind
    }

    /// Why the value was refused.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ConfigErrorKind::Scale => "scale",
            ConfigErrorKind::Quota => "quota",
            ConfigErrorKind::Fault => "fault",
            ConfigErrorKind::Account => "account",
            ConfigErrorKind::Now => "now",
            ConfigErrorKind::Rules => "rules",
        };
        if self.kind == ConfigErrorKind::Account {
            // The input holds a token: never repeat it.
            return write!(f, "invalid {what}: {}", self.reason);
        }
        write!(f, "invalid {what} {:?}: {}", self.input, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// Which of the API's refusals lists enforce.
///
/// ```
/// use impact_mock::Rules;
///
/// assert_eq!("legacy".parse::<Rules>().unwrap(), Rules::Legacy);
/// assert_eq!(Rules::default(), Rules::Documented);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Rules {
    /// The documented rules (effective 5 August 2024): 45-day windows, the three-year floor,
    /// no start without an end, `PageSize` at least 2,000 and at most 10 pages for actions,
    /// only the last 7 days without dates.
    #[default]
    Documented,
    /// The API before those rules, for clients written against it (tap-impactradius): none
    /// of the above is refused, and the legacy Partner `/Clicks` list is served.
    Legacy,
}

impl FromStr for Rules {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Rules, ConfigError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "documented" => Ok(Rules::Documented),
            "legacy" => Ok(Rules::Legacy),
            _ => Err(ConfigError::new(
                ConfigErrorKind::Rules,
                text,
                "expected documented or legacy",
            )),
        }
    }
}

impl FromStr for Account {
    type Err = ConfigError;

    /// `SID:TOKEN`, as `impact mock --account` takes it. The SID is letters and digits; the
    /// token is everything after the first colon and may not be empty.
    fn from_str(text: &str) -> Result<Account, ConfigError> {
        let error = |why: &str| ConfigError::new(ConfigErrorKind::Account, text, why);
        let (sid, token) = text
            .split_once(':')
            .ok_or_else(|| error("expected SID:TOKEN"))?;
        if sid.is_empty() || !sid.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
            return Err(error("the SID must be letters and digits, such as IR...."));
        }
        if token.is_empty() || token.chars().any(char::is_control) {
            return Err(error("the token must be non-empty and printable"));
        }
        Ok(Account::new(sid, token))
    }
}

/// Parses `--now`: an RFC 3339 date-time or a date.
///
/// ```
/// let now = impact_mock::parse_now("2025-06-01T12:00:00Z").unwrap();
/// assert_eq!(now.to_rfc3339_utc(), "2025-06-01T12:00:00Z");
/// assert!(impact_mock::parse_now("noon").is_err());
/// ```
pub fn parse_now(text: &str) -> Result<Timestamp, ConfigError> {
    Timestamp::parse_api(text)
        .map_err(|error| ConfigError::new(ConfigErrorKind::Now, text, error.to_string()))
}

/// The settings of `impact mock` (SPEC 8.4), with its defaults: seed 1, `now` the real time
/// at start, a live clock, the small scale, the API's real quotas, the documented rules, no
/// faults, the demo account only.
///
/// ```
/// use impact_mock::{MockConfig, MockServer, Quota, Scale};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let config = MockConfig::default()
///     .seed(7)
///     .scale(Scale::Medium)
///     .quota("300/60".parse().unwrap())
///     .frozen()
///     .now(impact_mock::parse_now("2025-06-01T00:00:00Z").unwrap())
///     .fault(r#"{"path": "/Actions", "status": 503, "times": 2}"#.parse().unwrap())
///     .account("IRsecond0000000000000000000000001:another-token".parse().unwrap());
/// let server = MockServer::builder().config(config).start().await.unwrap();
/// assert_eq!(server.pending_faults(), 1);
/// server.shutdown().await;
/// # });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfig {
    pub(crate) seed: u64,
    pub(crate) now: Option<Timestamp>,
    pub(crate) clock: ClockMode,
    pub(crate) scale: Scale,
    pub(crate) quota: Quota,
    pub(crate) rules: Rules,
    pub(crate) faults: Vec<FaultSpec>,
    pub(crate) accounts: Vec<Account>,
}

impl Default for MockConfig {
    fn default() -> MockConfig {
        MockConfig {
            seed: 1,
            now: None,
            clock: ClockMode::Live,
            scale: Scale::Small,
            quota: Quota::real(),
            rules: Rules::Documented,
            faults: Vec::new(),
            accounts: Vec::new(),
        }
    }
}

impl MockConfig {
    /// `--seed N`: the world's seed.
    pub fn seed(mut self, seed: u64) -> MockConfig {
        self.seed = seed;
        self
    }

    /// `--now RFC3339`: where the world's clock starts.
    pub fn now(mut self, now: Timestamp) -> MockConfig {
        self.now = Some(now);
        self
    }

    /// `--frozen`: the clock moves only when advanced.
    pub fn frozen(mut self) -> MockConfig {
        self.clock = ClockMode::Frozen;
        self
    }

    /// `--scale`.
    pub fn scale(mut self, scale: Scale) -> MockConfig {
        self.scale = scale;
        self
    }

    /// `--quota`.
    pub fn quota(mut self, quota: Quota) -> MockConfig {
        self.quota = quota;
        self
    }

    /// Which refusals lists enforce (not a SPEC 8.4 flag; `--rules legacy` if wired).
    pub fn rules(mut self, rules: Rules) -> MockConfig {
        self.rules = rules;
        self
    }

    /// `--fault SPEC` (repeatable): scripted before the first request.
    pub fn fault(mut self, fault: FaultSpec) -> MockConfig {
        self.faults.push(fault);
        self
    }

    /// `--account SID:TOKEN` (repeatable); the demo account always exists.
    pub fn account(mut self, account: Account) -> MockConfig {
        if !(account.sid == DEMO_ACCOUNT_SID && account.token == crate::DEMO_AUTH_TOKEN) {
            self.accounts.push(account);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_parse_without_ever_showing_the_token() {
        let account: Account = "IRabc123:to:ken".parse().unwrap();
        assert_eq!(
            (account.sid.as_str(), account.token.as_str()),
            ("IRabc123", "to:ken")
        );
        for bad in ["IRabc", ":zq9x", "IR abc:zq9x", "IRabc:", "IRabc:zq9\nx"] {
            let error = bad.parse::<Account>().unwrap_err();
            assert_eq!(error.kind(), ConfigErrorKind::Account);
            assert!(!error.to_string().contains("zq9"), "{error}");
        }
    }
}
