//! Parsing of HTTP dates (RFC 9110 section 5.6.7) into Unix seconds, without `std`.

use core::fmt;

/// Why a value is not an HTTP date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpDateError(());

impl fmt::Display for HttpDateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an HTTP date in IMF-fixdate, RFC 850 or asctime form")
    }
}

impl core::error::Error for HttpDateError {}

const ERR: HttpDateError = HttpDateError(());

/// Parses an HTTP date into seconds since the Unix epoch.
///
/// RFC 9110 requires recipients to accept three forms, and so does this function:
/// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate), `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 850,
/// two-digit years read as within 50 years of 2000) and `Sun Nov  6 08:49:37 1994` (asctime).
/// The weekday is not checked against the date, as many servers get it wrong. Dates before 1970
/// are refused.
///
/// ```
/// use impact_errors::parse_http_date;
///
/// assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Ok(784111777));
/// assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Ok(784111777));
/// assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Ok(784111777));
/// assert!(parse_http_date("tomorrow").is_err());
/// ```
pub fn parse_http_date(value: &str) -> Result<u64, HttpDateError> {
    let value = value.trim_matches(|c: char| c == ' ' || c == '\t');
    let (weekday, rest) = value.split_once([',', ' ']).ok_or(ERR)?;
    if weekday.is_empty() || !weekday.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(ERR);
    }
    if value.as_bytes().get(weekday.len()) == Some(&b',') {
        let rest = rest.strip_prefix(' ').ok_or(ERR)?;
        if rest.as_bytes().get(2) == Some(&b'-') {
            rfc850(rest)
        } else {
            imf_fixdate(rest)
        }
    } else {
        asctime(rest)
    }
}

/// `06 Nov 1994 08:49:37 GMT`
fn imf_fixdate(rest: &str) -> Result<u64, HttpDateError> {
    let mut parts = rest.split(' ');
    let day = number(parts.next(), 2)?;
    let month = month(parts.next())?;
    let year = number(parts.next(), 4)?;
    let (h, m, s) = time(parts.next())?;
    if parts.next() != Some("GMT") || parts.next().is_some() {
        return Err(ERR);
    }
    to_epoch(year, month, day, h, m, s)
}

/// `06-Nov-94 08:49:37 GMT`
fn rfc850(rest: &str) -> Result<u64, HttpDateError> {
    let mut parts = rest.split(' ');
    let date = parts.next().ok_or(ERR)?;
    let mut date_parts = date.split('-');
    let day = number(date_parts.next(), 2)?;
    let month = month(date_parts.next())?;
    let year = number(date_parts.next(), 2)?;
    if date_parts.next().is_some() {
        return Err(ERR);
    }
    let year = if year < 50 { 2000 + year } else { 1900 + year };
    let (h, m, s) = time(parts.next())?;
    if parts.next() != Some("GMT") || parts.next().is_some() {
        return Err(ERR);
    }
    to_epoch(year, month, day, h, m, s)
}

/// `Nov  6 08:49:37 1994`
fn asctime(rest: &str) -> Result<u64, HttpDateError> {
    let mut parts = rest.split(' ').filter(|part| !part.is_empty());
    let month = month(parts.next())?;
    let day_text = parts.next().ok_or(ERR)?;
    if day_text.is_empty() || day_text.len() > 2 {
        return Err(ERR);
    }
    let day = number(Some(day_text), day_text.len())?;
    let (h, m, s) = time(parts.next())?;
    let year = number(parts.next(), 4)?;
    if parts.next().is_some() {
        return Err(ERR);
    }
    to_epoch(year, month, day, h, m, s)
}

fn number(text: Option<&str>, digits: usize) -> Result<u64, HttpDateError> {
    let text = text.ok_or(ERR)?;
    if text.len() != digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ERR);
    }
    Ok(text
        .bytes()
        .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0')))
}

fn month(text: Option<&str>) -> Result<u64, HttpDateError> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let text = text.ok_or(ERR)?;
    MONTHS
        .iter()
        .position(|name| *name == text)
        .map(|index| index as u64 + 1)
        .ok_or(ERR)
}

fn time(text: Option<&str>) -> Result<(u64, u64, u64), HttpDateError> {
    let mut parts = text.ok_or(ERR)?.split(':');
    let h = number(parts.next(), 2)?;
    let m = number(parts.next(), 2)?;
    let s = number(parts.next(), 2)?;
    if parts.next().is_some() || h > 23 || m > 59 || s > 60 {
        return Err(ERR);
    }
    Ok((h, m, s))
}

fn to_epoch(year: u64, month: u64, day: u64, h: u64, m: u64, s: u64) -> Result<u64, HttpDateError> {
    if year < 1970 || day == 0 || day > days_in_month(year, month) {
        return Err(ERR);
    }
    let days = days_from_civil(year, month, day);
    Ok(days * 86_400 + h * 3_600 + m * 60 + s)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date on or after it (Howard Hinnant's
/// `days_from_civil`, restricted to non-negative years so that it needs no signed division).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse_http_date;

    fn check(input: &str, expect: Option<u64>) {
        assert_eq!(parse_http_date(input).ok(), expect, "{input:?}");
    }

    #[test]
    fn forms_of_rfc_9110() {
        check("Thu, 01 Jan 1970 00:00:00 GMT", Some(0));
        check("Sun, 06 Nov 1994 08:49:37 GMT", Some(784_111_777));
        check("Wed, 25 Nov 2026 11:35:48 GMT", Some(1_795_606_548));
        check("Tue, 29 Feb 2028 00:00:00 GMT", Some(1_835_395_200));
        check("Sunday, 06-Nov-94 08:49:37 GMT", Some(784_111_777));
        check("Sun Nov  6 08:49:37 1994", Some(784_111_777));
        check("Sun Nov 16 08:49:37 1994", Some(784_975_777));
    }

    #[test]
    fn garbage_is_refused() {
        for input in [
            "",
            "120",
            "-1",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
            "Sun,06 Nov 1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37",
            "Sun, 06 Nov 99999 08:49:37 GMT",
            "é, 06 Nov 1994 08:49:37 GMT",
        ] {
            check(input, None);
        }
    }
}
