//! Report runs, `ReportExport`, `ClickExport` and the jobs they queue (SPEC 8.2,
//! `resources.md` §3.22-3.23, `sync.md` §5).

use impact_codec::PageMeta;
use serde_json::{Value, json};

use crate::attrs::Cx;
use crate::jobs::{Export, Job, JobStatus, ResultFormat};
use crate::render::{self, Format};
use crate::resources::reports::{self, Report};
use crate::router::{Call, Response, not_found};
use crate::table::{Api, Group};
use crate::time::{DAY, Timestamp};
use crate::world::World;
use crate::world::timeline::THREE_YEARS;

/// The records of a synchronous run come in pages of this size, whatever is asked.
const RUN_PAGE_SIZE: u64 = 20_000;

/// The rate-limit group of running a report.
pub(crate) fn report_group(api: Api, id: &str, _world: &World) -> Group {
    reports::find(api, id).map_or(Group::Other, Report::group)
}

fn bad_request(format: Format, field: &str, message: &str) -> Response {
    Response::new(
        400,
        format,
        render::envelope(format, "Validation Failed", &[(field, message)]),
    )
}

/// The report a path names, or the answer refusing it.
fn runnable(call: &Call<'_>, id: &str) -> Result<&'static Report, Response> {
    let format = call.target.format;
    let Some(report) = reports::find(call.cx.api, id) else {
        return Err(not_found(format));
    };
    if !report.permitted {
        // `/Reports` endpoints an account may not use answer in the Spring style.
        return Err(Response::new(
            403,
            Format::Json,
            render::spring(
                "Forbidden",
                &format!("Not permitted to run report {id} with this account"),
            ),
        ));
    }
    if !report.api_accessible {
        return Err(not_found(format));
    }
    Ok(report)
}

/// The date range and program of a run or export, from the API's parameter names.
fn range(call: &Call<'_>) -> Result<((Timestamp, Timestamp), Option<u64>), Response> {
    let format = call.target.format;
    let query = &call.target.query;
    let names: (&[&str], &[&str]) = match call.cx.api {
        Api::Partner => (&["START_DATE", "StartDate"], &["END_DATE", "EndDate"]),
        Api::Brand => (&["StartDate", "START_DATE"], &["EndDate", "END_DATE"]),
    };
    let date = |names: &[&str]| -> Result<Timestamp, Response> {
        let field = names.first().copied().unwrap_or("StartDate");
        let text = query
            .get(names)
            .ok_or_else(|| bad_request(format, field, "Required"))?;
        Timestamp::parse_api(text).map_err(|_| bad_request(format, field, "Not a valid date"))
    };
    let start = date(names.0)?;
    let end = date(names.1)?;
    // A date alone covers its whole day.
    let end = if query
        .get(names.1)
        .is_some_and(|text| text.trim().len() == 10)
    {
        end.plus(DAY + 2 * 3_600).local_midnight().plus(-1)
    } else {
        end
    };
    if end < start {
        return Err(bad_request(
            format,
            "END_DATE",
            "Must not be before the start",
        ));
    }
    if start < call.cx.now.plus(-THREE_YEARS) {
        return Err(bad_request(
            format,
            "START_DATE",
            "Cannot be more than 3 years in the past",
        ));
    }
    let program = match query.get(&["SUBAID", "ProgramId"]) {
        None => None,
        Some(text) => Some(
            text.trim()
                .parse()
                .map_err(|_| bad_request(format, "SUBAID", "Not a numeric value"))?,
        ),
    };
    Ok(((start, end), program))
}

/// `GET /Reports/{Id}`: the records at once, 20,000 a page.
pub(crate) fn run_report(call: &Call<'_>, id: &str) -> Response {
    let format = call.target.format;
    let report = match runnable(call, id) {
        Ok(report) => report,
        Err(refusal) => return refusal,
    };
    let (span, program) = match range(call) {
        Ok(range) => range,
        Err(refusal) => return refusal,
    };
    let page: u64 = call
        .target
        .query
        .get(&["Page"])
        .and_then(|text| text.parse().ok())
        .filter(|page| *page >= 1)
        .unwrap_or(1);
    let records = reports::records(&call.cx, report, span, program);
    let total = records.len() as u64;
    let num_pages = total.div_ceil(RUN_PAGE_SIZE).max(1);
    let start = ((page - 1) * RUN_PAGE_SIZE).min(total);
    let end = (start + RUN_PAGE_SIZE).min(total);
    let paging = crate::listing::Paging {
        page,
        page_size: RUN_PAGE_SIZE,
        total,
        start,
        end,
    };
    let meta =
        crate::listing::page_meta(call.target.link_path, &call.target.query, paging, num_pages);
    let slice = records
        .get(usize::try_from(start).unwrap_or(0)..usize::try_from(end).unwrap_or(0))
        .unwrap_or_default();
    Response::new(
        200,
        format,
        render::page(format, ("Records", "Record"), &meta, slice),
    )
}

/// `GET /ReportExport/{Id}`: queues a job (the same one for the same parameters).
pub(crate) fn report_export(call: &Call<'_>, id: &str) -> Response {
    let report = match runnable(call, id) {
        Ok(report) => report,
        Err(refusal) => return refusal,
    };
    let ((start, end), program) = match range(call) {
        Ok(range) => range,
        Err(refusal) => return refusal,
    };
    let export = Export::Report {
        report: report.id.to_owned(),
        start,
        end,
        program,
    };
    queue(call, export)
}

/// `GET /ClickExport` (Partner, `ProgramId`) or `/Programs/{Id}/ClickExport` (Brand): one
/// day of clicks (`Date`, default today).
pub(crate) fn click_export(call: &Call<'_>, program: Option<String>) -> Response {
    let format = call.target.format;
    let query = &call.target.query;
    let program = match program.or_else(|| query.get(&["ProgramId"]).map(str::to_owned)) {
        None => None,
        Some(text) => match call.cx.world.campaign_by_id(&text) {
            Some(campaign) => Some(campaign.id),
            None => return not_found(format),
        },
    };
    let day = match query.get(&["Date"]) {
        None => call.cx.now.local_midnight(),
        Some(text) => match Timestamp::parse_api(text) {
            Ok(day) => day.local_midnight(),
            Err(_) => return bad_request(format, "Date", "Not a valid date (yyyy-MM-dd)"),
        },
    };
    if day > call.cx.now || day < call.cx.now.plus(-THREE_YEARS) {
        return bad_request(format, "Date", "Must be a day of the last three years");
    }
    queue(call, Export::Clicks { day, program })
}

/// Queues an export job, or returns the one already made with the same parameters.
fn queue(call: &Call<'_>, export: Export) -> Response {
    let format = call.target.format;
    let Some(result_format) = ResultFormat::parse(call.target.query.get(&["ResultFormat"])) else {
        return bad_request(format, "ResultFormat", "Must be CSV, JSON or XML");
    };
    let key = format!("{:?}|{export:?}|{result_format:?}", call.cx.api);
    let world = call.cx.world;
    let existing = world
        .overlay()
        .jobs
        .iter()
        .find(|job| job.key == key)
        .map(|job| job.id.clone());
    let id = match existing {
        Some(id) => id,
        None => {
            let job = Job {
                id: call.shared.jobs.next_id(world.seed),
                api: call.cx.api,
                export,
                format: result_format,
                created: call.cx.now,
                queued: call.cx.now,
                fails: call.shared.jobs.take_failure(),
                key,
            };
            let id = job.id.clone();
            world.overlay_mut().jobs.push(job);
            id
        }
    };
    let root = call.cx.root;
    let body = json!({
        "Status": "QUEUED",
        "QueuedUri": format!("{root}/Jobs/{id}"),
        "ResultUri": format!("{root}/Jobs/{id}/Download"),
        "ReplayUri": format!("{root}/Jobs/{id}/Replay"),
    });
    Response::new(200, format, render::object(format, &body))
}

/// The job with this id, seen from this API.
fn job(cx: &Cx<'_>, id: &str) -> Option<Job> {
    cx.world
        .overlay()
        .jobs
        .iter()
        .find(|job| job.id == id && job.api == cx.api)
        .cloned()
}

/// The Job object as the API shows it at `cx.now`.
pub(crate) fn describe_job(cx: &Cx<'_>, job: &Job) -> Value {
    let sid = cx.root.rsplit('/').next().unwrap_or_default();
    job.describe(cx.root, sid, cx.now, 0)
}

/// `GET /Jobs/{Id}/Download`: 202 with the job until it is done; then a 302 to a loopback
/// URL that needs no credentials, or the file itself with `Mode=Stream`.
pub(crate) fn download(call: &Call<'_>, id: &str) -> Response {
    let format = call.target.format;
    let Some(job) = job(&call.cx, id) else {
        return not_found(format);
    };
    match job.status(call.cx.now) {
        JobStatus::Queued | JobStatus::Running => Response::new(
            202,
            format,
            render::object(format, &describe_job(&call.cx, &job)),
        ),
        JobStatus::Failed => Response::new(
            404,
            format,
            render::envelope(format, "The job failed: it has no result to download", &[]),
        ),
        JobStatus::Completed => {
            let stream = call
                .target
                .query
                .get(&["Mode"])
                .is_some_and(|mode| mode.eq_ignore_ascii_case("Stream"));
            if stream {
                let (body, content_type) = file(&call.cx, &job);
                return Response::typed(200, content_type, body);
            }
            let sid = call.cx.root.rsplit('/').next().unwrap_or_default();
            let location = format!("http://{}/_mock/files/{sid}/{}", call.shared.addr, job.id);
            Response::typed(302, "text/plain; charset=utf-8", Vec::new())
                .header("Location", location)
        }
    }
}

/// `PUT /Jobs/{Id}/Replay`: runs a finished job again; 403 while it is queued or running.
pub(crate) fn replay(call: &Call<'_>, id: &str) -> Response {
    let format = call.target.format;
    let now = call.cx.now;
    let mut overlay = call.cx.world.overlay_mut();
    let Some(job) = overlay
        .jobs
        .iter_mut()
        .find(|job| job.id == id && job.api == call.cx.api)
    else {
        return not_found(format);
    };
    if !job.status(now).is_done() {
        return Response::new(
            403,
            format,
            render::envelope(
                format,
                "The job cannot be replayed while it is queued or running",
                &[],
            ),
        );
    }
    job.queued = now;
    job.fails = call.shared.jobs.take_failure();
    let job = job.clone();
    drop(overlay);
    Response::new(
        200,
        format,
        render::object(format, &describe_job(&call.cx, &job)),
    )
}

/// The result file of a completed job, as of its completion.
pub(crate) fn file(cx: &Cx<'_>, job: &Job) -> (Vec<u8>, &'static str) {
    let at = job.finished().min(cx.now);
    let cx = Cx { now: at, ..*cx };
    let records: Vec<Value> = match &job.export {
        Export::Report {
            report,
            start,
            end,
            program,
        } => match reports::find(cx.api, report) {
            Some(report) => reports::records(&cx, report, (*start, *end), *program),
            None => Vec::new(),
        },
        Export::Clicks { day, program } => {
            let end = day.plus(DAY + 2 * 3_600).local_midnight().plus(-1);
            let mut filters = vec![
                crate::table::Applied {
                    attr: "EventDate",
                    op: crate::table::Op::From,
                    wanted: crate::table::Wanted::At(*day),
                },
                crate::table::Applied {
                    attr: "EventDate",
                    op: crate::table::Op::To,
                    wanted: crate::table::Wanted::At(end.min(at)),
                },
            ];
            if let Some(program) = program {
                filters.push(crate::table::Applied {
                    attr: "CampaignId",
                    op: crate::table::Op::Eq,
                    wanted: crate::table::Wanted::Texts(vec![program.to_string()]),
                });
            }
            let mut keys = crate::resources::clicks::select_clicks(&cx, &filters);
            keys.reverse();
            keys.into_iter()
                .map(|n| crate::resources::clicks::export_row(&cx, n))
                .collect()
        }
    };
    match job.format {
        ResultFormat::Csv => (csv(&records), job.format.content_type()),
        ResultFormat::Json => (
            impact_codec::to_json(&json!({"Records": records})).unwrap_or_default(),
            job.format.content_type(),
        ),
        ResultFormat::Xml => (
            render::page(
                Format::Xml,
                ("Records", "Record"),
                &PageMeta::default(),
                &records,
            ),
            job.format.content_type(),
        ),
    }
}

/// Records as CSV: a header of the first record's attributes, then one line per record.
fn csv(records: &[Value]) -> Vec<u8> {
    let Some(Value::Object(first)) = records.first() else {
        return Vec::new();
    };
    let columns: Vec<&String> = first.keys().collect();
    let mut out = String::new();
    let field = |out: &mut String, text: &str| {
        if text.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&text.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(text);
        }
    };
    for (index, column) in columns.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        field(&mut out, column);
    }
    out.push_str("\r\n");
    for record in records {
        for (index, column) in columns.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            let value = record.get(column.as_str());
            let text = match value {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            field(&mut out, &text);
        }
        out.push_str("\r\n");
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let records = vec![
            json!({"a": "1", "b": "x,y"}),
            json!({"a": "say \"hi\"", "b": ""}),
        ];
        assert_eq!(
            String::from_utf8(csv(&records)).unwrap(),
            "a,b\r\n1,\"x,y\"\r\nsay \"hi\",\r\n".replace("say \"hi\"", "\"say \"\"hi\"\"\"")
        );
        assert!(csv(&[]).is_empty());
    }
}
