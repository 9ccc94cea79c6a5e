//! List pages and their paging metadata, in JSON and XML (SPEC 2.4).

use std::fmt;

use quick_xml::events::BytesStart;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::detect::Syntax;
use crate::encode::{JsonObject, XmlPlace, json_string, xml_escape};
use crate::error::{DecodeError, DecodeErrorKind};
use crate::json::Scalar;
use crate::xml::{self, Handler, XmlError, name_is};

/// The paging metadata of a list page: the `@`-keys of a JSON page, the attributes of an XML
/// list element. Numbers arrive as strings (numbers are tolerated too); a value that is not a
/// number where one is expected is left out.
///
/// ```
/// use impact_codec::PageMeta;
///
/// let mut meta = PageMeta::default();
/// assert_eq!(meta.next(), None);
/// meta.next_page_uri = Some(String::new());
/// assert_eq!(meta.next(), None, "the last page has an empty next-page URI");
/// meta.next_page_uri = Some("/Mediapartners/IR1/Campaigns?Page=2".into());
/// assert_eq!(meta.next(), Some("/Mediapartners/IR1/Campaigns?Page=2"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PageMeta {
    /// `@page`: the 1-based page number. The 0-based `{"Page":0,...}` envelope is converted
    /// (its `Page` plus one) so that this is always 1-based.
    pub page: Option<u64>,
    /// `@numpages`.
    pub num_pages: Option<u64>,
    /// `@pagesize`.
    pub page_size: Option<u64>,
    /// `@total`: may be `0` while pages remain.
    pub total: Option<u64>,
    /// `@start`.
    pub start: Option<u64>,
    /// `@end`.
    pub end: Option<u64>,
    /// `@uri`.
    pub uri: Option<String>,
    /// `@firstpageuri`.
    pub first_page_uri: Option<String>,
    /// `@previouspageuri`.
    pub previous_page_uri: Option<String>,
    /// `@nextpageuri`: empty on the last page.
    pub next_page_uri: Option<String>,
    /// `@lastpageuri`.
    pub last_page_uri: Option<String>,
}

/// The paging keys, without `@`, in the order they are written.
const META_KEYS: [&str; 11] = [
    "page",
    "numpages",
    "pagesize",
    "total",
    "start",
    "end",
    "uri",
    "firstpageuri",
    "previouspageuri",
    "nextpageuri",
    "lastpageuri",
];

impl PageMeta {
    /// The next page's URI, or `None` when it is absent or empty (the last page).
    pub fn next(&self) -> Option<&str> {
        self.next_page_uri
            .as_deref()
            .filter(|uri| !uri.trim().is_empty())
    }

    /// Sets the field named by a paging key (without `@`, any letter case). Returns whether
    /// the key is a paging key.
    fn set(&mut self, key: &str, value: Option<String>) -> bool {
        let number = || value.as_deref().and_then(|v| v.trim().parse::<u64>().ok());
        let index = META_KEYS.iter().position(|k| k.eq_ignore_ascii_case(key));
        match index {
            Some(0) => self.page = number(),
            Some(1) => self.num_pages = number(),
            Some(2) => self.page_size = number(),
            Some(3) => self.total = number(),
            Some(4) => self.start = number(),
            Some(5) => self.end = number(),
            Some(6) => self.uri = value,
            Some(7) => self.first_page_uri = value,
            Some(8) => self.previous_page_uri = value,
            Some(9) => self.next_page_uri = value,
            Some(10) => self.last_page_uri = value,
            _ => return false,
        }
        true
    }

    /// The fields that are set, as (key without `@`, text) pairs in the canonical order.
    fn entries(&self) -> Vec<(&'static str, String)> {
        let numbers = [
            self.page,
            self.num_pages,
            self.page_size,
            self.total,
            self.start,
            self.end,
        ];
        let texts = [
            &self.uri,
            &self.first_page_uri,
            &self.previous_page_uri,
            &self.next_page_uri,
            &self.last_page_uri,
        ];
        let mut entries = Vec::new();
        for (key, number) in META_KEYS.iter().zip(numbers) {
            if let Some(number) = number {
                entries.push((*key, number.to_string()));
            }
        }
        for (key, text) in META_KEYS[6..].iter().zip(texts) {
            if let Some(text) = text {
                entries.push((*key, text.clone()));
            }
        }
        entries
    }
}

/// One page of a list: its items and paging metadata.
///
/// ```
/// use impact_codec::decode_page;
///
/// let page = decode_page(
///     br#"{"@page":"1","@numpages":"2","@nextpageuri":"/Mediapartners/IR1/Ads?Page=2","Ads":[{"Id":"7"}]}"#,
/// )
/// .unwrap();
/// assert_eq!(page.list_key.as_deref(), Some("Ads"));
/// assert_eq!(page.meta.num_pages, Some(2));
/// assert_eq!(page.meta.next(), Some("/Mediapartners/IR1/Ads?Page=2"));
/// assert_eq!(page.items[0]["Id"], "7");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// The list's key (JSON) or element name (XML): `Campaigns`, `Ads`, `Results`...; `None`
    /// for a bare JSON array or a body without a list.
    pub list_key: Option<String>,
    /// The paging metadata.
    pub meta: PageMeta,
    /// The items. An XML item becomes an object of its child elements' texts: a child with
    /// children of its own becomes a nested object, a repeated child an array.
    pub items: Vec<Value>,
}

/// Decodes a list page (SPEC 2.4) in JSON or XML, sniffed from the bytes.
///
/// JSON: the `@`-keys beside the list, the list being the first top-level array whose key does
/// not start with `@`; the 0-based `{"Page":0,"PageSize":..,"Results":[..]}` envelope (also
/// reading `TotalResults`, `TotalCount` or `Total`,
/// converting `Page` to 1-based and deriving the page count); or a bare array (one page, no next URI). XML: the
/// attributes of the list element (the first child of `<ImpactRadiusResponse>` that has
/// attributes or child elements, or the root itself when it is not `ImpactRadiusResponse`)
/// and its child elements as items. A document without a list gives a page without items.
///
/// ```
/// use impact_codec::decode_page;
///
/// let xml = br#"<ImpactRadiusResponse><Ads page="2" numpages="2" nextpageuri=""><Ad><Id>9</Id><Name>Spring &amp; sale</Name></Ad></Ads></ImpactRadiusResponse>"#;
/// let page = decode_page(xml).unwrap();
/// assert_eq!(page.list_key.as_deref(), Some("Ads"));
/// assert_eq!(page.meta.page, Some(2));
/// assert_eq!(page.meta.next(), None);
/// assert_eq!(page.items[0]["Name"], "Spring & sale");
/// ```
pub fn decode_page(body: &[u8]) -> Result<Page, DecodeError> {
    // As for error bodies, the bytes decide the format, whatever the content type says.
    match Syntax::of(body) {
        Syntax::Empty => Err(DecodeError::new(
            DecodeErrorKind::Eof,
            "page",
            0,
            0,
            "the body is empty",
        )),
        Syntax::Xml(trimmed) => {
            let text = std::str::from_utf8(trimmed).map_err(|e| {
                DecodeError::at_offset(
                    DecodeErrorKind::Encoding,
                    "xml",
                    trimmed,
                    e.valid_up_to(),
                    "the body is not valid utf-8",
                )
            })?;
            let mut handler = PageHandler::default();
            xml::scan(text, &mut handler).map_err(|e| e.into_decode_error(trimmed))?;
            Ok(handler.page)
        }
        Syntax::Json(trimmed) => {
            let mut deserializer = serde_json::Deserializer::from_slice(trimmed);
            let page = deserializer
                .deserialize_any(PageVisitor)
                .and_then(|page| deserializer.end().map(|()| page))
                .map_err(|e| DecodeError::from_json(&e, Some(trimmed)))?;
            page.ok_or_else(|| {
                DecodeError::new(
                    DecodeErrorKind::Data,
                    "json",
                    0,
                    0,
                    "expected a list page: a json object or array",
                )
            })
        }
    }
}

struct PageVisitor;

impl<'de> Visitor<'de> for PageVisitor {
    type Value = Option<Page>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list page")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut page = Page::default();
        let mut zero_based: Option<u64> = None;
        let mut total: Option<u64> = None;
        while let Some(key) = map.next_key::<String>()? {
            if let Some(name) = key.strip_prefix('@') {
                let value: Scalar = map.next_value()?;
                page.meta.set(name, value.into_text());
            } else if page.list_key.is_none() {
                match map.next_value::<Value>()? {
                    Value::Array(items) => {
                        page.items = items;
                        page.list_key = Some(key);
                    }
                    value => {
                        note_envelope_key(&key, &value, &mut zero_based, &mut total, &mut page.meta)
                    }
                }
            } else if matches!(
                key.as_str(),
                "Page" | "PageSize" | "TotalCount" | "Total" | "TotalResults"
            ) {
                let value = map.next_value::<Value>()?;
                note_envelope_key(&key, &value, &mut zero_based, &mut total, &mut page.meta);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if page.meta.total.is_none() {
            page.meta.total = total;
        }
        if let Some(index) = zero_based {
            page.meta.page = index.checked_add(1);
            // The envelope carries no page count: derive it so that a caller can tell
            // whether pages remain.
            if let (Some(total), Some(size)) = (page.meta.total, page.meta.page_size)
                && size > 0
                && page.meta.num_pages.is_none()
            {
                page.meta.num_pages = Some(total.div_ceil(size));
            }
        }
        Ok(Some(page))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Some(Page {
            items,
            ..Page::default()
        }))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// The keys of the 0-based `{"Page":0,"PageSize":..,"Results":[..]}` envelope.
fn note_envelope_key(
    key: &str,
    value: &Value,
    zero_based: &mut Option<u64>,
    total: &mut Option<u64>,
    meta: &mut PageMeta,
) {
    let number = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match key {
        "Page" => *zero_based = number,
        "PageSize" => meta.page_size = number,
        "TotalCount" | "Total" | "TotalResults" => *total = number,
        _ => {}
    }
}

/// How deep inside an item child elements are kept; deeper ones are skipped.
const MAX_ITEM_DEPTH: usize = 32;

/// One element being built inside an item.
struct Frame {
    name: String,
    children: Map<String, Value>,
    has_children: bool,
    text: String,
}

impl Frame {
    fn new(name: String) -> Frame {
        Frame {
            name,
            children: Map::new(),
            has_children: false,
            text: String::new(),
        }
    }

    fn into_value(self) -> Value {
        if self.has_children {
            Value::Object(self.children)
        } else {
            Value::String(self.text)
        }
    }
}

/// Adds a child's value to an object; a repeated name collects its values in an array.
fn insert_child(children: &mut Map<String, Value>, name: String, value: Value) {
    match children.get_mut(&name) {
        Some(Value::Array(values)) => values.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            children.insert(name, value);
        }
    }
}

#[derive(Default)]
struct PageHandler {
    page: Page,
    root_is_response: bool,
    /// The depth of the list element once chosen (or of the candidate being looked at).
    list_depth: usize,
    list_chosen: bool,
    list_done: bool,
    candidate_meta: PageMeta,
    candidate_name: String,
    candidate_attrs: bool,
    frames: Vec<Frame>,
}

fn local_name(element: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(element.local_name().as_ref()).into_owned()
}

impl PageHandler {
    fn choose_candidate(&mut self) {
        self.list_chosen = true;
        self.page.list_key = Some(std::mem::take(&mut self.candidate_name));
        self.page.meta = std::mem::take(&mut self.candidate_meta);
    }
}

impl Handler for PageHandler {
    fn start(&mut self, depth: usize, element: &BytesStart<'_>) -> Result<(), XmlError> {
        if self.list_done {
            return Ok(());
        }
        if depth == 1 {
            self.root_is_response = name_is(element, "ImpactRadiusResponse");
        }
        let candidate_depth = if depth == 1 && !self.root_is_response {
            Some(1)
        } else if depth == 2 && self.root_is_response && !self.list_chosen {
            Some(2)
        } else {
            None
        };
        if let Some(list_depth) = candidate_depth {
            self.list_depth = list_depth;
            self.candidate_name = local_name(element);
            self.candidate_meta = PageMeta::default();
            self.candidate_attrs = false;
            for attribute in element.attributes().flatten() {
                let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
                let value = attribute.unescape_value().ok().map(|v| v.into_owned());
                self.candidate_attrs |= self.candidate_meta.set(&key, value);
            }
            if self.candidate_attrs {
                self.choose_candidate();
            }
            return Ok(());
        }
        if self.list_depth == 0 || depth <= self.list_depth {
            return Ok(());
        }
        if !self.list_chosen {
            // The candidate has a child element: it is the list.
            self.choose_candidate();
        }
        let inside_item = depth - self.list_depth;
        if inside_item > MAX_ITEM_DEPTH {
            return Ok(());
        }
        if let Some(parent) = self.frames.last_mut() {
            parent.has_children = true;
        }
        self.frames.push(Frame::new(local_name(element)));
        Ok(())
    }

    fn text(&mut self, depth: usize, text: &str) {
        let in_frame = self.list_chosen
            && !self.list_done
            && depth.checked_sub(self.list_depth) == Some(self.frames.len());
        if let Some(frame) = self.frames.last_mut().filter(|_| in_frame) {
            frame.text.push_str(text);
        }
    }

    fn end(&mut self, depth: usize) {
        if self.list_done || self.list_depth == 0 {
            return;
        }
        if depth == self.list_depth {
            if self.list_chosen {
                self.list_done = true;
            }
            return;
        }
        if depth < self.list_depth || depth - self.list_depth > self.frames.len() {
            return;
        }
        let Some(frame) = self.frames.pop() else {
            return;
        };
        match self.frames.last_mut() {
            Some(parent) => {
                let name = frame.name.clone();
                insert_child(&mut parent.children, name, frame.into_value());
            }
            None => {
                // An item: always an object of its children, `{}` when it has none.
                self.page.items.push(Value::Object(frame.children));
            }
        }
    }
}

/// Encodes a JSON list page: the paging keys with `@` and string values, then the list.
///
/// ```
/// use impact_codec::{PageMeta, encode_page_json};
///
/// let meta = PageMeta { page: Some(1), next_page_uri: Some(String::new()), ..PageMeta::default() };
/// let body = encode_page_json("Campaigns", &meta, &[serde_json::json!({"Id": "1"})]);
/// assert_eq!(body, br#"{"@page":"1","@nextpageuri":"","Campaigns":[{"Id":"1"}]}"#);
/// ```
pub fn encode_page_json(list_key: &str, meta: &PageMeta, items: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + 64 * items.len());
    let mut object = JsonObject::new(&mut out);
    for (key, value) in meta.entries() {
        json_string(object.key(&format!("@{key}")), &value);
    }
    let list = object.key(list_key);
    list.push(b'[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            list.push(b',');
        }
        // `Value`'s own writer cannot fail on a `Vec`; its output is the item's JSON.
        list.extend_from_slice(item.to_string().as_bytes());
    }
    list.push(b']');
    object.finish();
    out
}

/// Makes an element name out of a JSON key: characters that cannot appear in an XML name
/// become `_`, and a name that cannot start as it is gets a leading `_`.
fn xml_name(key: &str) -> String {
    let mut name: String = key
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
    {
        name.insert(0, '_');
    }
    name
}

fn xml_value(out: &mut String, name: &str, value: &Value, depth: usize) {
    // Items are written up to a fixed depth: deeper values are written as their
    // JSON text so that a hostile value cannot exhaust the stack.
    if let Value::Array(values) = value
        && depth < MAX_ITEM_DEPTH
    {
        for value in values {
            xml_value(out, name, value, depth + 1);
        }
        return;
    }
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        Value::Null => {}
        Value::String(text) => xml_escape(out, text, XmlPlace::Text),
        Value::Object(children) if depth < MAX_ITEM_DEPTH => {
            for (key, child) in children {
                xml_value(out, &xml_name(key), child, depth + 1);
            }
        }
        other => xml_escape(out, &other.to_string(), XmlPlace::Text),
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Encodes an XML list page: `<ImpactRadiusResponse><Ads page="1" nextpageuri=".."><Ad>..</Ad></Ads></ImpactRadiusResponse>`.
/// Each item's members become child elements (objects nest, arrays repeat the element, `null`
/// is an empty element); keys that are not XML names are made into names (see the source).
///
/// ```
/// use impact_codec::{PageMeta, encode_page_xml};
///
/// let meta = PageMeta { page: Some(1), ..PageMeta::default() };
/// let body = encode_page_xml("Ads", "Ad", &meta, &[serde_json::json!({"Id": "1"})]);
/// assert_eq!(body, br#"<ImpactRadiusResponse><Ads page="1"><Ad><Id>1</Id></Ad></Ads></ImpactRadiusResponse>"#);
/// ```
pub fn encode_page_xml(
    list_element: &str,
    item_element: &str,
    meta: &PageMeta,
    items: &[Value],
) -> Vec<u8> {
    let list_element = xml_name(list_element);
    let item_element = xml_name(item_element);
    let mut out = String::with_capacity(96 + 64 * items.len());
    out.push_str("<ImpactRadiusResponse><");
    out.push_str(&list_element);
    for (key, value) in meta.entries() {
        out.push(' ');
        out.push_str(key);
        out.push_str("=\"");
        xml_escape(&mut out, &value, XmlPlace::Attribute);
        out.push('"');
    }
    out.push('>');
    for item in items {
        match item {
            Value::Array(_) => {
                out.push('<');
                out.push_str(&item_element);
                out.push('>');
                xml_escape(&mut out, &item.to_string(), XmlPlace::Text);
                out.push_str("</");
                out.push_str(&item_element);
                out.push('>');
            }
            item => xml_value(&mut out, &item_element, item, 0),
        }
    }
    out.push_str("</");
    out.push_str(&list_element);
    out.push_str("></ImpactRadiusResponse>");
    out.into_bytes()
}
