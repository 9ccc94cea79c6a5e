//! Instants in whole UTC seconds, written and read as the API's date filters want them
//! (`2024-05-01T00:00:00Z`), with the calendar arithmetic a planner needs and nothing more.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// An instant, in whole seconds since the Unix epoch, UTC.
///
/// The API's date filters take ISO 8601 date-times; this type writes them as
/// `YYYY-MM-DDTHH:MM:SSZ` and reads that form, a date alone (`YYYY-MM-DD`, midnight UTC) and
/// an offset (`2024-01-05T10:00:00-08:00`, as items carry them).
///
/// ```
/// use impact_sync::Timestamp;
///
/// let t: Timestamp = "2024-02-29T12:00:00Z".parse().unwrap();
/// assert_eq!(t.to_string(), "2024-02-29T12:00:00Z");
/// assert_eq!("2024-02-29T04:00:00-08:00".parse::<Timestamp>().unwrap(), t);
/// assert_eq!(t.add_days(1).to_string(), "2024-03-01T12:00:00Z");
/// assert!("2023-02-29".parse::<Timestamp>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `secs` seconds after the Unix epoch.
    pub const fn from_unix(secs: i64) -> Timestamp {
        Timestamp(secs)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// A wall-clock time, truncated to the second (before the epoch counts as the epoch).
    pub fn from_system_time(time: SystemTime) -> Timestamp {
        let secs = time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        Timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
    }

    /// This instant plus `secs` seconds (saturating).
    pub const fn add_secs(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs))
    }

    /// This instant plus `days` days of 86,400 seconds (saturating; negative goes back).
    pub const fn add_days(self, days: i64) -> Timestamp {
        self.add_secs(days.saturating_mul(DAY))
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub const fn secs_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Midnight UTC of this instant's day.
    pub const fn start_of_day(self) -> Timestamp {
        Timestamp(self.0.div_euclid(DAY) * DAY)
    }

    /// The distance between two instants as a [`Duration`] (zero when `later` is earlier).
    pub fn duration_until(self, later: Timestamp) -> Duration {
        Duration::from_secs(u64::try_from(later.secs_since(self)).unwrap_or(0))
    }

    /// The calendar date of this instant, UTC, as `YYYY-MM-DD` (the form some report filters
    /// take).
    pub fn date_string(self) -> String {
        let (year, month, day) = civil_from_days(self.0.div_euclid(DAY));
        format!("{year:04}-{month:02}-{day:02}")
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs_of_day = self.0.rem_euclid(DAY);
        write!(
            f,
            "{}T{:02}:{:02}:{:02}Z",
            self.date_string(),
            secs_of_day / 3600,
            secs_of_day / 60 % 60,
            secs_of_day % 60
        )
    }
}

/// Why a text is not a date or date-time this crate reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a date (YYYY-MM-DD) or an ISO 8601 date-time: {0:?}")]
pub struct TimestampError(String);

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(text: &str) -> Result<Timestamp, TimestampError> {
        parse(text.trim()).ok_or_else(|| TimestampError(text.chars().take(40).collect()))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// `YYYY-MM-DD`, optionally followed by `THH:MM:SS`, optional fraction, and `Z` or `±HH:MM`.
fn parse(text: &str) -> Option<Timestamp> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = bytes.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let date = days_from_civil(year, month, day) * DAY;
    if bytes.len() == 10 {
        return Some(Timestamp(date));
    }
    if !matches!(bytes.get(10), Some(b'T' | b't' | b' '))
        || bytes.get(13) != Some(&b':')
        || bytes.get(16) != Some(&b':')
    {
        return None;
    }
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => parse_offset(rest)?,
    };
    Some(Timestamp(
        date + hour * 3600 + minute * 60 + second - offset,
    ))
}

/// `+HH:MM`, `-HH:MM` or `+HHMM`, in seconds east of UTC.
fn parse_offset(text: &str) -> Option<i64> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = text[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = digits[2..].parse().ok()?;
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 3600 + minutes * 60))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(input: &str, expect: Option<&str>) {
        let parsed = input.parse::<Timestamp>().ok().map(|t| t.to_string());
        assert_eq!(parsed.as_deref(), expect, "{input:?}");
    }

    #[test]
    fn reads_the_forms_the_api_uses() {
        let cases = [
            ("1970-01-01", Some("1970-01-01T00:00:00Z")),
            ("2024-02-29", Some("2024-02-29T00:00:00Z")),
            ("2024-01-05T10:00:00-08:00", Some("2024-01-05T18:00:00Z")),
            ("2024-01-05T10:00:00+0530", Some("2024-01-05T04:30:00Z")),
            ("2024-01-05T10:00:00.250Z", Some("2024-01-05T10:00:00Z")),
            ("2024-12-31 23:59:59Z", Some("2024-12-31T23:59:59Z")),
            ("1969-12-31T23:59:59Z", Some("1969-12-31T23:59:59Z")),
            ("2023-02-29", None),
            ("2024-13-01", None),
            ("2024-01-05T24:00:00Z", None),
            ("2024-01-05T10:00:00", None),
            ("2024-01-05T10:00:00.Z", None),
            ("2024-1-05", None),
            ("+024-01-05", None),
            ("", None),
            ("yesterday", None),
        ];
        for (input, expect) in cases {
            check(input, expect);
        }
    }

    proptest! {
        #[test]
        fn writing_then_reading_is_the_identity(secs in -10_000_000_000i64..10_000_000_000) {
            let t = Timestamp::from_unix(secs);
            prop_assert_eq!(t.to_string().parse::<Timestamp>(), Ok(t));
            prop_assert_eq!(t.date_string().parse::<Timestamp>(), Ok(t.start_of_day()));
        }
    }
}
