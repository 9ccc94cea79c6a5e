//! Writes that change the world (SPEC 8.2): conversions and actions posted, actions modified
//! and reversed (Brand, queued), action inquiries filed (Partner). Form fields are checked
//! as the API checks them, and refusals are `400` envelopes naming each field.

use std::sync::atomic::Ordering;

use crate::query::Query;
use crate::render::{self, Format};
use crate::router::{Call, Response};
use crate::time::Timestamp;
use crate::world::entities::FIRST_CAMPAIGN_ID;
use crate::world::overlay::{Change, PROCESSING_SECS, Submission, WrittenAction, WrittenInquiry};

/// A write the API accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    /// `POST /Conversions`: queued; the action appears once processed.
    Conversion,
    /// `POST /Actions`: created at once.
    CreateAction,
    /// Brand `PUT /Actions`: a new amount, queued.
    ModifyAction,
    /// Brand `DELETE /Actions`: a reversal, queued.
    ReverseAction,
    /// Partner `POST /ActionInquiries`.
    CreateInquiry,
}

/// Field errors of a form, in the order found.
#[derive(Default)]
struct Problems(Vec<(&'static str, String)>);

impl Problems {
    fn add(&mut self, field: &'static str, message: &str) {
        self.0.push((field, message.to_owned()));
    }

    fn refusal(self, format: Format) -> Option<Response> {
        if self.0.is_empty() {
            return None;
        }
        let errors: Vec<(&str, &str)> = self
            .0
            .iter()
            .map(|(field, message)| (*field, message.as_str()))
            .collect();
        Some(Response::new(
            400,
            format,
            render::envelope(format, "Validation Failed", &errors),
        ))
    }

    /// The conversion endpoints' own shape (SPEC 2.2): lower-case `errors` with a `level`,
    /// in JSON; the canonical envelope when XML was asked for.
    fn conversion_refusal(self, format: Format) -> Option<Response> {
        if format == Format::Xml {
            return self.refusal(format);
        }
        if self.0.is_empty() {
            return None;
        }
        let errors: Vec<(Option<&str>, &str)> = self
            .0
            .iter()
            .map(|(field, message)| (Some(*field), message.as_str()))
            .collect();
        Some(Response::new(
            400,
            format,
            render::conversion_errors(&errors),
        ))
    }
}

/// Reads a required numeric field.
fn number(form: &Query, field: &'static str, problems: &mut Problems) -> Option<u64> {
    match form.get(&[field]).map(str::trim) {
        None | Some("") => {
            problems.add(field, "Required");
            None
        }
        Some(text) => match text.parse::<u64>() {
            Ok(n) if text.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => {
                problems.add(field, "Not a numeric value");
                None
            }
        },
    }
}

fn required<'a>(form: &'a Query, field: &'static str, problems: &mut Problems) -> Option<&'a str> {
    match form.get(&[field]).map(str::trim) {
        None | Some("") => {
            problems.add(field, "Required");
            None
        }
        Some(text) => Some(text),
    }
}

/// An amount in cents from `12.34`; `None` with a problem when it is not one.
fn amount(text: Option<&str>, field: &'static str, problems: &mut Problems) -> Option<i64> {
    let text = text?.trim();
    let parsed = text
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0);
    match parsed {
        Some(value) => Some((value * 100.0).round() as i64),
        None => {
            problems.add(field, "Not a valid amount");
            None
        }
    }
}

fn date(text: Option<&str>, field: &'static str, problems: &mut Problems) -> Option<Timestamp> {
    let text = text?.trim();
    if text.is_empty() {
        return None;
    }
    match Timestamp::parse_api(text) {
        Ok(at) => Some(at),
        Err(_) => {
            problems.add(field, "Not a valid date");
            None
        }
    }
}

pub(crate) fn answer(call: &Call<'_>, write: Write) -> Response {
    let form = Query::parse(&String::from_utf8_lossy(&call.request.body));
    match write {
        Write::Conversion | Write::CreateAction => create_action(call, &form, write),
        Write::ModifyAction | Write::ReverseAction => change_action(call, &form, write),
        Write::CreateInquiry => create_inquiry(call, &form),
    }
}

fn create_action(call: &Call<'_>, form: &Query, write: Write) -> Response {
    let format = call.target.format;
    let mut problems = Problems::default();
    let campaign = number(form, "CampaignId", &mut problems);
    let tracker = number(form, "ActionTrackerId", &mut problems);
    let order = required(form, "OrderId", &mut problems);
    let event = date(form.get(&["EventDate"]), "EventDate", &mut problems);
    let money = amount(
        form.get(&["Amount", "ItemSubTotal1", "ItemSubtotal1"]),
        "Amount",
        &mut problems,
    );
    let world = call.cx.world;
    let campaign = campaign.and_then(|id| {
        let found = world.campaign_by_id(&id.to_string()).map(|c| c.n);
        if found.is_none() {
            problems.add("CampaignId", "No campaign with this id");
        }
        found
    });
    let refusal = match write {
        Write::Conversion => problems.conversion_refusal(format),
        _ => problems.refusal(format),
    };
    if let Some(refusal) = refusal {
        return refusal;
    }
    let (Some(campaign), Some(tracker), Some(order)) = (campaign, tracker, order) else {
        return crate::router::not_found(format);
    };
    let terms = world.campaign(campaign);
    // An unknown tracker is credited to the campaign's first one.
    let tracker = (0..terms.trackers)
        .find(|k| terms.tracker_id(*k) == tracker)
        .unwrap_or(0);
    let now = call.cx.now;
    let queued = write == Write::Conversion;
    let created = if queued {
        now.plus(PROCESSING_SECS)
    } else {
        now
    };
    let sequence = call.shared.sequence.fetch_add(1, Ordering::Relaxed);
    let mut overlay = world.overlay_mut();
    let n = overlay.add_action(WrittenAction {
        campaign,
        tracker,
        order_id: order.to_owned(),
        amount: money.unwrap_or(5_000),
        event: event.unwrap_or(created).min(created),
        created,
    });
    if queued {
        let batch = format!("A-{sequence:08}");
        overlay.submissions.push(Submission {
            batch: batch.clone(),
            kind: "CONVERSION",
            campaign,
            tracker,
            order_id: order.to_owned(),
            payload: String::from_utf8_lossy(&call.request.body).into_owned(),
            submitted: now,
            completed: created,
        });
        let uri = format!("{}/APISubmissions/{batch}", call.cx.root);
        return Response::new(
            200,
            format,
            render::write_result(format, "QUEUED", None, Some(uri)),
        );
    }
    drop(overlay);
    let id = world.action(n).id();
    let uri = format!("{}/Actions/{id}", call.cx.root);
    Response::new(
        200,
        format,
        render::write_result(format, "OK", Some(uri), None),
    )
}

fn change_action(call: &Call<'_>, form: &Query, write: Write) -> Response {
    let format = call.target.format;
    let mut problems = Problems::default();
    let id = required(form, "ActionId", &mut problems);
    let new_amount = match write {
        Write::ReverseAction => {
            let _ = required(form, "DispositionCode", &mut problems);
            Some(0)
        }
        _ => match form.get(&["Amount"]) {
            Some(text) => amount(Some(text), "Amount", &mut problems),
            None => {
                problems.add("Amount", "Required");
                None
            }
        },
    };
    let world = call.cx.world;
    let now = call.cx.now;
    let action = id.and_then(|id| {
        let found = world.action_by_id(id, now);
        if found.is_none() {
            problems.add("ActionId", "No action with this id");
        }
        found
    });
    if let Some(refusal) = problems.refusal(format) {
        return refusal;
    }
    let (Some(action), Some(new_amount)) = (action, new_amount) else {
        return crate::router::not_found(format);
    };
    let at = now.plus(PROCESSING_SECS);
    let sequence = call.shared.sequence.fetch_add(1, Ordering::Relaxed);
    let batch = format!("A-{sequence:08}");
    let mut overlay = world.overlay_mut();
    overlay.change(
        action.n,
        Change {
            at,
            amount: new_amount,
        },
    );
    overlay.submissions.push(Submission {
        batch: batch.clone(),
        kind: if write == Write::ReverseAction {
            "ACTION_REVERSAL"
        } else {
            "ACTION_MODIFICATION"
        },
        campaign: action.campaign,
        tracker: action.tracker,
        order_id: action.id(),
        payload: String::from_utf8_lossy(&call.request.body).into_owned(),
        submitted: now,
        completed: at,
    });
    let uri = format!("{}/APISubmissions/{batch}", call.cx.root);
    Response::new(
        200,
        format,
        render::write_result(format, "QUEUED", None, Some(uri)),
    )
}

fn create_inquiry(call: &Call<'_>, form: &Query) -> Response {
    let format = call.target.format;
    let mut problems = Problems::default();
    let campaign = number(form, "CampaignId", &mut problems);
    let order = required(form, "OrderId", &mut problems);
    let transaction = match form.get(&["TransactionDate"]) {
        Some(text) => date(Some(text), "TransactionDate", &mut problems),
        None => {
            problems.add("TransactionDate", "Required");
            None
        }
    };
    let money = match form.get(&["TransactionAmount"]) {
        Some(text) => amount(Some(text), "TransactionAmount", &mut problems),
        None => {
            problems.add("TransactionAmount", "Required");
            None
        }
    };
    let world = call.cx.world;
    if let Some(id) = campaign
        && world.campaign_by_id(&id.to_string()).is_none()
    {
        problems.add("CampaignId", "No campaign with this id");
    }
    if let Some(refusal) = problems.refusal(format) {
        return refusal;
    }
    let (Some(campaign), Some(order), Some(transaction), Some(money)) =
        (campaign, order, transaction, money)
    else {
        return crate::router::not_found(format);
    };
    let mut overlay = world.overlay_mut();
    overlay.inquiries.push(WrittenInquiry {
        campaign: campaign - FIRST_CAMPAIGN_ID,
        order_id: order.to_owned(),
        amount: money,
        transaction,
        created: call.cx.now,
    });
    let id = crate::resources::written_inquiry_id(overlay.inquiries.len() - 1);
    let uri = format!("{}/ActionInquiries/{id}", call.cx.root);
    Response::new(
        200,
        format,
        render::write_result(format, "OK", Some(uri), None),
    )
}
