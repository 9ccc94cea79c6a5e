//! HTTP dates in all three RFC 9110 forms round-trip through the parser.

use impact_errors::parse_http_date;
use proptest::prelude::*;

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const LONG_WEEKDAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Civil date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`), written
/// here independently of the parser's inverse.
fn civil(days: i64) -> (i64, usize, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as usize, day)
}

fn parts(
    epoch: u64,
) -> (
    &'static str,
    &'static str,
    i64,
    &'static str,
    i64,
    u64,
    u64,
    u64,
) {
    let days = (epoch / 86_400) as i64;
    let secs = epoch % 86_400;
    let (year, month, day) = civil(days);
    let weekday = days.rem_euclid(7) as usize;
    (
        WEEKDAYS[weekday],
        LONG_WEEKDAYS[weekday],
        year,
        MONTHS[month - 1],
        day,
        secs / 3_600,
        secs / 60 % 60,
        secs % 60,
    )
}

/// An epoch as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn imf_fixdate(epoch: u64) -> String {
    let (weekday, _, year, month, day, h, m, s) = parts(epoch);
    format!("{weekday}, {day:02} {month} {year:04} {h:02}:{m:02}:{s:02} GMT")
}

proptest! {
    #[test]
    fn imf_fixdate_round_trips(epoch in 0u64..253_402_300_800) {
        let text = imf_fixdate(epoch);
        prop_assert_eq!(parse_http_date(&text), Ok(epoch), "{}", text);
    }

    #[test]
    fn asctime_round_trips(epoch in 0u64..253_402_300_800) {
        let (weekday, _, year, month, day, h, m, s) = parts(epoch);
        let text = format!("{weekday} {month} {day:>2} {h:02}:{m:02}:{s:02} {year:04}");
        prop_assert_eq!(parse_http_date(&text), Ok(epoch), "{}", text);
    }

    #[test]
    fn rfc850_round_trips_within_its_century(epoch in 0u64..2_524_608_000) {
        // Two-digit years are read within 50 years of 2000: 1950 to 2049.
        let (_, weekday, year, month, day, h, m, s) = parts(epoch);
        let text = format!("{weekday}, {day:02}-{month}-{:02} {h:02}:{m:02}:{s:02} GMT", year % 100);
        prop_assert_eq!(parse_http_date(&text), Ok(epoch), "{}", text);
    }

    #[test]
    fn never_panics(text in "\\PC{0,40}") {
        let _ = parse_http_date(&text);
    }
}
