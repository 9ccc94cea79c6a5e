//! Instants of the emulated world and the date forms the API reads and writes.
//!
//! The API writes dates in the account's time zone with its UTC offset and no fraction
//! (`2024-09-10T10:42:38-07:00`); the mock's accounts live in US Pacific time, whose offset
//! changes with daylight saving time inside one account, as the reference's examples do.

use std::fmt;

/// Seconds in a day.
pub(crate) const DAY: i64 = 86_400;
/// Seconds in an hour.
pub(crate) const HOUR: i64 = 3_600;

/// An instant, in whole seconds since 1970-01-01T00:00:00Z.
///
/// ```
/// use impact_mock::Timestamp;
///
/// let at: Timestamp = "2024-09-10T10:42:38-07:00".parse().unwrap();
/// assert_eq!(at.unix_seconds(), 1_725_990_158);
/// assert_eq!(at.to_string(), "2024-09-10T10:42:38-07:00");
/// assert_eq!(at.to_rfc3339_utc(), "2024-09-10T17:42:38Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Why a text is not a date the mock understands.
///
/// ```
/// use impact_mock::Timestamp;
///
/// let error = "yesterday".parse::<Timestamp>().unwrap_err();
/// assert!(error.to_string().contains("yesterday"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError {
    text: String,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a date (YYYY-MM-DD) or an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS with Z or an offset)",
            self.text
        )
    }
}

impl std::error::Error for TimeError {}

impl Timestamp {
    /// The instant `seconds` after the Unix epoch.
    pub const fn from_unix_seconds(seconds: i64) -> Timestamp {
        Timestamp(seconds)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// This instant moved by `seconds` (negative moves back), saturating.
    pub(crate) const fn plus(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds))
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub(crate) const fn since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The offset of US Pacific time at this instant, in seconds east of UTC: -7 h while
    /// daylight saving time is in force (second Sunday of March, 02:00 local, to the first
    /// Sunday of November, 02:00 local), -8 h otherwise.
    pub(crate) fn pacific_offset(self) -> i64 {
        let (year, _, _) = civil_from_days(self.0.div_euclid(DAY));
        // 02:00 PST is 10:00 UTC; 02:00 PDT is 09:00 UTC.
        let starts = days_from_civil(year, 3, nth_sunday(year, 3, 2)) * DAY + 10 * HOUR;
        let ends = days_from_civil(year, 11, nth_sunday(year, 11, 1)) * DAY + 9 * HOUR;
        if (starts..ends).contains(&self.0) {
            -7 * HOUR
        } else {
            -8 * HOUR
        }
    }

    /// Midnight (00:00 Pacific time) of the local day this instant falls in.
    pub(crate) fn local_midnight(self) -> Timestamp {
        let local = self.0 + self.pacific_offset();
        let day = local.div_euclid(DAY);
        local_to_utc(day * DAY)
    }

    /// The local calendar date, `YYYY-MM-DD`.
    pub(crate) fn local_date(self) -> String {
        let local = self.0 + self.pacific_offset();
        let (year, month, day) = civil_from_days(local.div_euclid(DAY));
        format!("{year:04}-{month:02}-{day:02}")
    }

    /// `2024-09-10T17:42:38Z`: the form of the control interface.
    pub fn to_rfc3339_utc(self) -> String {
        let (date, time) = split(self.0);
        format!("{date}T{time}Z")
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`: the IMF-fixdate of HTTP's `Date` header (RFC 9110
    /// section 5.6.7).
    pub(crate) fn to_http_date(self) -> String {
        const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let days = self.0.div_euclid(DAY);
        let (year, month, day) = civil_from_days(days);
        let (_, time) = split(self.0);
        // 1970-01-01 was a Thursday.
        let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
        let month = MONTHS[(month - 1).clamp(0, 11) as usize];
        format!("{weekday}, {day:02} {month} {year:04} {time} GMT")
    }

    /// Parses `YYYY-MM-DD` (local midnight), `YYYY-MM-DDTHH:MM[:SS[.fff]]` (local time), or
    /// either with `Z` or `±HH:MM` (`±HHMM`, `±HH`). A space may stand for the `T`.
    pub(crate) fn parse_api(text: &str) -> Result<Timestamp, TimeError> {
        parse(text.trim()).ok_or_else(|| TimeError {
            text: text.to_owned(),
        })
    }
}

impl fmt::Display for Timestamp {
    /// The API's form: local Pacific time with its offset, `2024-09-10T10:42:38-07:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let offset = self.pacific_offset();
        let (date, time) = split(self.0 + offset);
        let sign = if offset < 0 { '-' } else { '+' };
        let minutes = offset.abs() / 60;
        write!(
            f,
            "{date}T{time}{sign}{:02}:{:02}",
            minutes / 60,
            minutes % 60
        )
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimeError;

    fn from_str(text: &str) -> Result<Timestamp, TimeError> {
        Timestamp::parse_api(text)
    }
}

/// The date and the time of day of `seconds`, as text.
fn split(seconds: i64) -> (String, String) {
    let (year, month, day) = civil_from_days(seconds.div_euclid(DAY));
    let of_day = seconds.rem_euclid(DAY);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!(
            "{:02}:{:02}:{:02}",
            of_day / HOUR,
            of_day % HOUR / 60,
            of_day % 60
        ),
    )
}

/// The UTC instant of a local Pacific wall-clock time (seconds since the epoch as if local
/// time were UTC). In the repeated hour of November the first of the two is taken.
fn local_to_utc(local: i64) -> Timestamp {
    let guess = Timestamp(local + 8 * HOUR);
    let offset = Timestamp(local + 7 * HOUR).pacific_offset();
    if offset == -7 * HOUR {
        Timestamp(local + 7 * HOUR)
    } else {
        guess
    }
}

fn parse(text: &str) -> Option<Timestamp> {
    let bytes = text.as_bytes();
    let year = digits(bytes, 0, 4)?;
    let month = digits(bytes, 5, 2)?;
    let day = digits(bytes, 8, 2)?;
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let rest = text.get(10..)?;
    if rest.is_empty() {
        return Some(local_to_utc(days * DAY));
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (clock, zone) = split_zone(rest)?;
    let of_day = parse_clock(clock)?;
    let local = days * DAY + of_day;
    match zone {
        None => Some(local_to_utc(local)),
        Some(offset) => Some(Timestamp(local - offset)),
    }
}

/// Splits `HH:MM:SS.fff-07:00` into the clock and the offset in seconds (`None`: local).
fn split_zone(rest: &str) -> Option<(&str, Option<i64>)> {
    if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        return Some((clock, Some(0)));
    }
    let Some(at) = rest.rfind(['+', '-']) else {
        return Some((rest, None));
    };
    let (clock, zone) = rest.split_at(at);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let zone = zone.get(1..)?.replace(':', "");
    let bytes = zone.as_bytes();
    let hours = digits(bytes, 0, 2)?;
    let minutes = if bytes.len() == 4 {
        digits(bytes, 2, 2)?
    } else if bytes.len() == 2 {
        0
    } else {
        return None;
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((clock, Some(sign * (hours * HOUR + minutes * 60))))
}

fn parse_clock(clock: &str) -> Option<i64> {
    let bytes = clock.as_bytes();
    let hours = digits(bytes, 0, 2)?;
    let minutes = digits(bytes, 3, 2)?;
    if bytes.get(2) != Some(&b':') {
        return None;
    }
    let seconds = match bytes.get(5) {
        None => 0,
        Some(b':') => {
            let seconds = digits(bytes, 6, 2)?;
            match bytes.get(8) {
                None => seconds,
                Some(b'.') if bytes.len() > 9 && bytes[9..].iter().all(u8::is_ascii_digit) => {
                    seconds
                }
                Some(_) => return None,
            }
        }
        Some(_) => return None,
    };
    if hours > 23 || minutes > 59 || seconds > 60 {
        return None;
    }
    Some(hours * HOUR + minutes * 60 + seconds.min(59))
}

/// The number written by `len` ASCII digits at `at`.
fn digits(bytes: &[u8], at: usize, len: usize) -> Option<i64> {
    let slice = bytes.get(at..at + len)?;
    slice.iter().try_fold(0i64, |acc, byte| {
        byte.is_ascii_digit()
            .then(|| acc * 10 + i64::from(byte - b'0'))
    })
}

const fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

const fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The day of the month of the `n`th Sunday of a month.
fn nth_sunday(year: i64, month: i64, n: i64) -> i64 {
    // 1970-01-01 was a Thursday: weekday 4 with Sunday as 0.
    let first = days_from_civil(year, month, 1);
    let weekday = (first + 4).rem_euclid(7);
    1 + (7 - weekday) % 7 + 7 * (n - 1)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01 (the inverse of [`days_from_civil`]).
pub(crate) const fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = if days >= 0 { days } else { days - 146_096 } / 146_097;
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Option<(&str, &str)>) {
        let parsed = Timestamp::parse_api(input).ok();
        let got = parsed.map(|at| (at.to_string(), at.to_rfc3339_utc()));
        let want = expect.map(|(local, utc)| (local.to_owned(), utc.to_owned()));
        assert_eq!(got, want, "{input:?}");
    }

    #[test]
    fn dates_in_every_accepted_form() {
        check(
            "2024-09-10T10:42:38-07:00",
            Some(("2024-09-10T10:42:38-07:00", "2024-09-10T17:42:38Z")),
        );
        check(
            "2024-09-10T17:42:38Z",
            Some(("2024-09-10T10:42:38-07:00", "2024-09-10T17:42:38Z")),
        );
        check(
            "2024-09-10T17:42:38.123Z",
            Some(("2024-09-10T10:42:38-07:00", "2024-09-10T17:42:38Z")),
        );
        // A date alone is local midnight; winter is -08:00.
        check(
            "2024-01-15",
            Some(("2024-01-15T00:00:00-08:00", "2024-01-15T08:00:00Z")),
        );
        check(
            "2024-01-15 08:30",
            Some(("2024-01-15T08:30:00-08:00", "2024-01-15T16:30:00Z")),
        );
        check(
            "2024-01-15T08:30:00+0100",
            Some(("2024-01-14T23:30:00-08:00", "2024-01-15T07:30:00Z")),
        );
        for bad in [
            "",
            "2024",
            "2024-13-01",
            "2023-02-29",
            "2024-01-15X",
            "2024-01-15T25:00",
            "2024-01-15T10:00+25:00",
            "2024-01-15T10:00:00.",
            "yesterday",
        ] {
            check(bad, None);
        }
    }

    #[test]
    fn daylight_saving_time_switches_on_the_documented_sundays() {
        // 2024: DST from 10 March 10:00 UTC to 3 November 09:00 UTC.
        let at = |text: &str| Timestamp::parse_api(text).unwrap().pacific_offset() / HOUR;
        assert_eq!(at("2024-03-10T09:59:59Z"), -8);
        assert_eq!(at("2024-03-10T10:00:00Z"), -7);
        assert_eq!(at("2024-11-03T08:59:59Z"), -7);
        assert_eq!(at("2024-11-03T09:00:00Z"), -8);
    }

    #[test]
    fn http_dates_read_back_as_the_same_instant() {
        assert_eq!(
            Timestamp::from_unix_seconds(784_111_777).to_http_date(),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        for seconds in [0, 951_782_400, 1_709_164_800, 1_748_736_000, 4_102_444_799] {
            let text = Timestamp::from_unix_seconds(seconds).to_http_date();
            assert_eq!(
                impact_errors::parse_http_date(&text),
                Ok(seconds as u64),
                "{text}"
            );
        }
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000, -1, 0, 1, 19_000, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        let midnight = Timestamp::parse_api("2024-07-04T15:00:00Z").unwrap();
        assert_eq!(
            midnight.local_midnight().to_string(),
            "2024-07-04T00:00:00-07:00"
        );
        assert_eq!(midnight.local_date(), "2024-07-04");
    }
}
