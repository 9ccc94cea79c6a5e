//! Rate-limit headers: every family, garbage refused, bounds respected.

use impact_errors::{MAX_RESET_DELAY_SECS, RateLimitInfo, Reset, RetryAfter};
use proptest::prelude::*;

fn check(value: &str, expect_reset: Option<Reset>, expect_retry_after: Option<RetryAfter>) {
    assert_eq!(
        Reset::parse(value.as_bytes()).ok(),
        expect_reset,
        "reset {value:?}"
    );
    assert_eq!(
        RetryAfter::parse(value.as_bytes()).ok(),
        expect_retry_after,
        "retry-after {value:?}"
    );
}

#[test]
fn epoch_or_delay() {
    check("0", Some(Reset::After(0)), Some(RetryAfter::Delay(0)));
    check(
        "3600",
        Some(Reset::After(3600)),
        Some(RetryAfter::Delay(3600)),
    );
    check(
        "2678400",
        Some(Reset::After(MAX_RESET_DELAY_SECS)),
        Some(RetryAfter::Delay(MAX_RESET_DELAY_SECS)),
    );
    check("2678401", None, None);
    check("1000000000", None, None);
    check("1000000001", Some(Reset::At(1_000_000_001)), None);
    check("1795606548", Some(Reset::At(1_795_606_548)), None);
    check("99999999999", None, None);
    check("-1", None, None);
    check("1e3", None, None);
    check(" 42\t", Some(Reset::After(42)), Some(RetryAfter::Delay(42)));
    check(
        "Wed, 25 Nov 2026 11:35:48 GMT",
        None,
        Some(RetryAfter::At(1_795_606_548)),
    );
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("X-RateLimit-Limit".to_owned()),
        Just("x-ratelimit-remaining".to_owned()),
        Just("X-RATELIMIT-RESET".to_owned()),
        Just("X-RateLimit-Limit-hour".to_owned()),
        Just("X-RateLimit-Remaining-Hour".to_owned()),
        Just("RateLimit-Limit".to_owned()),
        Just("ratelimit-remaining".to_owned()),
        Just("RateLimit-Reset".to_owned()),
        Just("Retry-After".to_owned()),
        "[A-Za-z-]{1,24}",
    ]
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string().into_bytes()),
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        (0u64..100_000).prop_map(|n| n.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..40),
        "[ -~]{0,40}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #[test]
    fn parsing_never_panics_and_stays_in_bounds(
        headers in proptest::collection::vec((header_name(), header_value()), 0..12),
        now in 0u64..10_000_000_000,
    ) {
        let info = RateLimitInfo::from_headers(
            headers.iter().map(|(name, value)| (name.as_str(), value.as_slice())),
        );
        for reset in [info.x_reset, info.reset].into_iter().flatten() {
            match reset {
                Reset::After(secs) => prop_assert!(secs <= MAX_RESET_DELAY_SECS),
                Reset::At(epoch) => prop_assert!(epoch > 1_000_000_000),
            }
            prop_assert!(reset.at(now) >= now.min(reset.at(now)));
        }
        if let Some(RetryAfter::Delay(secs)) = info.retry_after {
            prop_assert!(secs <= MAX_RESET_DELAY_SECS);
        }
        if let Some(until) = info.exhausted_until(now) {
            prop_assert_eq!(info.min_remaining(), Some(0));
            prop_assert!(until >= now.min(until));
        }
    }

    #[test]
    fn a_repeated_header_keeps_the_cautious_value(a in 0u64..1_000_000, b in 0u64..1_000_000) {
        let (a_text, b_text) = (a.to_string(), b.to_string());
        let info = RateLimitInfo::from_headers([
            ("X-RateLimit-Remaining", a_text.as_bytes()),
            ("x-ratelimit-remaining", b_text.as_bytes()),
        ]);
        prop_assert_eq!(info.x_remaining, Some(a.min(b)));
    }
}
