//! One streaming pass over an XML document with quick-xml's `Reader`: well-formedness,
//! entity refusal and a depth bound, feeding a small handler that keeps what it needs.

use impact_errors::{BodyFormat, BodyShape, BodyVerdict, DecodedBody, FieldError};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::{DecodeError, DecodeErrorKind};

/// The deepest element nesting a document may have. Real responses nest a handful of levels;
/// anything deeper is refused rather than tracked.
pub const MAX_XML_DEPTH: usize = 1024;

/// Why a document is not acceptable XML, and where.
#[derive(Debug)]
pub(crate) struct XmlError {
    pub(crate) kind: DecodeErrorKind,
    pub(crate) offset: usize,
    pub(crate) message: String,
}

impl XmlError {
    fn new(kind: DecodeErrorKind, offset: usize, message: impl Into<String>) -> XmlError {
        XmlError {
            kind,
            offset,
            message: message.into(),
        }
    }

    fn from_quick(error: &quick_xml::Error, offset: usize) -> XmlError {
        use quick_xml::Error as Q;
        use quick_xml::errors::IllFormedError;
        let kind = match error {
            Q::IllFormed(IllFormedError::MissingEndTag(_)) => DecodeErrorKind::Eof,
            Q::Encoding(_) => DecodeErrorKind::Encoding,
            Q::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(..)) => {
                DecodeErrorKind::Entity
            }
            _ => DecodeErrorKind::Syntax,
        };
        XmlError::new(
            kind,
            offset,
            crate::error::lowercase_first_word(&error.to_string()),
        )
    }

    pub(crate) fn into_decode_error(self, body: &[u8]) -> DecodeError {
        DecodeError::at_offset(self.kind, "xml", body, self.offset, self.message)
    }
}

/// What the scanner reports to whoever reads the document. Depths count from 1 at the root.
pub(crate) trait Handler {
    /// An element opens (for `<a/>`, [`Handler::end`] follows at once).
    fn start(&mut self, depth: usize, element: &BytesStart<'_>) -> Result<(), XmlError>;
    /// Character data directly inside the element at `depth`, already unescaped.
    fn text(&mut self, depth: usize, text: &str);
    /// The element at `depth` closes.
    fn end(&mut self, depth: usize);
}

fn is_xml_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn position(reader: &Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
}

/// Reads `text` as one well-formed XML document, calling `handler` on the way.
///
/// Refused: a DOCTYPE that declares entities, a reference to any entity but the five predefined
/// ones (character references are decoded), an `html` root element, content outside the single
/// root element, nesting deeper than [`MAX_XML_DEPTH`], and whatever quick-xml finds malformed.
pub(crate) fn scan<H: Handler>(text: &str, handler: &mut H) -> Result<(), XmlError> {
    let mut reader = Reader::from_reader(text.as_bytes());
    let mut depth = 0usize;
    let mut root_seen = false;
    loop {
        let at = position(&reader);
        let event = reader
            .read_event()
            .map_err(|e| XmlError::from_quick(&e, position(&reader)))?;
        match event {
            Event::Start(element) => {
                open(&element, depth, root_seen, at)?;
                root_seen = true;
                depth += 1;
                handler.start(depth, &element)?;
            }
            Event::Empty(element) => {
                open(&element, depth, root_seen, at)?;
                root_seen = true;
                handler.start(depth + 1, &element)?;
                handler.end(depth + 1);
            }
            Event::End(_) => {
                if depth == 0 {
                    return Err(syntax(at, "unmatched end tag"));
                }
                handler.end(depth);
                depth -= 1;
            }
            Event::Text(content) => {
                let content = content
                    .xml10_content()
                    .map_err(|e| XmlError::new(DecodeErrorKind::Encoding, at, e.to_string()))?;
                if depth > 0 {
                    handler.text(depth, &content);
                } else if !content.chars().all(is_xml_whitespace) {
                    return Err(syntax(at, "text outside the root element"));
                }
            }
            Event::CData(content) => {
                inside_root(depth, at, "cdata outside the root element")?;
                let content = content
                    .decode()
                    .map_err(|e| XmlError::new(DecodeErrorKind::Encoding, at, e.to_string()))?;
                handler.text(depth, &content);
            }
            Event::GeneralRef(reference) => {
                inside_root(depth, at, "reference outside the root element")?;
                let mut utf8 = [0u8; 4];
                handler.text(
                    depth,
                    resolve_reference(&reference, at)?.encode_utf8(&mut utf8),
                );
            }
            Event::DocType(doctype) => check_doctype(&doctype, root_seen, at)?,
            Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
            Event::Eof => break,
        }
    }
    if depth != 0 {
        return Err(XmlError::new(
            DecodeErrorKind::Eof,
            text.len(),
            "the document ended inside an element",
        ));
    }
    if !root_seen {
        return Err(syntax(text.len(), "no root element"));
    }
    Ok(())
}

fn syntax(at: usize, message: &'static str) -> XmlError {
    XmlError::new(DecodeErrorKind::Syntax, at, message)
}

/// Refuses content that may only appear inside the root element when it appears outside.
fn inside_root(depth: usize, at: usize, message: &'static str) -> Result<(), XmlError> {
    if depth == 0 {
        Err(syntax(at, message))
    } else {
        Ok(())
    }
}

/// A DOCTYPE may only come before the root, and may not declare entities: they are never
/// expanded, internal or external, so a document that declares any is not treated as XML.
fn check_doctype(doctype: &[u8], root_seen: bool, at: usize) -> Result<(), XmlError> {
    if root_seen {
        return Err(syntax(at, "doctype after the root element"));
    }
    if contains_ignore_case(doctype, b"<!ENTITY") {
        return Err(XmlError::new(
            DecodeErrorKind::Entity,
            at,
            "the document declares entities, which are never expanded",
        ));
    }
    Ok(())
}

/// Checks an opening tag before it is reported: one root only, not `html`, within the depth
/// bound, and attributes that are well-formed with only predefined or numeric references.
fn open(
    element: &BytesStart<'_>,
    depth: usize,
    root_seen: bool,
    at: usize,
) -> Result<(), XmlError> {
    if depth == 0 {
        if root_seen {
            return Err(XmlError::new(
                DecodeErrorKind::Syntax,
                at,
                "a second root element",
            ));
        }
        if element.local_name().as_ref().eq_ignore_ascii_case(b"html") {
            return Err(XmlError::new(
                DecodeErrorKind::Data,
                at,
                "the root element is html",
            ));
        }
    }
    if depth >= MAX_XML_DEPTH {
        return Err(XmlError::new(
            DecodeErrorKind::TooDeep,
            at,
            format!("elements nest deeper than {MAX_XML_DEPTH} levels"),
        ));
    }
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|e| {
            XmlError::new(
                DecodeErrorKind::Syntax,
                at,
                crate::error::lowercase_first_word(&e.to_string()),
            )
        })?;
        if attribute.value.contains(&b'&') {
            attribute
                .unescape_value()
                .map_err(|e| XmlError::from_quick(&e, at))?;
        }
    }
    Ok(())
}

/// The character a reference stands for: one of the five predefined entities or a character
/// reference. Anything else is an undeclared entity.
fn resolve_reference(
    reference: &quick_xml::events::BytesRef<'_>,
    at: usize,
) -> Result<char, XmlError> {
    let resolved = if reference.is_char_ref() {
        reference.resolve_char_ref().ok().flatten()
    } else {
        match reference.as_ref() {
            b"lt" => Some('<'),
            b"gt" => Some('>'),
            b"amp" => Some('&'),
            b"apos" => Some('\''),
            b"quot" => Some('"'),
            _ => None,
        }
    };
    resolved.ok_or_else(|| {
        XmlError::new(
            DecodeErrorKind::Entity,
            at,
            "reference to an undeclared entity",
        )
    })
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

/// Whether `name` (a local name) is `expected`, ignoring ASCII case.
pub(crate) fn name_is(element: &BytesStart<'_>, expected: &str) -> bool {
    element
        .local_name()
        .as_ref()
        .eq_ignore_ascii_case(expected.as_bytes())
}

/// Which element of the envelope is being read, by depth.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Slot {
    Other,
    Status,
    Message,
    Errors,
    Error,
    Field,
    ItemMessage,
    Level,
}

/// Keeps the parts of an `<ImpactRadiusResponse>` that decide its shape: `Status`, `Message`,
/// `StatusMessage` and the `Errors` list.
#[derive(Default)]
struct EnvelopeHandler {
    root_is_response: bool,
    /// The slot of the open element at depths 2, 3 and 4.
    slots: [Option<Slot>; 3],
    status: Option<String>,
    message: Option<String>,
    has_errors: bool,
    has_status_message: bool,
    errors: Vec<FieldError>,
    item: [Option<String>; 3],
    item_any: bool,
    capture_depth: usize,
    buffer: String,
}

impl EnvelopeHandler {
    fn slot_at(&self, depth: usize) -> Option<Slot> {
        depth
            .checked_sub(2)
            .and_then(|index| self.slots.get(index).copied().flatten())
    }

    fn push_item(&mut self) {
        if self.item_any {
            let [field, message, level] = std::mem::take(&mut self.item);
            self.errors
                .push(FieldError::new(field, message.unwrap_or_default(), level));
            self.item_any = false;
        }
    }
}

impl Handler for EnvelopeHandler {
    fn start(&mut self, depth: usize, element: &BytesStart<'_>) -> Result<(), XmlError> {
        if depth == 1 {
            self.root_is_response = name_is(element, "ImpactRadiusResponse");
            return Ok(());
        }
        if !self.root_is_response || depth > 4 {
            return Ok(());
        }
        let parent = self.slot_at(depth - 1);
        let slot = match (depth, parent) {
            (2, _) if name_is(element, "Status") => Slot::Status,
            (2, _) if name_is(element, "Message") => Slot::Message,
            (2, _) if name_is(element, "Errors") => {
                self.has_errors = true;
                Slot::Errors
            }
            (2, _) if name_is(element, "StatusMessage") => {
                self.has_status_message = true;
                Slot::Other
            }
            (3, Some(Slot::Errors)) if name_is(element, "Error") => {
                self.push_item();
                // An `<Error>` is one item even when it is empty, as `{}` is in JSON.
                self.item_any = true;
                Slot::Error
            }
            (3, Some(Slot::Errors)) | (4, Some(Slot::Error)) => {
                if name_is(element, "Field") {
                    Slot::Field
                } else if name_is(element, "Message") {
                    Slot::ItemMessage
                } else if name_is(element, "Level") {
                    Slot::Level
                } else {
                    Slot::Other
                }
            }
            _ => Slot::Other,
        };
        self.slots[depth - 2] = Some(slot);
        if matches!(
            slot,
            Slot::Status | Slot::Message | Slot::Field | Slot::ItemMessage | Slot::Level
        ) {
            self.capture_depth = depth;
            self.buffer.clear();
        }
        if matches!(slot, Slot::Field | Slot::ItemMessage | Slot::Level) {
            self.item_any = true;
        }
        Ok(())
    }

    fn text(&mut self, depth: usize, text: &str) {
        if depth == self.capture_depth {
            self.buffer.push_str(text);
        }
    }

    fn end(&mut self, depth: usize) {
        if !self.root_is_response || !(2..=4).contains(&depth) {
            return;
        }
        let slot = self.slot_at(depth);
        self.slots[depth - 2] = None;
        if depth == self.capture_depth {
            self.capture_depth = 0;
            let text = std::mem::take(&mut self.buffer);
            match slot {
                Some(Slot::Status) => self.status = Some(text),
                Some(Slot::Message) => self.message = Some(text),
                Some(Slot::Field) => self.item[0] = Some(text),
                Some(Slot::ItemMessage) => self.item[1] = Some(text),
                Some(Slot::Level) => self.item[2] = Some(text),
                _ => {}
            }
        }
        if matches!(slot, Some(Slot::Error | Slot::Errors)) {
            self.push_item();
        }
    }
}

/// Parses an XML body and builds the decoded body by the rules of SPEC 6.1, or `None` when the
/// document is well-formed but not an `<ImpactRadiusResponse>` (the caller decides between
/// `success` and `unstructured`).
pub(crate) fn decode(text: &str) -> Result<Option<DecodedBody>, XmlError> {
    let mut handler = EnvelopeHandler::default();
    scan(text, &mut handler)?;
    if !handler.root_is_response {
        return Ok(None);
    }
    let status_is_error = handler
        .status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("ERROR"));
    let has_message = handler.message.is_some();
    let api_error = status_is_error && (has_message || handler.has_errors);
    // The Job exception of SPEC 2.2 holds in XML too, so that both formats give one model.
    let job = handler.has_status_message && !has_message && !handler.has_errors;
    let shape = if (status_is_error || handler.has_errors) && !job {
        BodyShape::Envelope
    } else {
        BodyShape::Success
    };
    let mut body = DecodedBody::new(BodyFormat::Xml, shape);
    body.status = handler.status;
    body.message = handler.message;
    body.errors = handler.errors;
    // In XML only the envelope can report an error, and only by the rule of SPEC 2.2.
    body.verdict = if api_error {
        BodyVerdict::ApiError
    } else {
        BodyVerdict::NoError
    };
    Ok(Some(body))
}

/// A handler that keeps nothing: for checking that a document is acceptable XML.
pub(crate) struct Validate;

impl Handler for Validate {
    fn start(&mut self, _: usize, _: &BytesStart<'_>) -> Result<(), XmlError> {
        Ok(())
    }
    fn text(&mut self, _: usize, _: &str) {}
    fn end(&mut self, _: usize) {}
}
