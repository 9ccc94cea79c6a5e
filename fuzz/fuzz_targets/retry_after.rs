//! Fuzz target: the `Retry-After` and reset value parsers and the HTTP-date parser.
//!
//! Besides never panicking: accepted values are within bounds, surrounding whitespace does not
//! change the reading, and every date the parser accepts prints back (as an IMF-fixdate) to a
//! string that parses to the same instant.
#![no_main]

use impact_errors::{MAX_RESET_DELAY_SECS, Reset, RetryAfter, parse_http_date};
use libfuzzer_sys::fuzz_target;

const MAX_EPOCH_SECS: u64 = 9_999_999_999;

/// Formats a Unix time as an IMF-fixdate (RFC 9110 5.6.7), by Howard Hinnant's civil-from-days.
fn imf_fixdate(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

fuzz_target!(|data: &[u8]| {
    let padded: Vec<u8> = [b" \t".as_slice(), data, b" "].concat();
    match RetryAfter::parse(data) {
        Ok(RetryAfter::Delay(secs)) => assert!(secs <= MAX_RESET_DELAY_SECS),
        Ok(RetryAfter::At(epoch)) => assert!(epoch <= MAX_EPOCH_SECS),
        Err(_) => {}
    }
    assert_eq!(
        RetryAfter::parse(&padded),
        RetryAfter::parse(data),
        "whitespace changed the reading"
    );
    match Reset::parse(data) {
        Ok(Reset::After(secs)) => assert!(secs <= MAX_RESET_DELAY_SECS),
        Ok(Reset::At(epoch)) => assert!(epoch > 1_000_000_000 && epoch <= MAX_EPOCH_SECS),
        Err(_) => {}
    }
    assert_eq!(
        Reset::parse(&padded),
        Reset::parse(data),
        "whitespace changed the reading"
    );
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(secs) = parse_http_date(text) {
            if secs <= MAX_EPOCH_SECS {
                let printed = imf_fixdate(secs);
                assert_eq!(
                    parse_http_date(&printed),
                    Ok(secs),
                    "{text:?} -> {secs} -> {printed:?}"
                );
            }
        }
    }
});
