//! Every body the emulated API sends. Error and write bodies and list pages are encoded by
//! `impact-codec`; this is the one module (with `fault.rs`) that uses its and
//! `impact-errors`' types, so that their changes land here.

use impact_codec::{PageMeta, WriteResult};
use impact_errors::{BodyFormat, BodyShape, BodyVerdict, DecodedBody, FieldError};
use serde_json::{Map, Value};

use crate::fault::FaultShape;

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
    body.status = Some(error.to_ascii_uppercase().replace(' ', "_"));
    body.message = Some(message.to_owned());
    body.verdict = BodyVerdict::ReportsError;
    impact_codec::encode_json(&body)
}

/// The 403 of a scoped token that lacks an endpoint: `{"status":403,"error":"Forbidden",
/// "message":..}` in JSON (the numeric-status form tap-impact's discovery recognises as
/// "not allowed", `connectors.md` §1.9), an envelope in XML.
pub(crate) fn token_forbidden(format: Format, endpoint: &str) -> Vec<u8> {
    let message = format!("This token is not enabled for the {endpoint} endpoint");
    match format {
        Format::Json => serde_json::to_vec(&serde_json::json!({
            "status": 403,
            "error": "Forbidden",
            "message": message,
        }))
        .unwrap_or_default(),
        Format::Xml => envelope(format, &message, &[]),
    }
}

/// A conversion-endpoint error: `{"Status":"ERROR","errors":[{"field":..,"level":"ERROR",..}]}`.
pub(crate) fn conversion(message: &str) -> Vec<u8> {
    conversion_errors(&[(None, message)])
}

/// A conversion-endpoint error naming fields, each at level `ERROR`.
pub(crate) fn conversion_errors(errors: &[(Option<&str>, &str)]) -> Vec<u8> {
    let mut body = DecodedBody::new(BodyFormat::Json, BodyShape::Conversion);
    body.status = Some("ERROR".to_owned());
    body.errors = errors
        .iter()
        .map(|(field, message)| {
            FieldError::new(
                field.map(str::to_owned),
                (*message).to_owned(),
                Some("ERROR".to_owned()),
            )
        })
        .collect();
    body.verdict = BodyVerdict::ApiError;
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
    (list_key, item_element): (&str, &str),
    meta: &PageMeta,
    items: &[Value],
) -> Vec<u8> {
    match format {
        Format::Json => impact_codec::encode_page_json(list_key, meta, items),
        Format::Xml => {
            let items: Vec<Value> = items.iter().map(xml_shape).collect();
            impact_codec::encode_page_xml(list_key, item_element, meta, &items)
        }
    }
}

/// One object without an envelope: its attributes at the top of the JSON, or directly under
/// `<ImpactRadiusResponse>` in XML (`resources.md` §1.4).
pub(crate) fn object(format: Format, item: &Value) -> Vec<u8> {
    match format {
        Format::Json => impact_codec::to_json(item).unwrap_or_default(),
        Format::Xml => {
            // The codec writes a list element holding items; written with the root's name and
            // no item element wrapper, that is the object under the root.
            let mut out = String::from("<ImpactRadiusResponse>");
            if let Value::Object(map) = xml_shape(item) {
                for (key, value) in &map {
                    xml_element(&mut out, key, value);
                }
            }
            out.push_str("</ImpactRadiusResponse>");
            out.into_bytes()
        }
    }
}

/// Lists nested in items become a wrapper holding one singular element per entry, as the
/// API writes them in XML: `<DeeplinkDomains><DeeplinkDomain>..</DeeplinkDomain></DeeplinkDomains>`.
fn xml_shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = match value {
                        Value::Array(entries) => {
                            let mut wrapper = Map::new();
                            wrapper.insert(
                                singular(key),
                                Value::Array(entries.iter().map(xml_shape).collect()),
                            );
                            Value::Object(wrapper)
                        }
                        other => xml_shape(other),
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `LineItems` → `LineItem`, `Categories` → `Category`, `Addresses` → `Address`.
fn singular(plural: &str) -> String {
    if let Some(stem) = plural.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = plural.strip_suffix("sses") {
        format!("{stem}ss")
    } else if let Some(stem) = plural.strip_suffix('s') {
        stem.to_owned()
    } else {
        format!("{plural}Item")
    }
}

/// Writes one element (arrays repeat it, objects nest, empty strings are empty elements).
fn xml_element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Array(entries) => {
            for entry in entries {
                xml_element(out, name, entry);
            }
        }
        Value::Object(map) => {
            out.push('<');
            out.push_str(name);
            out.push('>');
            for (key, value) in map {
                xml_element(out, key, value);
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        Value::String(text) if text.is_empty() => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        other => {
            let text = match other {
                Value::String(text) => text.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            out.push('<');
            out.push_str(name);
            out.push('>');
            escape(out, &text);
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
    }
}

fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
}

/// A scripted body of a shape, in the request's format where the shape has one, with its
/// `Content-Type`.
pub(crate) fn shaped(
    shape: FaultShape,
    status: u16,
    message: &str,
    format: Format,
) -> (Vec<u8>, &'static str) {
    let json = Format::Json.content_type();
    match shape {
        FaultShape::Envelope => (envelope(format, message, &[]), format.content_type()),
        FaultShape::Problem => (problem(status, message), json),
        FaultShape::Spring => (spring(crate::http::reason(status), message), json),
        FaultShape::Conversion => (conversion(message), json),
        FaultShape::Html => {
            let mut page = String::from("<html><head><title>");
            escape(&mut page, &format!("{status} {message}"));
            page.push_str("</title></head><body><h1>");
            escape(&mut page, &format!("{status} {message}"));
            page.push_str("</h1></body></html>");
            (page.into_bytes(), "text/html; charset=utf-8")
        }
        FaultShape::Empty => (Vec::new(), "text/plain; charset=utf-8"),
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
    use serde_json::json;

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

    #[test]
    fn nested_lists_and_objects_in_xml() {
        let item = json!({"Id": "1", "DeeplinkDomains": ["a.example", "b.example"],
                          "Address": {"City": "Hill Valley"}, "EndDate": "",
                          "Categories": [], "Note": "<&>"});
        let xml = String::from_utf8(object(Format::Xml, &item)).unwrap();
        assert_eq!(
            xml,
            "<ImpactRadiusResponse><Address><City>Hill Valley</City></Address>\
             <Categories></Categories>\
             <DeeplinkDomains><DeeplinkDomain>a.example</DeeplinkDomain>\
             <DeeplinkDomain>b.example</DeeplinkDomain></DeeplinkDomains>\
             <EndDate/><Id>1</Id><Note>&lt;&amp;&gt;</Note></ImpactRadiusResponse>"
        );
        assert_eq!(singular("Addresses"), "Address");
        assert_eq!(singular("Data"), "DataItem");
    }
}
