//! Fuzz target: reading rate-limit headers of every family from arbitrary header lines.
//!
//! The input is split into `name: value` lines. Whatever they hold, the reading must not
//! panic or overflow (fuzz builds keep overflow checks on), every delay it yields must stay
//! within the bounds that make a value trustworthy, refused values must leave no trace, and the
//! most cautious reading must not depend on the order in which headers arrive. Read at the
//! time of receipt, repeated hints must keep the latest instant any of them asked for.
#![no_main]

use impact_errors::{MAX_RESET_DELAY_SECS, RateLimitInfo, RetryAfter};
use libfuzzer_sys::fuzz_target;

/// The latest Unix time the parsers accept (the year 2286).
const MAX_EPOCH_SECS: u64 = 9_999_999_999;

fuzz_target!(|data: &[u8]| {
    let (now, text) = match data {
        [a, b, c, d, rest @ ..] => (u64::from(u32::from_be_bytes([*a, *b, *c, *d])) * 3, rest),
        _ => (1_764_072_000, data),
    };
    let headers: Vec<(&str, &[u8])> = text
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let name = std::str::from_utf8(&line[..colon]).ok()?;
            Some((name.trim(), &line[colon + 1..]))
        })
        .collect();

    let mut info = RateLimitInfo::default();
    for (name, value) in &headers {
        let before = info;
        match info.record(name, value) {
            Ok(true) => assert!(RateLimitInfo::is_rate_limit_header(name)),
            Ok(false) => {
                assert!(!RateLimitInfo::is_rate_limit_header(name));
                assert_eq!(info, before, "an unknown header changed the reading");
            }
            Err(_) => assert_eq!(info, before, "a refused value changed the reading"),
        }
    }
    assert_eq!(info, RateLimitInfo::from_headers(headers.iter().copied()));

    // Bounds: no delay beyond what a trustworthy header can announce.
    let bound = MAX_RESET_DELAY_SECS.max(MAX_EPOCH_SECS.saturating_sub(now));
    for reset in [info.x_reset, info.reset].into_iter().flatten() {
        assert!(
            reset.delay_from(now) <= bound,
            "reset {reset:?} beyond bounds"
        );
    }
    if let Some(retry_after) = info.retry_after {
        assert!(
            retry_after.delay_from(now) <= bound,
            "retry-after {retry_after:?} beyond bounds"
        );
    }
    for window in info.windows() {
        assert!(window.limit.is_some() || window.remaining.is_some());
    }
    if let Some(until) = info.exhausted_until(now) {
        assert!(until <= now.saturating_add(MAX_RESET_DELAY_SECS).max(MAX_EPOCH_SECS));
    }
    let _ = (info.min_remaining(), info.reset_at(now), info.is_empty());

    // Order independence of the counts and resets (the cautious minimum and latest).
    let reversed = RateLimitInfo::from_headers(headers.iter().rev().copied());
    assert_eq!(
        (
            reversed.x_limit,
            reversed.x_remaining,
            reversed.hour_limit,
            reversed.hour_remaining,
            reversed.limit,
            reversed.remaining
        ),
        (
            info.x_limit,
            info.x_remaining,
            info.hour_limit,
            info.hour_remaining,
            info.limit,
            info.remaining
        ),
    );
    assert_eq!(
        reversed.x_reset.map(|r| r.at(0)),
        info.x_reset.map(|r| r.at(0))
    );
    assert_eq!(reversed.reset.map(|r| r.at(0)), info.reset.map(|r| r.at(0)));
    assert_eq!(
        reversed.retry_after.map(|r| r.at(0)),
        info.retry_after.map(|r| r.at(0))
    );

    // Read at the time of receipt, repeated hints keep the latest instant by that clock: never
    // sooner than any single trustworthy value asked, whatever the order.
    let at = RateLimitInfo::from_headers_at(headers.iter().copied(), now);
    let at_reversed = RateLimitInfo::from_headers_at(headers.iter().rev().copied(), now);
    assert_eq!(
        at.retry_after.map(|r| r.at(now)),
        at_reversed.retry_after.map(|r| r.at(now))
    );
    assert_eq!(
        at.x_reset.map(|r| r.at(now)),
        at_reversed.x_reset.map(|r| r.at(now))
    );
    assert_eq!(
        at.reset.map(|r| r.at(now)),
        at_reversed.reset.map(|r| r.at(now))
    );
    for (name, value) in &headers {
        if name.eq_ignore_ascii_case("retry-after") {
            if let Ok(single) = RetryAfter::parse(value) {
                let kept = at.retry_after.map_or(0, |r| r.at(now));
                assert!(
                    kept >= single.at(now),
                    "{single:?} asked for later than {:?}",
                    at.retry_after
                );
            }
        }
    }
});
