//! The names that make up the store's keys: a prefix, an account SID and a rate-limit group.
//! Each is checked so that a key can only ever be `PREFIX:SID:pace:GROUP` or
//! `PREFIX:SID:budget`, whatever a caller passes; there is no place in a key for a token.

use core::fmt;

/// The longest name accepted for any part of a key.
const MAX_LEN: usize = 64;

/// What a key part may not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidName {
    what: &'static str,
    len: usize,
}

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value itself is not repeated: a caller may have passed a secret by mistake.
        write!(
            f,
            "{} must be 1 to {MAX_LEN} characters of A-Z, a-z, 0-9, '_', '-' or '.' \
             (got {} bytes that are not)",
            self.what, self.len
        )
    }
}

impl std::error::Error for InvalidName {}

fn is_plain(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.')
}

fn check(what: &'static str, value: &str, extra: fn(u8) -> bool) -> Result<(), InvalidName> {
    let ok = !value.is_empty()
        && value.len() <= MAX_LEN
        && value.bytes().all(|byte| is_plain(byte) || extra(byte));
    if ok {
        Ok(())
    } else {
        Err(InvalidName {
            what,
            len: value.len(),
        })
    }
}

macro_rules! key_name {
    ($(#[$doc:meta])* $name:ident, $what:literal, $extra:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Checks `value` as ", $what, ".")]
            pub fn new(value: impl Into<String>) -> Result<$name, InvalidName> {
                let value = value.into();
                check($what, &value, $extra)?;
                Ok($name(value))
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

key_name!(
    /// The prefix of every key (default `impact-quota`); `:` is allowed, to nest it under an
    /// application's own namespace.
    ///
    /// ```
    /// use impact_quota::KeyPrefix;
    ///
    /// assert!(KeyPrefix::new("myapp:impact").is_ok());
    /// assert!(KeyPrefix::new("has space").is_err());
    /// ```
    KeyPrefix,
    "a key prefix",
    |byte| byte == b':'
);

key_name!(
    /// An account SID as it appears in keys.
    ///
    /// ```
    /// use impact_quota::AccountSid;
    ///
    /// assert!(AccountSid::new("IRmockDemoAccount00000000000000001").is_ok());
    /// assert!(AccountSid::new("IR:other").is_err());
    /// ```
    AccountSid,
    "an account SID",
    |_| false
);

key_name!(
    /// A rate-limit group: the endpoints that share one limit (SPEC 2.6), such as `default`,
    /// `events`, `reports` or `product-search`.
    ///
    /// ```
    /// use impact_quota::GroupName;
    ///
    /// assert_eq!(GroupName::default_group().as_str(), "default");
    /// assert!(GroupName::new("").is_err());
    /// ```
    GroupName,
    "a rate-limit group",
    |_| false
);

impl Default for KeyPrefix {
    fn default() -> KeyPrefix {
        KeyPrefix("impact-quota".to_owned())
    }
}

impl GroupName {
    /// The group of every endpoint without a limit of its own.
    pub fn default_group() -> GroupName {
        GroupName("default".to_owned())
    }
}

/// The keys of one account.
#[cfg(feature = "store")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccountKeys {
    /// `PREFIX:SID:`, to which `pace:GROUP` or `budget` is appended.
    root: String,
}

#[cfg(feature = "store")]
impl AccountKeys {
    pub(crate) fn new(prefix: &KeyPrefix, sid: &AccountSid) -> AccountKeys {
        AccountKeys {
            root: format!("{prefix}:{sid}:"),
        }
    }

    pub(crate) fn pace(&self, group: &GroupName) -> String {
        format!("{}pace:{group}", self.root)
    }

    pub(crate) fn budget(&self) -> String {
        format!("{}budget", self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_name(value: &str, expect_ok: bool) {
        assert_eq!(AccountSid::new(value).is_ok(), expect_ok, "{value:?}");
        assert_eq!(GroupName::new(value).is_ok(), expect_ok, "{value:?}");
    }

    #[test]
    fn names_take_only_plain_characters() {
        for (value, ok) in [
            ("IRmockDemoAccount00000000000000001", true),
            ("product-search", true),
            ("a.b_c-d", true),
            ("", false),
            ("a:b", false),
            ("a b", false),
            ("a*", false),
            ("é", false),
            ("a\nb", false),
            (&"x".repeat(64), true),
            (&"x".repeat(65), false),
        ] {
            check_name(value, ok);
        }
    }

    #[cfg(feature = "store")]
    #[test]
    fn keys_are_prefix_sid_and_kind() {
        let keys = AccountKeys::new(
            &KeyPrefix::new("app:q").expect("valid"),
            &AccountSid::new("IRabc").expect("valid"),
        );
        assert_eq!(
            keys.pace(&GroupName::default_group()),
            "app:q:IRabc:pace:default"
        );
        assert_eq!(keys.budget(), "app:q:IRabc:budget");
    }

    #[test]
    fn a_refused_name_is_not_repeated_in_the_error() {
        let error = AccountSid::new("secret token").expect_err("a space");
        assert!(!error.to_string().contains("secret"), "{error}");
    }
}
