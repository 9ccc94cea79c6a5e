//! What the server saw, per window, from the mock's request log.
//!
//! The mock counts a group's windows from its own start and dates requests in world time from
//! `--now`, to the second; so a request's window is its second since `--now` divided by the
//! window, exactly.

use std::ops::Range;

/// The mock's world time at start in the scenario (`--now`).
pub(crate) const WORLD_START: &str = "2026-01-01T00:00:00Z";

/// What the server answered in one window of the event-data group: Actions is what the
/// processes read, ActionUpdates what the hidden tool reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) ours_ok: u64,
    pub(crate) ours_429: u64,
    pub(crate) hidden_ok: u64,
    pub(crate) hidden_429: u64,
}

/// The request log (`GET /_mock/requests`) counted per window of `window_secs`, and the whole
/// windows after the first that end before the processes' last request (the windows in which
/// demand was above the limit throughout).
pub(crate) fn tally(
    log: &serde_json::Value,
    window_secs: u64,
) -> Result<(Vec<Tally>, Range<usize>), String> {
    let mut windows: Vec<Tally> = Vec::new();
    let mut last_ours = 0;
    for entry in log.as_array().ok_or("the request log is not a list")? {
        let field = |name: &str| {
            entry
                .get(name)
                .ok_or_else(|| format!("a logged request without `{name}`: {entry}"))
        };
        let second = second_of(field("at")?.as_str().unwrap_or_default())?;
        let target = field("target")?.as_str().unwrap_or_default();
        let status = field("status")?.as_u64().unwrap_or_default();
        let path = target.split('?').next().unwrap_or(target);
        let endpoint = path.rsplit('/').next().unwrap_or(path);
        let window = usize::try_from(second / window_secs).unwrap_or(usize::MAX);
        if windows.len() <= window {
            windows.resize(window + 1, Tally::default());
        }
        let tally = &mut windows[window];
        let slot = match (endpoint, status) {
            ("Actions", 200) => &mut tally.ours_ok,
            ("Actions", 429) => &mut tally.ours_429,
            ("ActionUpdates", 200) => &mut tally.hidden_ok,
            ("ActionUpdates", 429) => &mut tally.hidden_429,
            _ => continue,
        };
        *slot += 1;
        if endpoint == "Actions" {
            last_ours = last_ours.max(second);
        }
    }
    let whole = usize::try_from(last_ours / window_secs).unwrap_or(0);
    Ok((windows, 1..whole.max(1)))
}

/// Seconds since [`WORLD_START`] of a logged `at` (`2026-01-01THH:MM:SSZ`).
fn second_of(at: &str) -> Result<u64, String> {
    let bad = || format!("a logged time {at:?} outside the scenario's first day");
    let time = at
        .strip_prefix("2026-01-01T")
        .and_then(|rest| rest.strip_suffix('Z'))
        .ok_or_else(bad)?;
    let mut parts = time.split(':').map(str::parse::<u64>);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Ok(h)), Some(Ok(m)), Some(Ok(s)), None) if h < 24 && m < 60 && s < 60 => {
            Ok(h * 3600 + m * 60 + s)
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(second, endpoint, status)` entries, a window of 60 s.
    fn check(entries: &[(u64, &str, u64)], expect: &[(u64, u64, u64, u64)], counted: Range<usize>) {
        let log: Vec<serde_json::Value> = entries
            .iter()
            .map(|&(second, endpoint, status)| {
                serde_json::json!({
                    "method": "GET",
                    "target": format!("/Mediapartners/IRx/{endpoint}?PageSize=2000"),
                    "status": status,
                    "at": format!(
                        "2026-01-01T{:02}:{:02}:{:02}Z",
                        second / 3600,
                        second / 60 % 60,
                        second % 60
                    ),
                    "account": "IRx",
                })
            })
            .collect();
        let (windows, found) = tally(&serde_json::Value::Array(log), 60).expect("a log");
        let found_windows: Vec<_> = windows
            .iter()
            .map(|t| (t.ours_ok, t.ours_429, t.hidden_ok, t.hidden_429))
            .collect();
        assert_eq!((found_windows.as_slice(), found), (expect, counted));
    }

    #[test]
    fn requests_fall_in_the_window_of_their_second() {
        check(&[], &[], 1..1);
        check(
            &[
                (0, "Actions", 200),
                (59, "Actions", 429),
                (60, "Actions", 200),
            ],
            &[(1, 1, 0, 0), (1, 0, 0, 0)],
            1..1,
        );
        // Two whole windows after the first end before the last request at 3:05.
        check(
            &[
                (5, "ActionUpdates", 200),
                (61, "ActionUpdates", 429),
                (130, "Campaigns", 200),
                (185, "Actions", 200),
            ],
            &[(0, 0, 1, 0), (0, 0, 0, 1), (0, 0, 0, 0), (1, 0, 0, 0)],
            1..3,
        );
    }

    #[test]
    fn times_outside_the_first_day_are_refused() {
        for at in [
            "2026-01-02T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T1:2Z",
            "",
        ] {
            assert!(second_of(at).is_err(), "{at}");
        }
        assert_eq!(second_of("2026-01-01T01:02:03Z"), Ok(3723));
    }
}
