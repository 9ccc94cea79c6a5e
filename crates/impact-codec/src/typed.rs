//! Typed success bodies: callers' own types read from JSON or XML with serde, and written as JSON.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::detect::Syntax;
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::xml;

fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// Reads a JSON body into `T`. A UTF-8 byte-order mark is skipped; unknown fields are ignored
/// unless `T` says otherwise; the error tells the line and column and why.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Created {
///     #[serde(rename = "Status")]
///     status: String,
///     #[serde(rename = "Uri")]
///     uri: String,
/// }
///
/// let created: Created = impact_codec::from_json(br#"{"Status":"OK","Uri":"/Ads/1","New":1}"#).unwrap();
/// assert_eq!((created.status.as_str(), created.uri.as_str()), ("OK", "/Ads/1"));
/// ```
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    let body = strip_bom(body);
    serde_json::from_slice(body).map_err(|e| DecodeError::from_json(&e, Some(body)))
}

/// Reads an XML body into `T` with quick-xml's serde support.
///
/// What it expects: the API wraps every XML body in `<ImpactRadiusResponse>`; `T` describes
/// the *children* of that root element (the root's name is not checked), so a write result is
/// a struct with fields `Status` and `Uri`, and a list is a struct with a field named after
/// the list element (`Ads`), itself a struct with a `Vec` field named after the items (`Ad`).
/// Attributes are fields whose name starts with `@` (`#[serde(rename = "@page")]`). Element
/// text is read as is. Before serde sees it the document is checked in one streaming pass like
/// [`crate::sniff`] does: it must be well-formed UTF-8 XML, declare no entities and nest at most
/// [`crate::MAX_XML_DEPTH`] levels; entities are never expanded.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Queued {
///     #[serde(rename = "Status")]
///     status: String,
///     #[serde(rename = "QueuedUri")]
///     queued_uri: String,
/// }
///
/// let body = b"<ImpactRadiusResponse><Status>QUEUED</Status><QueuedUri>/Jobs/9</QueuedUri></ImpactRadiusResponse>";
/// let queued: Queued = impact_codec::from_xml(body).unwrap();
/// assert_eq!(queued.queued_uri, "/Jobs/9");
/// ```
pub fn from_xml<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    let body = strip_bom(body);
    let text = std::str::from_utf8(body).map_err(|e| {
        DecodeError::at_offset(
            DecodeErrorKind::Encoding,
            "xml",
            body,
            e.valid_up_to(),
            "the body is not valid utf-8",
        )
    })?;
    xml::scan(text, &mut xml::Validate).map_err(|e| e.into_decode_error(body))?;
    quick_xml::de::from_str(text).map_err(|e| {
        let kind = match e {
            quick_xml::DeError::InvalidXml(_) => DecodeErrorKind::Syntax,
            quick_xml::DeError::UnexpectedEof => DecodeErrorKind::Eof,
            _ => DecodeErrorKind::Data,
        };
        DecodeError::new(
            kind,
            "xml",
            0,
            0,
            crate::error::lowercase_first_word(&e.to_string()),
        )
    })
}

/// Reads a body into `T` from JSON or XML, whichever the bytes are: after a byte-order mark and
/// whitespace, `<` starts XML ([`from_xml`]) and anything else JSON ([`from_json`]), the same
/// rule every decoder of this crate follows.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Created {
///     #[serde(rename = "Uri")]
///     uri: String,
/// }
///
/// let json: Created = impact_codec::from_body(br#"{"Status":"OK","Uri":"/Ads/1"}"#).unwrap();
/// let xml: Created = impact_codec::from_body(
///     b"<ImpactRadiusResponse><Status>OK</Status><Uri>/Ads/1</Uri></ImpactRadiusResponse>",
/// )
/// .unwrap();
/// assert_eq!(json.uri, xml.uri);
/// ```
pub fn from_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    match Syntax::of(body) {
        Syntax::Xml(_) => from_xml(body),
        Syntax::Empty | Syntax::Json(_) => from_json(body),
    }
}

/// Reads `T` from an already parsed JSON value, such as an item of a [`crate::Page`].
///
/// ```
/// let id: u64 = impact_codec::from_value(serde_json::json!(42)).unwrap();
/// assert_eq!(id, 42);
/// ```
pub fn from_value<T: DeserializeOwned>(item: serde_json::Value) -> Result<T, DecodeError> {
    serde_json::from_value(item).map_err(|e| DecodeError::from_json(&e, None))
}

/// Writes a value as compact JSON.
///
/// ```
/// assert_eq!(impact_codec::to_json(&[1, 2]).unwrap(), b"[1,2]");
/// ```
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, EncodeError> {
    serde_json::to_vec(value).map_err(|e| EncodeError::from_json(&e))
}
