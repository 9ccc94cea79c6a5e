//! The emulated API: authentication, account roots, resources, writes and their errors.

use std::sync::atomic::Ordering;

use crate::data::Resource;
use crate::http::Request;
use crate::quota::QuotaDecision;
use crate::render::{self, Format};
use crate::server::Shared;
use crate::{Account, AuthSeen};

/// The largest `PageSize` accepted, as on the real API.
const MAX_PAGE_SIZE: u64 = 20_000;

/// A response the router built, before the connection writes it.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) allow: Option<&'static str>,
    pub(crate) extra: Option<(&'static str, String)>,
    pub(crate) quota: QuotaDecision,
    pub(crate) body: Vec<u8>,
}

impl Response {
    fn new(status: u16, format: Format, body: Vec<u8>) -> Response {
        Response {
            status,
            content_type: format.content_type(),
            allow: None,
            extra: None,
            quota: QuotaDecision::Unlimited,
            body,
        }
    }
}

/// Checks HTTP Basic credentials against the accounts: what was presented, and whose
/// account it opens.
pub(crate) fn authenticate(
    accounts: &[Account],
    authorization: Option<&str>,
) -> (AuthSeen, Option<usize>) {
    let Some(value) = authorization else {
        return (AuthSeen::Missing, None);
    };
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return (AuthSeen::Malformed, None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return (AuthSeen::OtherScheme, None);
    }
    let Some(decoded) = decode_base64(encoded.trim()) else {
        return (AuthSeen::Malformed, None);
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return (AuthSeen::Malformed, None);
    };
    let Some((username, password)) = decoded.split_once(':') else {
        return (AuthSeen::Malformed, None);
    };
    let account = accounts
        .iter()
        .position(|account| account.sid == username && account.token == password);
    let seen = AuthSeen::Basic {
        username: username.to_owned(),
        password_matched: account.is_some(),
    };
    (seen, account)
}

/// Answers a request the script left alone.
pub(crate) fn route(shared: &Shared, request: &Request, account: Option<usize>) -> Response {
    let (path, query) = match request.target.split_once('?') {
        Some((path, query)) => (path, query),
        None => (request.target.as_str(), ""),
    };
    // Page links repeat the path as requested, suffix included, so that following them keeps
    // the format a `.json` suffix chose.
    let link_path = path;
    let (path, suffix_format) = strip_format_suffix(path);
    let format = suffix_format.unwrap_or_else(|| Format::from_accept(request.accept.as_deref()));

    let Some(account_index) = account else {
        let mut response = match format {
            // Some 401s of the real API are problem documents; the XML ones are envelopes.
            Format::Json => Response::new(401, format, render::problem(401, "Unauthorized")),
            Format::Xml => Response::new(
                401,
                format,
                render::envelope(format, "Unauthorized: no valid API credentials", &[]),
            ),
        };
        response.extra = Some(("WWW-Authenticate", "Basic realm=\"impact.com\"".to_owned()));
        return response;
    };
    let Some(account) = shared.accounts.get(account_index) else {
        return Response::new(500, format, render::envelope(format, "account lost", &[]));
    };

    let quota = shared.quota.take(account_index, shared.clock.now());
    let mut response = match quota {
        QuotaDecision::Exhausted { reset_secs, .. } => {
            let mut response = Response::new(
                429,
                format,
                render::envelope(
                    format,
                    "Too many requests: the hourly limit is exhausted",
                    &[],
                ),
            );
            response.extra = Some(("Retry-After", reset_secs.to_string()));
            response
        }
        _ => dispatch(shared, request, account, (path, link_path), query, format),
    };
    response.quota = quota;
    response
}

/// Routes an authenticated request within its quota.
fn dispatch(
    shared: &Shared,
    request: &Request,
    account: &Account,
    (path, link_path): (&str, &str),
    query: &str,
    format: Format,
) -> Response {
    let mut segments = path.split('/').skip(1);
    let root = segments.next().unwrap_or_default();
    if !matches!(root, "Mediapartners" | "Advertisers" | "Agencies") {
        return not_found(format);
    }
    let Some(sid) = segments.next().filter(|sid| !sid.is_empty()) else {
        return not_found(format);
    };
    if sid != account.sid {
        return Response::new(
            403,
            format,
            render::envelope(
                format,
                "Access denied: the account in the path is not the authenticated account",
                &[],
            ),
        );
    }
    let rest: Vec<&str> = segments.collect();
    let method = match request.method.as_str() {
        "HEAD" => "GET",
        method => method,
    };
    match rest.as_slice() {
        ["Reports", ..] => Response::new(
            403,
            // The Spring gateway in front of reports answers JSON whatever was asked.
            Format::Json,
            render::spring("Forbidden", "This endpoint is not enabled for this token"),
        ),
        ["Conversions"] => match method {
            "POST" => write(shared, request, format, root, sid, true),
            _ => method_not_allowed(format, "POST"),
        },
        [list] => match (Resource::from_segment(list), method) {
            (Some(resource), "GET") => list_page(shared, resource, format, link_path, query),
            (Some(Resource::Actions), "POST") => write(shared, request, format, root, sid, false),
            (Some(Resource::Actions), _) => method_not_allowed(format, "GET, POST"),
            (Some(_), _) => method_not_allowed(format, "GET"),
            (None, _) => not_found(format),
        },
        [list, id] => match (Resource::from_segment(list), method) {
            (Some(resource), "GET") => match shared.data.find(resource, id) {
                Some(item) => Response::new(200, format, render::item(format, resource, item)),
                None => not_found(format),
            },
            (Some(Resource::Ads), "DELETE") => match shared.data.find(Resource::Ads, id) {
                Some(_) => Response::new(
                    200,
                    format,
                    render::write_result(format, "DELETED", None, None),
                ),
                None => not_found(format),
            },
            (Some(Resource::Ads), _) => method_not_allowed(format, "GET, DELETE"),
            (Some(_), _) => method_not_allowed(format, "GET"),
            (None, _) => not_found(format),
        },
        _ => not_found(format),
    }
}

fn not_found(format: Format) -> Response {
    Response::new(
        404,
        format,
        render::envelope(format, "The requested resource was not found", &[]),
    )
}

fn method_not_allowed(format: Format, allow: &'static str) -> Response {
    let mut response = Response::new(
        405,
        format,
        render::envelope(format, "Method not allowed on this resource", &[]),
    );
    response.allow = Some(allow);
    response
}

/// One page of a list, with host-relative page links as the real API sends them.
fn list_page(
    shared: &Shared,
    resource: Resource,
    format: Format,
    path: &str,
    query: &str,
) -> Response {
    let mut page = 1u64;
    let mut page_size = shared.page_size;
    for (key, value) in form_pairs(query) {
        let parsed = value.trim().parse::<u64>().ok();
        if key.eq_ignore_ascii_case("Page") {
            match parsed.filter(|&n| n >= 1) {
                Some(n) => page = n,
                None => return invalid_parameter(format, "Page", "Must be a positive integer"),
            }
        } else if key.eq_ignore_ascii_case("PageSize") {
            match parsed.filter(|&n| (1..=MAX_PAGE_SIZE).contains(&n)) {
                Some(n) => page_size = n,
                None => {
                    return invalid_parameter(
                        format,
                        "PageSize",
                        "Must be an integer from 1 to 20000",
                    );
                }
            }
        }
    }
    let items = shared.data.list(resource);
    let total = items.len() as u64;
    let num_pages = total.div_ceil(page_size).max(1);
    let start = (page - 1).saturating_mul(page_size).min(total);
    let end = start.saturating_add(page_size).min(total);
    // Bounds are within the list by construction (both are clamped to its length).
    let slice = items
        .get(usize::try_from(start).unwrap_or(usize::MAX)..usize::try_from(end).unwrap_or(0))
        .unwrap_or_default();
    let link = |n: u64| format!("{path}?PageSize={page_size}&Page={n}");
    let meta = impact_codec::PageMeta {
        page: Some(page),
        num_pages: Some(num_pages),
        page_size: Some(page_size),
        total: Some(total),
        start: Some(start),
        end: Some(end.saturating_sub(1).max(start)),
        uri: Some(link(page)),
        first_page_uri: Some(link(1)),
        previous_page_uri: Some(if page > 1 {
            link((page - 1).min(num_pages))
        } else {
            String::new()
        }),
        next_page_uri: Some(if page < num_pages {
            link(page + 1)
        } else {
            String::new()
        }),
        last_page_uri: Some(link(num_pages)),
    };
    Response::new(200, format, render::page(format, resource, &meta, slice))
}

fn invalid_parameter(format: Format, field: &str, message: &str) -> Response {
    Response::new(
        400,
        format,
        render::envelope(format, "Validation Failed", &[(field, message)]),
    )
}

/// `POST /Conversions` (queued) or `POST /Actions` (created at once).
fn write(
    shared: &Shared,
    request: &Request,
    format: Format,
    root: &str,
    sid: &str,
    queued: bool,
) -> Response {
    let fields = form_pairs_owned(&request.body);
    let mut problems: Vec<(&str, &str)> = Vec::new();
    for required in ["CampaignId", "ActionTrackerId", "OrderId"] {
        match fields.iter().find(|(key, _)| key == required) {
            None => problems.push((required, "Required")),
            Some((_, value)) if value.trim().is_empty() => problems.push((required, "Required")),
            Some((key, value))
                if key != "OrderId" && !value.bytes().all(|b| b.is_ascii_digit()) =>
            {
                problems.push((required, "Not a numeric value"));
            }
            Some(_) => {}
        }
    }
    if !problems.is_empty() {
        return Response::new(
            400,
            format,
            render::envelope(format, "Validation Failed", &problems),
        );
    }
    let number = shared.sequence.fetch_add(1, Ordering::Relaxed);
    let body = if queued {
        let uri = format!("/{root}/{sid}/APISubmissions/A{number:08}");
        render::write_result(format, "QUEUED", None, Some(uri))
    } else {
        let uri = format!("/{root}/{sid}/Actions/1000.4000.{}", 900_000 + number);
        render::write_result(format, "OK", Some(uri), None)
    };
    Response::new(200, format, body)
}

/// Strips a `.json` or `.xml` suffix off the last segment, which selects the format.
fn strip_format_suffix(path: &str) -> (&str, Option<Format>) {
    if let Some(stripped) = path.strip_suffix(".json") {
        (stripped, Some(Format::Json))
    } else if let Some(stripped) = path.strip_suffix(".xml") {
        (stripped, Some(Format::Xml))
    } else {
        (path, None)
    }
}

/// `key=value` pairs of a query string, not percent-decoded (page parameters are numbers).
fn form_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// `application/x-www-form-urlencoded` fields, percent-decoded.
fn form_pairs_owned(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    form_pairs(&text)
        .map(|(key, value)| (percent_decode(key), percent_decode(value)))
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(index + 1..index + 3)
                    .and_then(|pair| std::str::from_utf8(pair).ok())
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok());
                match hex {
                    Some(decoded) => {
                        out.push(decoded);
                        index += 2;
                    }
                    // A stray `%` is kept as it is rather than rejected.
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard base64 with optional padding; `None` on any other character.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn value(byte: u8) -> Option<u32> {
        Some(match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let trimmed = text.trim_end_matches('=');
    if text.len() - trimmed.len() > 2 || trimmed.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    for chunk in trimmed.as_bytes().chunks(4) {
        let mut acc = 0u32;
        for &byte in chunk {
            acc = (acc << 6) | value(byte)?;
        }
        acc <<= 6 * (4 - chunk.len() as u32);
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_credentials() {
        assert_eq!(decode_base64("dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert_eq!(decode_base64("YQ==").unwrap(), b"a");
        assert_eq!(decode_base64("YWI=").unwrap(), b"ab");
        assert!(decode_base64("Y").is_none());
        assert!(decode_base64("a*==").is_none());
    }

    #[test]
    fn form_fields_are_percent_decoded() {
        assert_eq!(
            form_pairs_owned(b"OrderId=a%20b+c&X=%zz&Y"),
            vec![
                ("OrderId".to_owned(), "a b c".to_owned()),
                ("X".to_owned(), "%zz".to_owned()),
                ("Y".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn basic_credentials_pick_the_account() {
        let accounts = vec![Account::new("IRaaa", "secret")];
        // "IRaaa:secret" and "IRaaa:wrong".
        let (seen, index) = authenticate(&accounts, Some("Basic SVJhYWE6c2VjcmV0"));
        assert_eq!(index, Some(0));
        assert_eq!(
            seen,
            AuthSeen::Basic {
                username: "IRaaa".into(),
                password_matched: true
            }
        );
        let (seen, index) = authenticate(&accounts, Some("Basic SVJhYWE6d3Jvbmc="));
        assert_eq!(index, None);
        assert_eq!(
            seen,
            AuthSeen::Basic {
                username: "IRaaa".into(),
                password_matched: false
            }
        );
        assert_eq!(authenticate(&accounts, None).0, AuthSeen::Missing);
        assert_eq!(
            authenticate(&accounts, Some("Bearer x")).0,
            AuthSeen::OtherScheme
        );
        assert_eq!(
            authenticate(&accounts, Some("Basic !!!")).0,
            AuthSeen::Malformed
        );
    }
}
