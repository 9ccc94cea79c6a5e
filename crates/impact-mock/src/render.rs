//! Every body the emulated API sends, encoded through `impact-codec` (the only layer that
//! writes API bodies).

use impact_codec::{PageMeta, WriteResult};
use impact_errors::{BodyFormat, BodyShape, BodyVerdict, DecodedBody, FieldError};
use serde_json::Value;

use crate::data::Resource;

/// The format an answer is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Xml,
}

impl Format {
    /// JSON when `Accept` names JSON (before any XML), else XML: the API's default.
    pub(crate) fn from_accept(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Xml;
        };
        let accept = accept.to_ascii_lowercase();
        match (accept.find("json"), accept.find("xml")) {
            (Some(json), Some(xml)) if json < xml => Format::Json,
            (Some(_), None) => Format::Json,
            _ => Format::Xml,
        }
    }

    pub(crate) const fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=utf-8",
            Format::Xml => "application/xml; charset=utf-8",
        }
    }

    const fn body_format(self) -> BodyFormat {
        match self {
            Format::Json => BodyFormat::Json,
            Format::Xml => BodyFormat::Xml,
        }
    }
}

fn encode(format: Format, body: &DecodedBody) -> Vec<u8> {
    match format {
        Format::Json => impact_codec::encode_json(body),
        Format::Xml => impact_codec::encode_xml(body),
    }
}

/// The canonical error envelope: `Status: ERROR`, a message and field errors.
pub(crate) fn envelope(format: Format, message: &str, errors: &[(&str, &str)]) -> Vec<u8> {
    let mut body = DecodedBody::new(format.body_format(), BodyShape::Envelope);
    body.status = Some("ERROR".to_owned());
    body.message = Some(message.to_owned());
    body.errors = errors
        .iter()
        .map(|(field, message)| {
            FieldError::new(Some((*field).to_owned()), (*message).to_owned(), None)
        })
        .collect();
    body.verdict = BodyVerdict::ApiError;
    encode(format, &body)
}

/// A problem document: `{"status":401,"title":"Unauthorized"}`.
pub(crate) fn problem(status: u16, title: &str) -> Vec<u8> {
    let mut body = DecodedBody::new(BodyFormat::Json, BodyShape::Problem);
    body.status = Some(status.to_string());
    body.message = Some(title.to_owned());
    body.verdict = BodyVerdict::ReportsError;
    impact_codec::encode_json(&body)
}

/// A Spring error: `{"status":"FORBIDDEN","error":"Forbidden","message":..}`.
pub(crate) fn spring(error: &str, message: &str) -> Vec<u8> {
    let mut body = DecodedBody::new(BodyFormat::Json, BodyShape::Spring);
    body.status = Some(error.to_ascii_uppercase());
    body.message = Some(message.to_owned());
    body.verdict = BodyVerdict::ReportsError;
    impact_codec::encode_json(&body)
}

/// The answer to a write: `OK` with `Uri`, `QUEUED` with `QueuedUri`, or `DELETED`.
pub(crate) fn write_result(
    format: Format,
    status: &str,
    uri: Option<String>,
    queued_uri: Option<String>,
) -> Vec<u8> {
    let result = WriteResult {
        status: status.to_owned(),
        uri,
        queued_uri,
    };
    match format {
        Format::Json => result.encode_json(),
        Format::Xml => result.encode_xml(),
    }
}

/// One page of a list.
pub(crate) fn page(
    format: Format,
    resource: Resource,
    meta: &PageMeta,
    items: &[Value],
) -> Vec<u8> {
    match format {
        Format::Json => impact_codec::encode_page_json(resource.list_key(), meta, items),
        Format::Xml => {
            impact_codec::encode_page_xml(resource.list_key(), resource.item_element(), meta, items)
        }
    }
}

/// One item. The codec has no single-resource XML encoder, so the XML answer is the list
/// element holding that one item, without paging attributes.
pub(crate) fn item(format: Format, resource: Resource, item: &Value) -> Vec<u8> {
    match format {
        Format::Json => impact_codec::to_json(item).unwrap_or_default(),
        Format::Xml => impact_codec::encode_page_xml(
            resource.list_key(),
            resource.item_element(),
            &PageMeta::default(),
            std::slice::from_ref(item),
        ),
    }
}

/// A scripted body in JSON.
pub(crate) fn fault_json(body: &DecodedBody) -> Vec<u8> {
    impact_codec::encode_json(body)
}

/// A scripted body in XML.
pub(crate) fn fault_xml(body: &DecodedBody) -> Vec<u8> {
    impact_codec::encode_xml(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_json_only_when_asked() {
        assert_eq!(Format::from_accept(None), Format::Xml);
        assert_eq!(Format::from_accept(Some("application/json")), Format::Json);
        assert_eq!(Format::from_accept(Some("*/*")), Format::Xml);
        assert_eq!(
            Format::from_accept(Some("application/json, application/xml;q=0.5")),
            Format::Json
        );
        assert_eq!(
            Format::from_accept(Some("application/xml, application/json")),
            Format::Xml
        );
    }
}
