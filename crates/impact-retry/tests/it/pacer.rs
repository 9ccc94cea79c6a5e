//! The pacer: what it releases when, from the headers it has seen.

use core::time::Duration;

use impact_errors::{RateLimitInfo, StatusCode};
use impact_retry::{Admission, Pacer};

const UNIX: u64 = 1_700_000_000;

/// Observes each `(headers, status)` at 10 s, then asks at 10 s with a 60 s maximum wait.
fn check(observed: &[(&[(&str, &str)], StatusCode)], expect: Admission) {
    let now = Duration::from_secs(10);
    let mut pacer = Pacer::new();
    for (headers, status) in observed {
        let info = RateLimitInfo::from_headers(
            headers
                .iter()
                .map(|(name, value)| (*name, value.as_bytes())),
        );
        pacer.observe(&info, *status, now, UNIX);
    }
    assert_eq!(
        pacer.admit(now, Duration::from_secs(60)),
        expect,
        "{observed:?}"
    );
}

#[test]
fn holds_calls_only_while_a_limit_is_exhausted() {
    check(&[], Admission::Now);
    check(
        &[(
            &[("X-RateLimit-Remaining", "3"), ("X-RateLimit-Reset", "30")],
            StatusCode::OK,
        )],
        Admission::Now,
    );
    check(
        &[(
            &[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "30")],
            StatusCode::OK,
        )],
        Admission::Wait(Duration::from_secs(31)),
    );
    check(
        &[(
            &[
                ("RateLimit-Remaining", "0"),
                ("RateLimit-Reset", "1700000020"),
            ],
            StatusCode::OK,
        )],
        Admission::Wait(Duration::from_secs(21)),
    );
    check(
        &[(
            &[
                ("X-RateLimit-Remaining-hour", "0"),
                ("X-RateLimit-Reset", "3000"),
            ],
            StatusCode::OK,
        )],
        Admission::TooLong {
            retry_after: Duration::from_secs(3001),
        },
    );
    // An exhausted limit without a reset cannot be timed: nothing to wait for.
    check(
        &[(&[("X-RateLimit-Remaining", "0")], StatusCode::OK)],
        Admission::Now,
    );
}

#[test]
fn the_one_second_margin_applies_to_instants_not_yet_passed() {
    let exhausted_at = |reset: &'static str| -> [(&'static str, &'static str); 2] {
        [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", reset)]
    };
    // A reset in the clock's current second (or a delay of zero) may still lie up to a second
    // ahead: the margin.
    check(
        &[(&exhausted_at("1700000000"), StatusCode::OK)],
        Admission::Wait(Duration::from_secs(1)),
    );
    check(
        &[(&exhausted_at("0"), StatusCode::OK)],
        Admission::Wait(Duration::from_secs(1)),
    );
    // One in an earlier second has passed: no wait at all.
    check(
        &[(&exhausted_at("1699999999"), StatusCode::OK)],
        Admission::Now,
    );
    check(
        &[(
            &[("Retry-After", "Tue, 14 Nov 2023 22:13:19 GMT")],
            StatusCode::TOO_MANY_REQUESTS,
        )],
        Admission::Now,
    );
    check(
        &[(
            &[("Retry-After", "Tue, 14 Nov 2023 22:13:20 GMT")],
            StatusCode::TOO_MANY_REQUESTS,
        )],
        Admission::Wait(Duration::from_secs(1)),
    );
}

#[test]
fn a_429_holds_calls_until_its_hint_and_later_answers_never_shorten_the_hold() {
    // A Retry-After delay is relative to the response: honoured exactly, with no margin.
    check(
        &[(&[("Retry-After", "15")], StatusCode::TOO_MANY_REQUESTS)],
        Admission::Wait(Duration::from_secs(15)),
    );
    // An HTTP date is a Unix time read against a whole-second clock: it gets the margin.
    check(
        &[(
            &[("Retry-After", "Tue, 14 Nov 2023 22:13:40 GMT")],
            StatusCode::TOO_MANY_REQUESTS,
        )],
        Admission::Wait(Duration::from_secs(21)),
    );
    // The longer of a 429's hints wins, each with its own margin rule.
    check(
        &[(
            &[("Retry-After", "15"), ("X-RateLimit-Reset", "20")],
            StatusCode::TOO_MANY_REQUESTS,
        )],
        Admission::Wait(Duration::from_secs(21)),
    );
    check(
        &[(
            &[("Retry-After", "25"), ("X-RateLimit-Reset", "20")],
            StatusCode::TOO_MANY_REQUESTS,
        )],
        Admission::Wait(Duration::from_secs(25)),
    );
    check(
        &[(&[("Retry-After", "15")], StatusCode::OK)],
        Admission::Now,
    );
    check(
        &[
            (
                &[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "40")],
                StatusCode::OK,
            ),
            (
                &[("X-RateLimit-Remaining", "5"), ("X-RateLimit-Reset", "5")],
                StatusCode::OK,
            ),
        ],
        Admission::Wait(Duration::from_secs(41)),
    );
}
