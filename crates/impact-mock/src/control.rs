//! The control interface (SPEC 8.4): `/_mock/...` on the API's port, loopback only, no
//! credentials, JSON bodies. Faults, the clock, the request log, quota counters, scoped
//! tokens, the ground-truth world stream, and the files export jobs redirect to.

use std::io;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::attrs::Cx;
use crate::fault::FaultSpec;
use crate::http::{self, Request};
use crate::listing::every_item;
use crate::query::Query;
use crate::resources::row_of;
use crate::server::Shared;
use crate::table::Api;
use crate::{DEMO_ACCOUNT_SID, Resource};

/// A control answer: status and JSON body.
struct Answer {
    status: u16,
    body: Value,
}

fn ok(body: Value) -> Answer {
    Answer { status: 200, body }
}

fn error(status: u16, message: impl Into<String>) -> Answer {
    Answer {
        status,
        body: json!({"error": message.into()}),
    }
}

/// Serves one control request on the connection.
pub(crate) async fn serve(
    stream: &mut TcpStream,
    shared: &Shared,
    request: &Request,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    let from_loopback = stream.peer_addr().is_ok_and(|peer| peer.ip().is_loopback());
    let (path, query) = match request.target.split_once('?') {
        Some((path, query)) => (path, Query::parse(query)),
        None => (request.target.as_str(), Query::default()),
    };
    let answer = if !from_loopback {
        error(403, "the control interface answers loopback clients only")
    } else if let Some(resource) = path.strip_prefix("/_mock/world/") {
        if request.method == "GET" {
            return stream_world(stream, shared, resource, &query, out).await;
        }
        error(405, "GET only")
    } else if let Some(rest) = path.strip_prefix("/_mock/files/") {
        if let Some((status, content_type, body)) = job_file(shared, rest) {
            return write(
                stream,
                out,
                (status, content_type),
                &body,
                request.keep_alive,
            )
            .await;
        }
        error(404, "no such file")
    } else {
        answer(shared, request, path)
    };
    let body = serde_json::to_vec(&answer.body).unwrap_or_default();
    let content_type = "application/json; charset=utf-8";
    write(
        stream,
        out,
        (answer.status, content_type),
        &body,
        request.keep_alive,
    )
    .await
}

async fn write(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    (status, content_type): (u16, &str),
    body: &[u8],
    keep_alive: bool,
) -> io::Result<()> {
    out.clear();
    http::status_line(out, false, status, http::reason(status));
    http::header(out, "Content-Type", content_type);
    http::header_u64(out, "Content-Length", body.len() as u64);
    if !keep_alive {
        http::header(out, "Connection", "close");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    stream.write_all(out).await
}

fn body_json(request: &Request) -> Result<Value, Answer> {
    if request.body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(&request.body)
        .map_err(|problem| error(400, format!("the body is not JSON: {problem}")))
}

fn answer(shared: &Shared, request: &Request, path: &str) -> Answer {
    let method = request.method.as_str();
    let result = match (method, path.trim_end_matches('/')) {
        ("GET", "/_mock") => Ok(ok(json!({
            "endpoints": ["/_mock/resources", "/_mock/faults", "/_mock/clock", "/_mock/requests", "/_mock/quota",
                          "/_mock/world/{Resource}?account=SID&api=partner|brand",
                          "/_mock/tokens", "/_mock/jobs"],
            "resources": Resource::ALL.iter().map(|r| r.name()).collect::<Vec<_>>(),
        }))),
        ("GET", "/_mock/resources") => Ok(ok(table())),
        ("GET", "/_mock/faults") => Ok(ok(faults(shared))),
        ("POST", "/_mock/faults") => add_fault(shared, request),
        ("DELETE", "/_mock/faults") => {
            shared.clear_faults();
            Ok(ok(json!({"cleared": true})))
        }
        ("GET", "/_mock/clock") => Ok(ok(json!({"now": shared.clock.now().to_rfc3339_utc()}))),
        ("POST", "/_mock/clock") => advance(shared, request),
        ("GET", "/_mock/requests") => Ok(ok(requests(shared))),
        ("DELETE", "/_mock/requests") => {
            shared.clear_requests();
            Ok(ok(json!({"cleared": true})))
        }
        ("GET", "/_mock/quota") => Ok(ok(quota(shared))),
        ("DELETE", "/_mock/quota") => {
            shared.quota.reset(shared.clock.elapsed());
            Ok(ok(json!({"reset": true})))
        }
        ("POST", "/_mock/tokens") => add_token(shared, request),
        ("POST", "/_mock/jobs") => fail_jobs(shared, request),
        (_, "/_mock/faults" | "/_mock/clock" | "/_mock/requests" | "/_mock/quota")
        | (_, "/_mock/tokens" | "/_mock/jobs" | "/_mock/resources") => {
            Err(error(405, "method not allowed here"))
        }
        _ => Err(error(
            404,
            "no such control endpoint; GET /_mock lists them",
        )),
    };
    result.unwrap_or_else(|answer| answer)
}

/// The resource table: what each row serves and where its attributes come from.
fn table() -> Value {
    Value::Array(
        crate::resources::TABLE
            .iter()
            .map(|row| {
                let filters: Vec<Value> = row
                    .filters
                    .iter()
                    .map(|filter| {
                        json!({"params": filter.params, "attribute": filter.attr,
                               "op": format!("{:?}", filter.op)})
                    })
                    .collect();
                let rules: Vec<String> = row.rules.iter().map(|rule| format!("{rule:?}")).collect();
                json!({
                    "resource": row.resource.name(),
                    "api": row.api.as_str(),
                    "path": row.path,
                    "list": row.list,
                    "item": row.item,
                    "list_key": row.list_key,
                    "item_element": row.item_element,
                    "id": row.id_attr,
                    "filters": filters,
                    "rules": rules,
                    "page_size": {"default": row.pages.default, "max": row.pages.max},
                    "group": row.group.name(),
                    "source": row.source,
                })
            })
            .collect(),
    )
}

fn faults(shared: &Shared) -> Value {
    Value::Array(
        shared
            .pending()
            .into_iter()
            .map(|scripted| {
                let mut described = scripted.fault.describe();
                let (method, path) = scripted.matcher.describe();
                described.insert("method".into(), method);
                described.insert("path".into(), path);
                described.insert("times".into(), json!(scripted.remaining));
                Value::Object(described)
            })
            .collect(),
    )
}

fn add_fault(shared: &Shared, request: &Request) -> Result<Answer, Answer> {
    let value = body_json(request)?;
    let spec = FaultSpec::from_json(&value).map_err(|problem| error(400, problem.to_string()))?;
    shared.push_fault(spec.matcher().clone(), spec.times(), spec.fault().clone());
    Ok(ok(
        json!({"added": true, "pending": shared.pending().len()}),
    ))
}

fn advance(shared: &Shared, request: &Request) -> Result<Answer, Answer> {
    let value = body_json(request)?;
    let seconds = value
        .get("advance_secs")
        .and_then(Value::as_u64)
        .ok_or_else(|| error(400, "advance_secs must be a whole number of seconds"))?;
    shared.clock.advance(Duration::from_secs(seconds));
    Ok(ok(json!({"now": shared.clock.now().to_rfc3339_utc()})))
}

fn requests(shared: &Shared) -> Value {
    Value::Array(
        shared
            .requests()
            .into_iter()
            .map(|request| {
                json!({
                    "method": request.method,
                    "target": request.target,
                    "status": request.status,
                    "at": request.at.to_rfc3339_utc(),
                    "account": request.account,
                })
            })
            .collect(),
    )
}

fn quota(shared: &Shared) -> Value {
    let elapsed = shared.clock.elapsed();
    let now = shared.clock.now();
    let limits: Vec<Value> = shared
        .quota
        .report(elapsed)
        .into_iter()
        .map(|counter| {
            let sid = shared
                .worlds
                .get(counter.account)
                .map_or("", |(sid, _)| sid.as_str());
            let until = counter.reset_at.saturating_sub(elapsed);
            let until = until.as_secs() + u64::from(until.subsec_nanos() > 0);
            let reset = now.plus(i64::try_from(until).unwrap_or(i64::MAX));
            json!({
                "account": sid,
                "group": counter.group.name(),
                "limit": counter.limit,
                "window_secs": counter.window.as_secs(),
                "used": counter.used,
                "rejected": counter.rejected,
                "reset": reset.to_rfc3339_utc(),
            })
        })
        .collect();
    json!({"limits": limits})
}

fn add_token(shared: &Shared, request: &Request) -> Result<Answer, Answer> {
    let value = body_json(request)?;
    let text = |name: &str| value.get(name).and_then(Value::as_str);
    let account = text("account").ok_or_else(|| error(400, "account (a SID) is required"))?;
    let token = text("token")
        .filter(|token| !token.is_empty() && !token.chars().any(char::is_control))
        .ok_or_else(|| error(400, "token must be a non-empty printable string"))?;
    let endpoints = value
        .get("endpoints")
        .and_then(Value::as_array)
        .ok_or_else(|| error(400, "endpoints must be a list of endpoint names"))?
        .iter()
        .map(|endpoint| endpoint.as_str().map(str::to_owned))
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| error(400, "endpoints must be strings"))?;
    shared
        .add_token(account, token, Some(endpoints))
        .ok_or_else(|| error(404, format!("no account {account}")))?;
    Ok(ok(json!({"added": true})))
}

fn fail_jobs(shared: &Shared, request: &Request) -> Result<Answer, Answer> {
    let value = body_json(request)?;
    let count = value
        .get("fail_next")
        .and_then(Value::as_u64)
        .and_then(|count| u32::try_from(count).ok())
        .ok_or_else(|| error(400, "fail_next must be a whole number"))?;
    shared.jobs.fail_next(count);
    Ok(ok(json!({"failing_next": count})))
}

/// `/_mock/files/{SID}/{JobId}`: the file a completed job's download redirects to.
fn job_file(shared: &Shared, rest: &str) -> Option<(u16, &'static str, Vec<u8>)> {
    let (sid, id) = rest.split_once('/')?;
    let (_, world) = shared.world(sid)?;
    let job = world
        .overlay()
        .jobs
        .iter()
        .find(|job| job.id == id)
        .cloned()?;
    let root = format!("/{}/{sid}", job.api.root_segment());
    let cx = Cx {
        world,
        api: job.api,
        root: &root,
        now: shared.clock.now(),
    };
    if job.status(cx.now) != crate::jobs::JobStatus::Completed {
        return None;
    }
    let (body, content_type) = crate::exports::file(&cx, &job);
    Some((200, content_type, body))
}

/// How many items go into one chunk of the ground-truth stream.
const ITEMS_PER_CHUNK: usize = 256;

/// `GET /_mock/world/{Resource}?account=SID&api=partner|brand`: every item of the resource
/// at `now`, one JSON object per line, as the API serves it in JSON, chunked.
async fn stream_world(
    stream: &mut TcpStream,
    shared: &Shared,
    resource: &str,
    query: &Query,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    let sid = query.get(&["account"]).unwrap_or(DEMO_ACCOUNT_SID);
    let api = match query.get(&["api"]).map(str::to_ascii_lowercase).as_deref() {
        None | Some("partner") => Some(Api::Partner),
        Some("brand") => Some(Api::Brand),
        Some(_) => None,
    };
    let found = Resource::from_name(resource)
        .zip(api)
        .and_then(|(resource, api)| {
            let (index, row) = row_of(resource, api)?;
            let (_, world) = shared.world(sid)?;
            Some((index, row, world, api))
        });
    let Some((index, row, world, api)) = found else {
        let body = serde_json::to_vec(&json!({
            "error": "unknown resource, API or account; GET /_mock lists the resources"
        }))
        .unwrap_or_default();
        return write(
            stream,
            out,
            (404, "application/json; charset=utf-8"),
            &body,
            true,
        )
        .await;
    };
    let root = format!("/{}/{sid}", api.root_segment());
    let cx = Cx {
        world,
        api,
        root: &root,
        now: shared.clock.now(),
    };
    out.clear();
    http::status_line(out, false, 200, "OK");
    http::header(out, "Content-Type", "application/x-ndjson; charset=utf-8");
    http::header(out, "Transfer-Encoding", "chunked");
    http::header(out, "X-Mock-Now", &cx.now.to_rfc3339_utc());
    out.extend_from_slice(b"\r\n");
    stream.write_all(out).await?;
    let mut items = every_item(cx, row, index);
    loop {
        out.clear();
        for item in items.by_ref().take(ITEMS_PER_CHUNK) {
            // `Value`'s writer is the one the API's JSON pages use for items.
            out.extend_from_slice(item.to_string().as_bytes());
            out.push(b'\n');
        }
        if out.is_empty() {
            break;
        }
        let mut chunk = format!("{:x}\r\n", out.len()).into_bytes();
        chunk.extend_from_slice(out);
        chunk.extend_from_slice(b"\r\n");
        stream.write_all(&chunk).await?;
    }
    stream.write_all(b"0\r\n\r\n").await
}
