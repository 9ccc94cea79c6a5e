//! Canonical encodings of error and success envelopes in JSON and XML (for the mock server and
//! the fixtures), and of form fields.
//!
//! XML text and attribute values escape `< > & " '`, and `\r` (and, in attributes, `\t` and
//! `\n`) as character references, so that every string round-trips exactly, leading and
//! trailing whitespace included. Characters that XML 1.0 does not allow at all (the C0 controls
//! other than tab, line feed and carriage return, and U+FFFE and U+FFFF) cannot be carried by
//! any XML document: they are written as U+FFFD REPLACEMENT CHARACTER.

use impact_errors::{BodyShape, DecodedBody, FieldError};

use crate::json::KeyCase;

/// Appends `text` as a JSON string literal.
pub(crate) fn json_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0C => b"\\f",
            0x00..=0x1F => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..index]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xF)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = index + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Writes a JSON object member by member, placing the commas.
pub(crate) struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> JsonObject<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> JsonObject<'a> {
        out.push(b'{');
        JsonObject { out, first: true }
    }

    /// Starts a member and returns the output for its value.
    pub(crate) fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        json_string(self.out, key);
        self.out.push(b':');
        self.out
    }

    pub(crate) fn string(&mut self, key: &str, value: &str) {
        let out = self.key(key);
        json_string(out, value);
    }

    pub(crate) fn optional(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.string(key, value);
        }
    }

    pub(crate) fn finish(self) {
        self.out.push(b'}');
    }
}

/// Writes a list of field errors with the given keys, in the order field, level, message for
/// conversion bodies and field, message, level for envelopes.
fn json_errors(out: &mut Vec<u8>, errors: &[FieldError], case: KeyCase) {
    out.push(b'[');
    for (index, error) in errors.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let mut item = JsonObject::new(out);
        if case == KeyCase::Lower {
            item.optional("field", error.field.as_deref());
            item.optional("level", error.level.as_deref());
            item.string("message", &error.message);
        } else {
            item.optional("Field", error.field.as_deref());
            item.string("Message", &error.message);
            item.optional("Level", error.level.as_deref());
        }
        item.finish();
    }
    out.push(b']');
}

/// `FORBIDDEN` or `NOT_FOUND` as a reason phrase: `Forbidden`, `Not Found`.
fn reason_phrase(status: &str) -> String {
    let mut phrase = String::with_capacity(status.len());
    let mut word_start = true;
    for c in status.chars() {
        if c == '_' || c == ' ' {
            phrase.push(' ');
            word_start = true;
        } else if word_start {
            phrase.extend(c.to_uppercase());
            word_start = false;
        } else {
            phrase.extend(c.to_lowercase());
        }
    }
    phrase
}

/// Encodes a decoded body canonically in JSON, by its shape:
///
/// - `envelope`: `{"Status","Message","Errors":[{"Field","Message","Level"}]}`; `Errors` is
///   always written (empty when there are none) so that the body stays an envelope.
/// - `conversion`: `{"Status"?,"message"?,"errors":[{"field","level","message"}],"warnings":[..]}`.
/// - `problem`: `{"status":N,"title":..}`; the status is written as a number when it is one.
/// - `spring`: `{"status":..,"error":<reason phrase from the status>,"message":..}`. No
///   `timestamp` is written: the codec reads no clock.
/// - `success`: `{"Status","Message"}`.
/// - `unstructured`: the excerpt's text as is (a plain-text body); `empty`: no bytes.
///
/// Absent values are omitted; warnings are written as `"warnings"` whenever there are some.
///
/// ```
/// use impact_codec::{decode_body, encode_json};
/// use impact_errors::{BodyFormat, BodyShape, DecodedBody, FieldError};
///
/// let mut body = DecodedBody::new(BodyFormat::Json, BodyShape::Envelope);
/// body.status = Some("ERROR".into());
/// body.message = Some("Validation Failed".into());
/// body.errors.push(FieldError::new(Some("AccountId".into()), "Not a numeric value".into(), None));
/// let bytes = encode_json(&body);
/// assert_eq!(
///     bytes,
///     br#"{"Status":"ERROR","Message":"Validation Failed","Errors":[{"Field":"AccountId","Message":"Not a numeric value"}]}"#
/// );
/// assert_eq!(decode_body(&bytes, None).errors, body.errors);
/// ```
pub fn encode_json(body: &DecodedBody) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    let mut object = match body.shape {
        BodyShape::Empty => return out,
        BodyShape::Unstructured => {
            out.extend_from_slice(body.excerpt.as_deref().unwrap_or_default().as_bytes());
            return out;
        }
        _ => JsonObject::new(&mut out),
    };
    match body.shape {
        BodyShape::Envelope => {
            object.optional("Status", body.status.as_deref());
            object.optional("Message", body.message.as_deref());
            json_errors(object.key("Errors"), &body.errors, KeyCase::Upper);
        }
        BodyShape::Conversion => {
            object.optional("Status", body.status.as_deref());
            object.optional("message", body.message.as_deref());
            json_errors(object.key("errors"), &body.errors, KeyCase::Lower);
            json_errors(object.key("warnings"), &body.warnings, KeyCase::Lower);
        }
        BodyShape::Problem => {
            if let Some(status) = body.status.as_deref() {
                match status.parse::<u64>() {
                    Ok(number) => object
                        .key("status")
                        .extend_from_slice(number.to_string().as_bytes()),
                    Err(_) => object.string("status", status),
                }
            }
            object.optional("title", body.message.as_deref());
        }
        BodyShape::Spring => {
            let status = body.status.as_deref().unwrap_or_default();
            object.string("status", status);
            object.string("error", &reason_phrase(status));
            object.optional("message", body.message.as_deref());
        }
        _ => {
            object.optional("Status", body.status.as_deref());
            object.optional("Message", body.message.as_deref());
        }
    }
    if !body.warnings.is_empty() && body.shape != BodyShape::Conversion {
        json_errors(object.key("warnings"), &body.warnings, KeyCase::Lower);
    }
    object.finish();
    out
}

/// Whether XML 1.0 allows the character at all.
fn xml_allows(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Where escaped XML text goes: an attribute value also escapes tab and line feed, which
/// attribute-value normalisation would otherwise turn into spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XmlPlace {
    Text,
    Attribute,
}

/// Appends `text` escaped for XML character data or an attribute value.
pub(crate) fn xml_escape(out: &mut String, text: &str, place: XmlPlace) {
    let attribute = place == XmlPlace::Attribute;
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            c if xml_allows(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
}

/// Appends `<name>text</name>`.
pub(crate) fn xml_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    xml_escape(out, text, XmlPlace::Text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn xml_optional(out: &mut String, name: &str, text: Option<&str>) {
    if let Some(text) = text {
        xml_element(out, name, text);
    }
}

/// Encodes a decoded body canonically in XML: `<ImpactRadiusResponse>` with `<Status>`,
/// `<Message>` and, for envelopes and conversion bodies, `<Errors>` holding one
/// `<Error><Field/><Message/><Level/></Error>` per field error (absent parts omitted;
/// `<Errors/>` is always written for an envelope so that it stays one).
///
/// XML has only the envelope form: problem and Spring bodies are written as their status and
/// message; warnings are not written. `unstructured` gives the excerpt's text as is; `empty`
/// no bytes. See the module notes on characters XML 1.0 cannot carry.
///
/// ```
/// use impact_codec::{decode_body, encode_xml};
/// use impact_errors::{BodyFormat, BodyShape, DecodedBody};
///
/// let mut body = DecodedBody::new(BodyFormat::Xml, BodyShape::Envelope);
/// body.status = Some("ERROR".into());
/// body.message = Some(" <a & b> ".into());
/// let bytes = encode_xml(&body);
/// assert_eq!(
///     bytes,
///     b"<ImpactRadiusResponse><Status>ERROR</Status><Message> &lt;a &amp; b&gt; </Message><Errors></Errors></ImpactRadiusResponse>"
/// );
/// assert_eq!(decode_body(&bytes, None).message, body.message);
/// ```
pub fn encode_xml(body: &DecodedBody) -> Vec<u8> {
    let mut out = String::with_capacity(160);
    match body.shape {
        BodyShape::Empty => return Vec::new(),
        BodyShape::Unstructured => {
            return body
                .excerpt
                .as_deref()
                .unwrap_or_default()
                .as_bytes()
                .to_vec();
        }
        _ => {}
    }
    out.push_str("<ImpactRadiusResponse>");
    xml_optional(&mut out, "Status", body.status.as_deref());
    xml_optional(&mut out, "Message", body.message.as_deref());
    if matches!(body.shape, BodyShape::Envelope | BodyShape::Conversion) {
        out.push_str("<Errors>");
        for error in &body.errors {
            out.push_str("<Error>");
            xml_optional(&mut out, "Field", error.field.as_deref());
            xml_element(&mut out, "Message", &error.message);
            xml_optional(&mut out, "Level", error.level.as_deref());
            out.push_str("</Error>");
        }
        out.push_str("</Errors>");
    }
    out.push_str("</ImpactRadiusResponse>");
    out.into_bytes()
}

/// The answer to a write: `{"Status":"OK","Uri":".."}`, `{"Status":"QUEUED","QueuedUri":".."}`
/// or `{"Status":"DELETED"}` (SPEC 2.3).
///
/// ```
/// use impact_codec::WriteResult;
///
/// let queued = WriteResult::queued("/Mediapartners/IR1/Jobs/7");
/// assert_eq!(queued.encode_json(), br#"{"Status":"QUEUED","QueuedUri":"/Mediapartners/IR1/Jobs/7"}"#);
/// assert_eq!(
///     queued.encode_xml(),
///     b"<ImpactRadiusResponse><Status>QUEUED</Status><QueuedUri>/Mediapartners/IR1/Jobs/7</QueuedUri></ImpactRadiusResponse>"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct WriteResult {
    /// `OK`, `QUEUED`, `DELETED`, ...
    pub status: String,
    /// The created or updated resource.
    pub uri: Option<String>,
    /// The job that will do the work.
    pub queued_uri: Option<String>,
}

impl WriteResult {
    /// `{"Status":"OK","Uri":uri}`.
    pub fn ok(uri: impl Into<String>) -> WriteResult {
        WriteResult {
            status: "OK".into(),
            uri: Some(uri.into()),
            queued_uri: None,
        }
    }

    /// `{"Status":"QUEUED","QueuedUri":uri}`.
    pub fn queued(queued_uri: impl Into<String>) -> WriteResult {
        WriteResult {
            status: "QUEUED".into(),
            uri: None,
            queued_uri: Some(queued_uri.into()),
        }
    }

    /// `{"Status":"DELETED"}`.
    pub fn deleted() -> WriteResult {
        WriteResult {
            status: "DELETED".into(),
            uri: None,
            queued_uri: None,
        }
    }

    /// The JSON body, absent URIs omitted.
    pub fn encode_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        let mut object = JsonObject::new(&mut out);
        object.string("Status", &self.status);
        object.optional("Uri", self.uri.as_deref());
        object.optional("QueuedUri", self.queued_uri.as_deref());
        object.finish();
        out
    }

    /// The XML body, wrapped in `<ImpactRadiusResponse>`, absent URIs omitted.
    pub fn encode_xml(&self) -> Vec<u8> {
        let mut out = String::with_capacity(96);
        out.push_str("<ImpactRadiusResponse>");
        xml_element(&mut out, "Status", &self.status);
        xml_optional(&mut out, "Uri", self.uri.as_deref());
        xml_optional(&mut out, "QueuedUri", self.queued_uri.as_deref());
        out.push_str("</ImpactRadiusResponse>");
        out.into_bytes()
    }
}

/// Encodes fields as `application/x-www-form-urlencoded`: ASCII letters, digits and `*-._`
/// stay, a space becomes `+`, every other byte of the UTF-8 is percent-encoded.
///
/// ```
/// assert_eq!(
///     impact_codec::encode_form([("OrderId", "A 1&2"), ("Note", "é")]),
///     "OrderId=A+1%262&Note=%C3%A9"
/// );
/// ```
pub fn encode_form<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    fn push_encoded(out: &mut String, text: &str) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let unreserved =
            |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'*' | b'-' | b'.' | b'_');
        // Copy runs of characters that stay as they are in one go: most keys and values are
        // one such run. A run is ASCII, so its ends are character boundaries.
        let bytes = text.as_bytes();
        let mut start = 0;
        for (index, &byte) in bytes.iter().enumerate() {
            if unreserved(byte) {
                continue;
            }
            out.push_str(text.get(start..index).unwrap_or_default());
            start = index + 1;
            if byte == b' ' {
                out.push('+');
            } else {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xF)]));
            }
        }
        out.push_str(text.get(start..).unwrap_or_default());
    }
    let mut out = String::new();
    for (index, (key, value)) in pairs.into_iter().enumerate() {
        out.reserve(key.len() + value.len() + 2);
        if index > 0 {
            out.push('&');
        }
        push_encoded(&mut out, key);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}
