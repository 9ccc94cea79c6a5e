//! One-pass JSON decoding of error and success bodies: a purpose-built visitor keeps only the
//! top-level keys that decide the shape, borrowing strings where it can.

use std::{fmt, mem};

use impact_errors::{BodyFormat, BodyShape, BodyVerdict, DecodedBody, FieldError};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A scalar read tolerantly: strings and numbers become their text as they are read (nearly
/// every one read is kept, so building the text at once saves a second step), and objects or
/// arrays are skipped without being built.
#[derive(Debug, Default)]
pub(crate) enum Scalar {
    /// The key was missing or its value was `null`.
    #[default]
    Absent,
    /// A string.
    Str(String),
    /// A number, as the decimal text of its value.
    Number(String),
    /// `true` or `false`.
    Bool(bool),
    /// An object or an array, skipped.
    Nested,
}

impl Scalar {
    pub(crate) fn is_present(&self) -> bool {
        !matches!(self, Scalar::Absent)
    }

    pub(crate) fn is_number(&self) -> bool {
        matches!(self, Scalar::Number(_))
    }

    /// The value as text, when it is a scalar: a number where a string was expected becomes
    /// its decimal text.
    pub(crate) fn into_text(self) -> Option<String> {
        match self {
            Scalar::Str(text) | Scalar::Number(text) => Some(text),
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Absent | Scalar::Nested => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(text) => Some(text),
            _ => None,
        }
    }
}

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any json value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Number(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Number(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Number(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Absent)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Absent)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nested)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nested)
    }
}

/// Whether a key that only counts by its presence holds something other than `null`; the
/// value is skipped without being built.
fn present<'de, A: MapAccess<'de>>(map: &mut A) -> Result<bool, A::Error> {
    Ok(map.next_value::<Option<IgnoredAny>>()?.is_some())
}

/// The top-level keys that matter, recognised without allocating.
#[derive(Clone, Copy)]
enum TopKey {
    StatusUpper,
    MessageUpper,
    ErrorsUpper,
    ErrorsLower,
    Warnings,
    StatusMessage,
    StatusLower,
    StatusCode,
    Title,
    Detail,
    MessageLower,
    ErrorLower,
    Timestamp,
    Other,
}

impl<'de> de::Deserialize<'de> for TopKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = TopKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TopKey, E> {
                Ok(match v {
                    "Status" => TopKey::StatusUpper,
                    "Message" => TopKey::MessageUpper,
                    "Errors" => TopKey::ErrorsUpper,
                    "errors" => TopKey::ErrorsLower,
                    "warnings" => TopKey::Warnings,
                    "StatusMessage" => TopKey::StatusMessage,
                    "status" => TopKey::StatusLower,
                    "statusCode" => TopKey::StatusCode,
                    "title" => TopKey::Title,
                    "detail" => TopKey::Detail,
                    "message" => TopKey::MessageLower,
                    "error" => TopKey::ErrorLower,
                    "timestamp" => TopKey::Timestamp,
                    _ => TopKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// What the top level of a JSON document held, as far as the shape rules care.
#[derive(Default)]
pub(crate) struct Top {
    kind: TopKind,
    status_upper: Scalar,
    message_upper: Scalar,
    errors_upper: Option<Vec<FieldError>>,
    /// `errors`: `Some((items, was_an_array))` when present and not null.
    errors_lower: Option<(Vec<FieldError>, bool)>,
    warnings: Option<Vec<FieldError>>,
    status_message: bool,
    /// The keys of problem and Spring bodies, boxed so that the common envelope, which has
    /// none of them, stays small and cheap to move.
    lower: Option<Box<LowerKeys>>,
}

/// The lower-case keys of problem, Spring and conversion bodies.
#[derive(Default)]
struct LowerKeys {
    status_lower: Scalar,
    status_code: Scalar,
    title: Scalar,
    detail: Scalar,
    message_lower: Scalar,
    error_lower: Scalar,
    timestamp: bool,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum TopKind {
    #[default]
    Object,
    Other,
}

/// Reads the top level into a [`Top`] the caller owns, so that the large struct is written in
/// place instead of being moved through serde's return values.
struct TopSeed<'a> {
    top: &'a mut Top,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a json document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let top = self.top;
        while let Some(key) = map.next_key::<TopKey>()? {
            match key {
                TopKey::StatusUpper => top.status_upper = map.next_value()?,
                TopKey::MessageUpper => top.message_upper = map.next_value()?,
                TopKey::ErrorsUpper => {
                    top.errors_upper = map
                        .next_value_seed(ErrorsSeed {
                            case: KeyCase::Upper,
                        })?
                        .map(|(items, _)| items)
                }
                TopKey::ErrorsLower => {
                    top.errors_lower = map.next_value_seed(ErrorsSeed {
                        case: KeyCase::Lower,
                    })?
                }
                TopKey::Warnings => {
                    top.warnings = map
                        .next_value_seed(ErrorsSeed {
                            case: KeyCase::Lower,
                        })?
                        .map(|(items, _)| items)
                }
                TopKey::StatusMessage => top.status_message = present(&mut map)?,
                TopKey::StatusLower => {
                    top.lower.get_or_insert_default().status_lower = map.next_value()?
                }
                TopKey::StatusCode => {
                    top.lower.get_or_insert_default().status_code = map.next_value()?
                }
                TopKey::Title => top.lower.get_or_insert_default().title = map.next_value()?,
                TopKey::Detail => top.lower.get_or_insert_default().detail = map.next_value()?,
                TopKey::MessageLower => {
                    top.lower.get_or_insert_default().message_lower = map.next_value()?
                }
                TopKey::ErrorLower => {
                    top.lower.get_or_insert_default().error_lower = map.next_value()?
                }
                TopKey::Timestamp => {
                    top.lower.get_or_insert_default().timestamp = present(&mut map)?
                }
                TopKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.other()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        self.other()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        self.other()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        self.other()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.other()
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.other()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.other()
    }
}

impl TopSeed<'_> {
    /// A document that is not an object: no key of it matters.
    fn other<E>(self) -> Result<(), E> {
        self.top.kind = TopKind::Other;
        Ok(())
    }
}

/// Reads `Errors`, `errors` or `warnings` in any of their forms: an array of items, an object
/// `{"Error": item-or-array}`, an object that is itself one item, or a bare string. `case`
/// says which key case the items prefer (`field` for conversion bodies, `Field` for envelopes).
/// Yields `None` for `null`, else the items and whether the value was an array.
struct ErrorsSeed {
    case: KeyCase,
}

/// The case of the keys of an error item (`Field`, `Message`, `Level` in envelopes; `field`,
/// `message`, `level` in conversion bodies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyCase {
    Upper,
    Lower,
}

impl<'de> DeserializeSeed<'de> for ErrorsSeed {
    type Value = Option<(Vec<FieldError>, bool)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ErrorsSeed {
    type Value = Option<(Vec<FieldError>, bool)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of errors")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ItemSeed { case: self.case })? {
            if let Some(item) = item {
                if items.capacity() == 0 {
                    // Most lists hold one to a few items: allocating room for four at once
                    // skips the growth path a first push would take.
                    items = Vec::with_capacity(4);
                }
                items.push(item);
            }
        }
        Ok(Some((items, true)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        let mut direct = ItemParts::default();
        while let Some(key) = map.next_key::<ItemKey>()? {
            match key {
                ItemKey::Error => {
                    // `{"Error": {...}}` or `{"Error": [{...}, ...]}`: the XML-to-JSON artefact.
                    if let Some((nested, _)) =
                        map.next_value_seed(ErrorsSeed { case: self.case })?
                    {
                        items.extend(nested);
                    }
                }
                ItemKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
                key => direct.set(key, map.next_value()?, self.case),
            }
        }
        if direct.any {
            items.insert(0, direct.finish());
        }
        Ok(Some((items, false)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some((
            vec![FieldError::new(None, v.to_owned(), None)],
            false,
        )))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some((
            vec![FieldError::new(None, v.to_string(), None)],
            false,
        )))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some((
            vec![FieldError::new(None, v.to_string(), None)],
            false,
        )))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some((
            vec![FieldError::new(None, v.to_string(), None)],
            false,
        )))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some((
            vec![FieldError::new(None, v.to_string(), None)],
            false,
        )))
    }
}

/// The keys of one error item, in both letter cases.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ItemKey {
    FieldUpper,
    FieldLower,
    MessageUpper,
    MessageLower,
    LevelUpper,
    LevelLower,
    Error,
    Other,
}

impl<'de> de::Deserialize<'de> for ItemKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = ItemKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ItemKey, E> {
                Ok(match v {
                    "Field" => ItemKey::FieldUpper,
                    "field" => ItemKey::FieldLower,
                    "Message" => ItemKey::MessageUpper,
                    "message" => ItemKey::MessageLower,
                    "Level" => ItemKey::LevelUpper,
                    "level" => ItemKey::LevelLower,
                    "Error" | "error" => ItemKey::Error,
                    _ => ItemKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// The parts of one error item as read (field, message, level). A key in the preferred case
/// (`field` for conversion bodies, `Field` for envelopes) wins over the other case.
#[derive(Default)]
struct ItemParts {
    any: bool,
    parts: [Option<String>; 3],
    /// Which parts were set from a key in the preferred case.
    preferred: [bool; 3],
}

impl ItemParts {
    fn set(&mut self, key: ItemKey, value: Scalar, preferred_case: KeyCase) {
        let (slot, case) = match key {
            ItemKey::FieldUpper => (0, KeyCase::Upper),
            ItemKey::FieldLower => (0, KeyCase::Lower),
            ItemKey::MessageUpper => (1, KeyCase::Upper),
            ItemKey::MessageLower => (1, KeyCase::Lower),
            ItemKey::LevelUpper => (2, KeyCase::Upper),
            ItemKey::LevelLower => (2, KeyCase::Lower),
            ItemKey::Error | ItemKey::Other => return,
        };
        self.any = true;
        let preferred = case == preferred_case;
        if preferred || !self.preferred[slot] {
            self.parts[slot] = value.into_text();
            self.preferred[slot] = preferred;
        }
    }

    fn finish(self) -> FieldError {
        let [field, message, level] = self.parts;
        FieldError::new(field, message.unwrap_or_default(), level)
    }
}

/// One item of an error list: an object with field, message and level, or a bare scalar,
/// whose text becomes the message. `null`, arrays and other nested values yield no item.
struct ItemSeed {
    case: KeyCase,
}

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Option<FieldError>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = Option<FieldError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an error item")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut parts = ItemParts::default();
        while let Some(key) = map.next_key::<ItemKey>()? {
            match key {
                ItemKey::Error | ItemKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
                key => parts.set(key, map.next_value()?, self.case),
            }
        }
        Ok(Some(parts.finish()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(FieldError::new(None, v.to_owned(), None)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(FieldError::new(None, v.to_string(), None)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(FieldError::new(None, v.to_string(), None)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(FieldError::new(None, v.to_string(), None)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(FieldError::new(None, v.to_string(), None)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Parses `body` as one whole JSON document (trailing bytes other than whitespace are an error)
/// and reads its top level. The caller has checked that the whole body is UTF-8, as JSON text
/// must be, including inside the strings that are skipped.
pub(crate) fn parse(body: &str, top: &mut Top) -> Result<(), serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(body);
    TopSeed { top }.deserialize(&mut deserializer)?;
    deserializer.end()
}

/// Builds the decoded body from the top level by the shape rules of SPEC 6.1. Returns `None`
/// for a parsed document of no known shape, which the caller turns into `success` or
/// `unstructured` depending on the HTTP status.
pub(crate) fn classify(top: &mut Top) -> Option<DecodedBody> {
    if top.kind != TopKind::Object {
        return None;
    }
    let status_is_error = top
        .status_upper
        .as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("ERROR"));
    let has_errors_upper = top.errors_upper.is_some();
    let has_message_upper = top.message_upper.is_present();
    let has_errors_lower = top.errors_lower.is_some();
    let api_error = status_is_error && (has_message_upper || has_errors_upper || has_errors_lower);
    let errors_lower_is_array = matches!(top.errors_lower, Some((_, true)));
    let lower = top.lower.take().map(|boxed| *boxed).unwrap_or_default();

    // Each shape says whether it reports an error (a new body reports none); an API error by
    // the rule of SPEC 2.2 overrides them all below.
    let mut body;
    if errors_lower_is_array && !has_errors_upper && !has_message_upper {
        body = DecodedBody::new(BodyFormat::Json, BodyShape::Conversion);
        body.status = mem::take(&mut top.status_upper).into_text();
        body.message = lower.message_lower.into_text();
        body.errors = top
            .errors_lower
            .take()
            .map(|(items, _)| items)
            .unwrap_or_default();
        if !body.errors.is_empty() {
            body.verdict = BodyVerdict::ReportsError;
        }
    } else if (has_errors_upper
        || status_is_error
        || (has_message_upper && !top.status_upper.is_present()))
        && !(top.status_message && !has_message_upper && !has_errors_upper)
    {
        body = DecodedBody::new(BodyFormat::Json, BodyShape::Envelope);
        body.status = mem::take(&mut top.status_upper).into_text();
        body.message = mem::take(&mut top.message_upper).into_text();
        body.errors = top.errors_upper.take().unwrap_or_default();
    } else if top.status_upper.is_present() {
        body = DecodedBody::new(BodyFormat::Json, BodyShape::Success);
        body.status = mem::take(&mut top.status_upper).into_text();
        body.message = mem::take(&mut top.message_upper).into_text();
    } else if lower.status_lower.as_str().is_some()
        && (lower.error_lower.is_present() || lower.timestamp)
    {
        body = DecodedBody::new(BodyFormat::Json, BodyShape::Spring);
        body.status = lower.status_lower.into_text();
        body.message = lower
            .message_lower
            .into_text()
            .or_else(|| lower.error_lower.into_text());
        body.verdict = BodyVerdict::ReportsError;
    } else if (lower.status_lower.is_number() || lower.status_code.is_number())
        && (lower.title.is_present()
            || lower.detail.is_present()
            || lower.message_lower.is_present())
    {
        body = DecodedBody::new(BodyFormat::Json, BodyShape::Problem);
        body.status = if lower.status_lower.is_number() {
            lower.status_lower.into_text()
        } else {
            lower.status_code.into_text()
        };
        body.message = lower
            .title
            .into_text()
            .or_else(|| lower.detail.into_text())
            .or_else(|| lower.message_lower.into_text());
        body.verdict = BodyVerdict::ReportsError;
    } else {
        return None;
    }
    if api_error {
        body.verdict = BodyVerdict::ApiError;
    }
    body.warnings = top.warnings.take().unwrap_or_default();
    Some(body)
}
