//! Rate-limit headers: every family, garbage refused, bounds respected.

use impact_errors::{MAX_RESET_DELAY_SECS, RateLimitInfo, Reset, RetryAfter};
use proptest::prelude::*;

use crate::dates::imf_fixdate;

/// The latest Unix time a header may name (the year 2286).
const MAX_EPOCH_SECS: u64 = 9_999_999_999;

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
                Reset::After(secs) => {
                    prop_assert!(secs <= MAX_RESET_DELAY_SECS);
                    prop_assert_eq!(reset.at(now), now + secs);
                }
                Reset::At(epoch) => {
                    prop_assert!(epoch > 1_000_000_000 && epoch <= MAX_EPOCH_SECS);
                    prop_assert_eq!(reset.at(now), epoch);
                }
            }
        }
        match info.retry_after {
            Some(RetryAfter::Delay(secs)) => prop_assert!(secs <= MAX_RESET_DELAY_SECS),
            Some(RetryAfter::At(epoch)) => prop_assert!(epoch <= MAX_EPOCH_SECS),
            None => {}
        }
        if let Some(until) = info.exhausted_until(now) {
            // The reset of an exhausted window, and the latest of them.
            prop_assert_eq!(info.min_remaining(), Some(0));
            let resets = info
                .windows()
                .filter(|w| w.remaining == Some(0))
                .filter_map(|w| w.reset.map(|r| r.at(now)));
            prop_assert_eq!(resets.max(), Some(until));
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

/// What a generated header value says, as the generator wrote it.
#[derive(Clone, Copy, Debug)]
enum Value {
    /// A number of seconds.
    Secs(u64),
    /// An HTTP date (IMF-fixdate) of this Unix time.
    Date(u64),
    /// Not a number: a sign, a fraction, letters, nothing.
    Garbage(&'static str),
}

impl Value {
    fn text(self) -> String {
        match self {
            Value::Secs(n) => n.to_string(),
            Value::Date(epoch) => imf_fixdate(epoch),
            Value::Garbage(text) => text.to_owned(),
        }
    }
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (0u64..200_000).prop_map(Value::Secs),
        1 => (MAX_RESET_DELAY_SECS - 5..MAX_RESET_DELAY_SECS + 5).prop_map(Value::Secs),
        2 => (999_999_990u64..1_000_000_010).prop_map(Value::Secs),
        3 => (1_000_000_000u64..2_000_000_000).prop_map(Value::Secs),
        1 => (MAX_EPOCH_SECS - 5..MAX_EPOCH_SECS + 5).prop_map(Value::Secs),
        1 => any::<u64>().prop_map(Value::Secs),
        2 => (0u64..2_000_000_000).prop_map(Value::Date),
        1 => prop::sample::select(vec!["-5", "1.5", "ten", "", "+3", "0x10"]).prop_map(Value::Garbage),
    ]
}

/// The instant a value asks for, read at `now`, by SPEC 2.6 and the bounds of SECURITY.md:
/// a reset is a delay up to 31 days, or a Unix time above 10^9 up to the year 2286; a
/// `Retry-After` is a delay up to 31 days or an HTTP date up to the year 2286.
fn instant(name: &str, value: Value, now: u64) -> Option<u64> {
    let reset = name.to_ascii_lowercase().ends_with("reset");
    match value {
        Value::Secs(n) if n <= MAX_RESET_DELAY_SECS => Some(now + n),
        Value::Secs(n) if reset && n > 1_000_000_000 && n <= MAX_EPOCH_SECS => Some(n),
        Value::Date(epoch) if !reset => Some(epoch),
        _ => None,
    }
}

/// A count a value gives: any number up to 10^12.
fn count(value: Value) -> Option<u64> {
    match value {
        Value::Secs(n) if n <= 1_000_000_000_000 => Some(n),
        _ => None,
    }
}

proptest! {
    #[test]
    fn repeated_headers_keep_the_most_cautious_reading_at_receipt(
        headers in proptest::collection::vec(
            (
                prop::sample::select(vec![
                    "X-RateLimit-Reset", "ratelimit-reset", "Retry-After", "retry-after",
                    "X-RateLimit-Remaining", "RateLimit-Limit",
                ]),
                value(),
            ),
            0..8,
        ),
        now in 1_600_000_000u64..1_900_000_000,
    ) {
        let texts: Vec<(&str, String)> = headers.iter().map(|(n, v)| (*n, v.text())).collect();
        let pairs = || texts.iter().map(|(n, v)| (*n, v.as_bytes()));
        let info = RateLimitInfo::from_headers_at(pairs(), now);
        let latest = |field: &str| {
            headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(field))
                .filter_map(|(n, v)| instant(n, *v, now))
                .max()
        };
        let fewest = |field: &str| {
            headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(field))
                .filter_map(|(_, v)| count(*v))
                .min()
        };
        prop_assert_eq!(info.x_reset.map(|r| r.at(now)), latest("x-ratelimit-reset"), "{:?}", texts);
        prop_assert_eq!(info.reset.map(|r| r.at(now)), latest("ratelimit-reset"), "{:?}", texts);
        prop_assert_eq!(info.retry_after.map(|r| r.at(now)), latest("retry-after"), "{:?}", texts);
        prop_assert_eq!(info.x_remaining, fewest("x-ratelimit-remaining"), "{:?}", texts);
        prop_assert_eq!(info.limit, fewest("ratelimit-limit"), "{:?}", texts);
    }
}

#[test]
fn reading_headers_allocates_nothing_whatever_the_numbers() {
    // SECURITY.md: header parsing allocates in proportion to its input, never to a number read
    // from it. It needs no allocator at all, so the count is zero.
    let huge = [
        "18446744073709551615",
        "99999999999999999999999999",
        "9999999999",
        "2678400",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Sun Nov  6 08:49:37 1994",
        "-1",
    ];
    let measured = allocation_counter::measure(|| {
        for value in huge {
            for name in [
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining-hour",
                "RateLimit-Reset",
                "X-RateLimit-Reset",
                "Retry-After",
            ] {
                let info =
                    RateLimitInfo::from_headers_at([(name, value.as_bytes())], 1_764_072_000);
                std::hint::black_box(info.exhausted_until(1_764_072_000));
            }
            std::hint::black_box(impact_errors::parse_http_date(value).ok());
        }
    });
    assert_eq!(measured.count_total, 0);
}
