//! The emulated API: authentication, account roots, scoped tokens, quotas, and the way from
//! a path to the table row, export job or write that answers it.

use crate::attrs::Cx;
use crate::http::Request;
use crate::listing::{ListRequest, Listed, find_item};
use crate::query::Query;
use crate::quota::{Limits, QuotaDecision};
use crate::render::{self, Format};
use crate::resources::TABLE;
use crate::server::{Credential, Shared};
use crate::table::{Api, Data, Group, Row};
use crate::world::World;
use crate::{AuthSeen, Rules};

/// A response the router built, before the connection writes it.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) quota: QuotaDecision,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn new(status: u16, format: Format, body: Vec<u8>) -> Response {
        Response::typed(status, format.content_type(), body)
    }

    pub(crate) fn typed(status: u16, content_type: &'static str, body: Vec<u8>) -> Response {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            quota: QuotaDecision::Unlimited,
            body,
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }
}

/// What a request asked for, once its path is read.
pub(crate) struct Target<'a> {
    /// The path without a format suffix.
    pub(crate) path: &'a str,
    /// The path as sent (page links repeat it, suffix included).
    pub(crate) link_path: &'a str,
    pub(crate) query: Query,
    pub(crate) format: Format,
}

impl<'a> Target<'a> {
    pub(crate) fn parse(request: &'a Request) -> Target<'a> {
        let (link_path, query) = match request.target.split_once('?') {
            Some((path, query)) => (path, query),
            None => (request.target.as_str(), ""),
        };
        let (path, suffix) = strip_format_suffix(link_path);
        Target {
            path,
            link_path,
            query: Query::parse(query),
            format: suffix.unwrap_or_else(|| Format::from_accept(request.accept.as_deref())),
        }
    }
}

/// Checks HTTP Basic credentials: what was presented, and which credential it matches.
pub(crate) fn authenticate(
    credentials: &[std::sync::Arc<Credential>],
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
    let credential = credentials
        .iter()
        .position(|credential| credential.sid == username && credential.token == password);
    let seen = AuthSeen::Basic {
        username: username.to_owned(),
        password_matched: credential.is_some(),
    };
    (seen, credential)
}

/// What a path names under an account root.
enum Endpoint {
    /// A row's list, item, or single object.
    Row {
        row: usize,
        captures: Vec<(&'static str, String)>,
        id: Option<String>,
    },
    /// A deletion of a row's item.
    Delete {
        row: usize,
        id: String,
    },
    RunReport(String),
    ReportExport(String),
    ClickExport(Option<String>),
    JobDownload(String),
    JobReplay(String),
    Write(crate::writes::Write),
}

/// Why a path is not served.
enum Miss {
    NotFound,
    Method(&'static str),
}

/// The rows that may be deleted item by item (Brand OAS: deals, promo codes, contacts,
/// notes, groups, exception-list items, catalog items; `/Ads/{Id}` as the mock always did).
const DELETABLE: &[crate::Resource] = &[
    crate::Resource::Ads,
    crate::Resource::Deals,
    crate::Resource::PromoCodes,
    crate::Resource::Contacts,
    crate::Resource::Notes,
    crate::Resource::MediaPartnerGroups,
    crate::Resource::ExceptionListItems,
    crate::Resource::CatalogItems,
];

/// Answers an API request the script left alone.
pub(crate) fn route(
    shared: &Shared,
    request: &Request,
    credential: Option<std::sync::Arc<Credential>>,
) -> Response {
    let target = Target::parse(request);
    let format = target.format;
    let Some(credential) = credential else {
        return unauthorized(format);
    };
    let mut segments = target.path.split('/').skip(1);
    let root = segments.next().unwrap_or_default();
    let Some(api) = Api::of_root(root) else {
        return not_found(format);
    };
    let Some(sid) = segments.next().filter(|sid| !sid.is_empty()) else {
        return not_found(format);
    };
    let rest: Vec<&str> = segments.collect();
    if let Some(refusal) = forbidden(&credential, sid, &rest, format) {
        return refusal;
    }
    let method = match request.method.as_str() {
        "HEAD" => "GET",
        method => method,
    };
    let (world_index, world) = match shared.worlds.get(credential.world) {
        Some((_, world)) => (credential.world, world),
        None => return Response::new(500, format, render::envelope(format, "account lost", &[])),
    };
    let resolved = resolve(api, &rest, method, shared.rules);
    // Every authenticated call counts, refused ones too; those in the default group.
    let group = resolved
        .as_ref()
        .map_or(Group::Other, |endpoint| group_of(endpoint, api, world));
    let quota = shared
        .quota
        .take(world_index, api, group, shared.clock.elapsed());
    let mut response = match (quota, resolved) {
        (QuotaDecision::Exhausted(limits), _) => too_many_requests(format, &limits),
        (_, Err(Miss::NotFound)) => not_found(format),
        (_, Err(Miss::Method(allow))) => method_not_allowed(format, allow),
        (_, Ok(endpoint)) => {
            let root = format!("/{root}/{sid}");
            let cx = Cx {
                world,
                api,
                root: &root,
                now: shared.clock.now(),
            };
            let call = Call {
                shared,
                request,
                target: &target,
                cx,
            };
            call.answer(endpoint)
        }
    };
    response.quota = quota;
    response
}

/// No credentials, or wrong ones.
fn unauthorized(format: Format) -> Response {
    let response = match format {
        // Some 401s of the real API are problem documents; the XML ones are envelopes.
        Format::Json => Response::new(401, format, render::problem(401, "Unauthorized")),
        Format::Xml => Response::new(
            401,
            format,
            render::envelope(format, "Unauthorized: no valid API credentials", &[]),
        ),
    };
    response.header("WWW-Authenticate", "Basic realm=\"impact.com\"")
}

/// The refusal of a call outside the credential's account or its token's scope, if it is one.
fn forbidden(
    credential: &Credential,
    sid: &str,
    rest: &[&str],
    format: Format,
) -> Option<Response> {
    if sid != credential.sid {
        return Some(Response::new(
            403,
            format,
            render::envelope(
                format,
                "Access denied: the account in the path is not the authenticated account",
                &[],
            ),
        ));
    }
    let scope = credential.scope.as_ref()?;
    let endpoint = rest.first().copied().unwrap_or_default();
    let allowed = scope
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(endpoint));
    (!allowed).then(|| Response::new(403, format, render::token_forbidden(format, endpoint)))
}

/// The answer once the account's quota for the call's group is spent.
fn too_many_requests(format: Format, limits: &Limits) -> Response {
    let message = format!(
        "Too many requests. You have exceeded the limit of {} requests for this endpoint.",
        limits.limit
    );
    Response::new(429, format, render::envelope(format, &message, &[]))
        .header("Retry-After", limits.reset_secs.to_string())
}

/// One authenticated call within its quota.
pub(crate) struct Call<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) request: &'a Request,
    pub(crate) target: &'a Target<'a>,
    pub(crate) cx: Cx<'a>,
}

impl Call<'_> {
    fn answer(&self, endpoint: Endpoint) -> Response {
        let format = self.target.format;
        match endpoint {
            Endpoint::Row { row, captures, id } => self.row(row, &captures, id.as_deref()),
            Endpoint::Delete { row, id } => {
                let Some(table_row) = TABLE.get(row) else {
                    return not_found(format);
                };
                if find_item(self.cx, table_row, row, &[], &id).is_none() {
                    return not_found(format);
                }
                self.cx.world.overlay_mut().delete(table_row.resource, &id);
                Response::new(
                    200,
                    format,
                    render::write_result(format, "DELETED", None, None),
                )
            }
            Endpoint::RunReport(id) => crate::exports::run_report(self, &id),
            Endpoint::ReportExport(id) => crate::exports::report_export(self, &id),
            Endpoint::ClickExport(program) => crate::exports::click_export(self, program),
            Endpoint::JobDownload(id) => crate::exports::download(self, &id),
            Endpoint::JobReplay(id) => crate::exports::replay(self, &id),
            Endpoint::Write(write) => crate::writes::answer(self, write),
        }
    }

    fn row(&self, index: usize, captures: &[(&'static str, String)], id: Option<&str>) -> Response {
        let format = self.target.format;
        let Some(row) = TABLE.get(index).copied() else {
            return not_found(format);
        };
        if let Data::Single(make) = row.data {
            return match make(&self.cx, captures) {
                Some(object) => Response::new(200, format, render::object(format, &object)),
                None => not_found(format),
            };
        }
        if let Some(id) = id {
            return match find_item(self.cx, row, index, captures, id) {
                Some(item) => Response::new(200, format, render::object(format, &item)),
                None => not_found(format),
            };
        }
        let list = ListRequest {
            row,
            row_index: index,
            cx: self.cx,
            query: &self.target.query,
            captures,
            link_path: self.target.link_path,
            rules: self.shared.rules,
            default_page_size: self.shared.page_size,
        };
        match list.run() {
            Listed::Page { meta, items } => Response::new(
                200,
                format,
                render::page(format, list_key(row, self.request), &meta, items.as_slice()),
            ),
            Listed::Refused(refusal) => Response::new(
                400,
                format,
                render::envelope(
                    format,
                    &refusal.message,
                    &[(refusal.field, &refusal.detail)],
                ),
            ),
            Listed::NoParent => not_found(format),
        }
    }
}

/// The list key and item element a row is served under. Brand MediaPartners are listed
/// under `MediaPartners` (what tap-impact reads) unless the request pins `IR-Version: 14` or
/// later, which lists them under `Partners` as the v14 reference does (`resources.md` §3.7).
fn list_key(row: &Row, request: &Request) -> (&'static str, &'static str) {
    if row.resource == crate::Resource::MediaPartners {
        let pinned = request
            .ir_version
            .as_deref()
            .and_then(|version| version.trim().parse::<u32>().ok());
        if pinned.is_some_and(|version| version >= 14) {
            return ("Partners", "Partner");
        }
    }
    (row.list_key, row.item_element)
}

fn resolve(api: Api, rest: &[&str], method: &str, rules: Rules) -> Result<Endpoint, Miss> {
    use crate::writes::Write;
    let only = |allowed: &'static str, endpoint: Endpoint| {
        if allowed.split(", ").any(|m| m == method) {
            Ok(endpoint)
        } else {
            Err(Miss::Method(allowed))
        }
    };
    match (rest, method) {
        (["Conversions"], _) => return only("POST", Endpoint::Write(Write::Conversion)),
        (["Actions"], "POST") => return Ok(Endpoint::Write(Write::CreateAction)),
        (["Actions"], "PUT") if api == Api::Brand => {
            return Ok(Endpoint::Write(Write::ModifyAction));
        }
        (["Actions"], "DELETE") if api == Api::Brand => {
            return Ok(Endpoint::Write(Write::ReverseAction));
        }
        (["Actions"], "GET") => {}
        (["Actions"], _) => {
            return Err(Miss::Method(match api {
                Api::Partner => "GET, POST",
                Api::Brand => "GET, POST, PUT, DELETE",
            }));
        }
        (["ActionInquiries"], "POST") if api == Api::Partner => {
            return Ok(Endpoint::Write(Write::CreateInquiry));
        }
        (["Reports", id], _) => return only("GET", Endpoint::RunReport((*id).to_owned())),
        (["ReportExport", id], _) => return only("GET", Endpoint::ReportExport((*id).to_owned())),
        (["ClickExport"], _) if api == Api::Partner => {
            return only("GET", Endpoint::ClickExport(None));
        }
        (["Programs", program, "ClickExport"], _) if api == Api::Brand => {
            return only("GET", Endpoint::ClickExport(Some((*program).to_owned())));
        }
        (["Jobs", id, "Download"], _) => {
            return only("GET", Endpoint::JobDownload((*id).to_owned()));
        }
        (["Jobs", id, "Replay"], _) => return only("PUT", Endpoint::JobReplay((*id).to_owned())),
        _ => {}
    }
    let (index, row, captures, id) = match_row(api, rest).ok_or(Miss::NotFound)?;
    if row.resource == crate::Resource::Clicks && id.is_none() && rules == Rules::Documented {
        // The Partner `/Clicks` list is gone from v16; legacy rules serve it (tap-impactradius).
        return Err(Miss::NotFound);
    }
    match (method, id) {
        ("GET", id) => Ok(Endpoint::Row {
            row: index,
            captures,
            id,
        }),
        ("DELETE", Some(id)) if DELETABLE.contains(&row.resource) => {
            Ok(Endpoint::Delete { row: index, id })
        }
        (_, Some(_)) if DELETABLE.contains(&row.resource) => Err(Miss::Method("GET, DELETE")),
        _ => Err(Miss::Method("GET")),
    }
}

type Matched = (
    usize,
    &'static Row,
    Vec<(&'static str, String)>,
    Option<String>,
);

/// The row whose path (or item path) the segments match; literal segments beat captures.
fn match_row(api: Api, rest: &[&str]) -> Option<Matched> {
    let mut best: Option<(usize, Matched)> = None;
    for (index, row) in TABLE.iter().copied().enumerate() {
        if row.api != api {
            continue;
        }
        let parts = row.path.split('/').count();
        let as_list = row.list && rest.len() == parts;
        let as_item = row.item && rest.len() == parts + 1;
        if !as_list && !as_item {
            continue;
        }
        let mut captures = Vec::new();
        let mut literals = 0;
        let fits = row.path.split('/').zip(rest).all(|(part, segment)| {
            match part
                .strip_prefix('{')
                .and_then(|part| part.strip_suffix('}'))
            {
                Some(name) if !segment.is_empty() => {
                    captures.push((name, (*segment).to_owned()));
                    true
                }
                Some(_) => false,
                None => {
                    literals += 1;
                    part == *segment
                }
            }
        });
        if !fits {
            continue;
        }
        let id = as_item
            .then(|| rest.last().map(|id| (*id).to_owned()))
            .flatten()
            .filter(|id| !id.is_empty());
        if as_item && id.is_none() {
            continue;
        }
        let score = literals * 2 + usize::from(as_list);
        if best.as_ref().is_none_or(|(best, _)| score > *best) {
            best = Some((score, (index, row, captures, id)));
        }
    }
    best.map(|(_, matched)| matched)
}

fn group_of(endpoint: &Endpoint, api: Api, world: &World) -> Group {
    match endpoint {
        Endpoint::Row { row, .. } | Endpoint::Delete { row, .. } => {
            TABLE.get(*row).map_or(Group::Other, |row| row.group)
        }
        Endpoint::RunReport(id) => crate::exports::report_group(api, id, world),
        Endpoint::ReportExport(_) => Group::ReportExport,
        Endpoint::ClickExport(_) => Group::ClickExport,
        Endpoint::Write(crate::writes::Write::Conversion) if api == Api::Brand => Group::Unlimited,
        _ => Group::Other,
    }
}

pub(crate) fn not_found(format: Format) -> Response {
    Response::new(
        404,
        format,
        render::envelope(format, "The requested resource was not found", &[]),
    )
}

fn method_not_allowed(format: Format, allow: &'static str) -> Response {
    Response::new(
        405,
        format,
        render::envelope(format, "Method not allowed on this resource", &[]),
    )
    .header("Allow", allow)
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
    fn basic_credentials_pick_the_account() {
        let credentials = vec![std::sync::Arc::new(Credential {
            sid: "IRaaa".into(),
            token: "secret".into(),
            scope: None,
            world: 0,
        })];
        // "IRaaa:secret" and "IRaaa:wrong".
        let (seen, index) = authenticate(&credentials, Some("Basic SVJhYWE6c2VjcmV0"));
        assert_eq!(index, Some(0));
        assert!(seen.is_valid());
        let (seen, index) = authenticate(&credentials, Some("Basic SVJhYWE6d3Jvbmc="));
        assert_eq!(index, None);
        assert_eq!(
            seen,
            AuthSeen::Basic {
                username: "IRaaa".into(),
                password_matched: false
            }
        );
        assert_eq!(authenticate(&credentials, None).0, AuthSeen::Missing);
        assert_eq!(
            authenticate(&credentials, Some("Bearer x")).0,
            AuthSeen::OtherScheme
        );
        assert_eq!(
            authenticate(&credentials, Some("Basic !!!")).0,
            AuthSeen::Malformed
        );
    }

    #[test]
    fn literal_segments_beat_captures() {
        let matched = |api, rest: &[&str]| {
            match_row(api, rest).map(|(_, row, captures, id)| (row.path, captures, id))
        };
        let (path, _, id) = matched(Api::Brand, &["Campaigns", "1000"]).unwrap();
        assert_eq!((path, id.as_deref()), ("Campaigns", Some("1000")));
        let (path, captures, id) = matched(Api::Partner, &["Actions", "1.2.3", "Items"]).unwrap();
        assert_eq!(path, "Actions/{ActionId}/Items");
        assert_eq!(captures, vec![("ActionId", "1.2.3".to_owned())]);
        assert_eq!(id, None);
        assert!(matched(Api::Partner, &["Nothing"]).is_none());
    }
}
