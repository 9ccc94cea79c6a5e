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
    /// `true` or `false`. Two variants without data rather than one holding a `bool`: a byte
    /// of payload beside the strings makes every move of a `Scalar` copy odd-aligned pieces,
    /// which the CPU cannot forward from the stores that wrote them.
    True,
    False,
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
            Scalar::True => Some("true".to_owned()),
            Scalar::False => Some("false".to_owned()),
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
        let mut scalar = Scalar::Absent;
        ScalarSeed(&mut scalar).deserialize(deserializer)?;
        Ok(scalar)
    }
}

/// Reads a scalar straight into the place that keeps it. A `Scalar` returned through serde's
/// `Result`s is copied at each level in pieces of other widths than the stores that wrote it,
/// and the CPU then waits for those stores instead of forwarding them; written in place, it is
/// not moved at all.
pub(crate) struct ScalarSeed<'a>(pub(crate) &'a mut Scalar);

impl<'de> DeserializeSeed<'de> for ScalarSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any json value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        *self.0 = Scalar::Str(v.to_owned());
        Ok(())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        *self.0 = Scalar::Str(v);
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        *self.0 = Scalar::Number(v.to_string());
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        *self.0 = Scalar::Number(v.to_string());
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        *self.0 = Scalar::Number(v.to_string());
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        *self.0 = if v { Scalar::True } else { Scalar::False };
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        *self.0 = Scalar::Absent;
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        *self.0 = Scalar::Absent;
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        *self.0 = Scalar::Nested;
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        *self.0 = Scalar::Nested;
        Ok(())
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
    errors_upper: ErrorList,
    errors_lower: ErrorList,
    warnings: ErrorList,
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
                TopKey::StatusUpper => map.next_value_seed(ScalarSeed(&mut top.status_upper))?,
                TopKey::MessageUpper => map.next_value_seed(ScalarSeed(&mut top.message_upper))?,
                TopKey::ErrorsUpper => top.errors_upper.read(&mut map, KeyCase::Upper)?,
                TopKey::ErrorsLower => top.errors_lower.read(&mut map, KeyCase::Lower)?,
                TopKey::Warnings => top.warnings.read(&mut map, KeyCase::Lower)?,
                TopKey::StatusMessage => top.status_message = present(&mut map)?,
                TopKey::StatusLower => map.next_value_seed(ScalarSeed(
                    &mut top.lower.get_or_insert_default().status_lower,
                ))?,
                TopKey::StatusCode => map.next_value_seed(ScalarSeed(
                    &mut top.lower.get_or_insert_default().status_code,
                ))?,
                TopKey::Title => {
                    map.next_value_seed(ScalarSeed(&mut top.lower.get_or_insert_default().title))?
                }
                TopKey::Detail => {
                    map.next_value_seed(ScalarSeed(&mut top.lower.get_or_insert_default().detail))?
                }
                TopKey::MessageLower => map.next_value_seed(ScalarSeed(
                    &mut top.lower.get_or_insert_default().message_lower,
                ))?,
                TopKey::ErrorLower => map.next_value_seed(ScalarSeed(
                    &mut top.lower.get_or_insert_default().error_lower,
                ))?,
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

/// The value of `Errors`, `errors` or `warnings`: its items, and whether it was an array.
#[derive(Default)]
struct ErrorList {
    items: Vec<FieldError>,
    form: ListForm,
}

/// What form a list of errors had.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum ListForm {
    /// Missing or `null`.
    #[default]
    Absent,
    Array,
    /// An object or a scalar.
    NotArray,
}

impl ErrorList {
    fn is_present(&self) -> bool {
        self.form != ListForm::Absent
    }

    /// Reads the list in place (a key seen twice keeps the last value, as a map would).
    fn read<'de, A: MapAccess<'de>>(&mut self, map: &mut A, case: KeyCase) -> Result<(), A::Error> {
        self.items.clear();
        self.form = map.next_value_seed(ErrorsSeed {
            case,
            items: &mut self.items,
        })?;
        Ok(())
    }

    /// The items, left empty behind.
    fn take(&mut self) -> Vec<FieldError> {
        mem::take(&mut self.items)
    }
}

/// Appends one item to a list of errors.
fn push_item(items: &mut Vec<FieldError>, item: FieldError) {
    if items.capacity() == 0 {
        // Most lists hold one to a few items: room for four at once skips the growth path a
        // first push would take.
        items.reserve_exact(4);
    }
    items.push(item);
}

/// Reads `Errors`, `errors` or `warnings` in any of their forms: an array of items, an object
/// `{"Error": item-or-array}`, an object that is itself one item, or a bare string. `case`
/// says which key case the items prefer (`field` for conversion bodies, `Field` for envelopes).
/// The items are appended to `items` where they stay (see [`ScalarSeed`] for why in place);
/// the value read is the list's form.
struct ErrorsSeed<'a> {
    case: KeyCase,
    items: &'a mut Vec<FieldError>,
}

/// The case of the keys of an error item (`Field`, `Message`, `Level` in envelopes; `field`,
/// `message`, `level` in conversion bodies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyCase {
    Upper,
    Lower,
}

impl<'de> DeserializeSeed<'de> for ErrorsSeed<'_> {
    type Value = ListForm;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<ListForm, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ErrorsSeed<'_> {
    type Value = ListForm;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of errors")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ListForm, A::Error> {
        let case = self.case;
        while seq
            .next_element_seed(ItemSeed {
                case,
                items: &mut *self.items,
            })?
            .is_some()
        {}
        Ok(ListForm::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ListForm, A::Error> {
        // An object that is itself an item comes first, before any nested under `Error`.
        let first = self.items.len();
        let mut direct = ItemParts::default();
        while let Some(key) = map.next_key::<ItemKey>()? {
            match key {
                ItemKey::Error => {
                    // `{"Error": {...}}` or `{"Error": [{...}, ...]}`: the XML-to-JSON artefact.
                    map.next_value_seed(ErrorsSeed {
                        case: self.case,
                        items: &mut *self.items,
                    })?;
                }
                // Any other key, `Other` included, is the item's own (or skipped by it).
                key => direct.read(key, &mut map, self.case)?,
            }
        }
        if direct.any {
            self.items.insert(first, direct.finish());
        }
        Ok(ListForm::NotArray)
    }

    fn visit_unit<E: de::Error>(self) -> Result<ListForm, E> {
        Ok(ListForm::Absent)
    }
    fn visit_none<E: de::Error>(self) -> Result<ListForm, E> {
        Ok(ListForm::Absent)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<ListForm, E> {
        self.scalar(v.to_owned())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ListForm, E> {
        self.scalar(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ListForm, E> {
        self.scalar(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ListForm, E> {
        self.scalar(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<ListForm, E> {
        self.scalar(v.to_string())
    }
}

impl ErrorsSeed<'_> {
    /// A bare scalar: one item whose message is its text.
    fn scalar<E>(self, message: String) -> Result<ListForm, E> {
        push_item(self.items, FieldError::new(None, message, None));
        Ok(ListForm::NotArray)
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
    parts: [Scalar; 3],
    /// Which parts were set from a key in the preferred case.
    preferred: [bool; 3],
}

impl ItemParts {
    /// Reads the value of `key` into its part, or skips it when a key in the preferred case
    /// already set that part.
    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        key: ItemKey,
        map: &mut A,
        preferred_case: KeyCase,
    ) -> Result<(), A::Error> {
        let (slot, case) = match key {
            ItemKey::FieldUpper => (0, KeyCase::Upper),
            ItemKey::FieldLower => (0, KeyCase::Lower),
            ItemKey::MessageUpper => (1, KeyCase::Upper),
            ItemKey::MessageLower => (1, KeyCase::Lower),
            ItemKey::LevelUpper => (2, KeyCase::Upper),
            ItemKey::LevelLower => (2, KeyCase::Lower),
            ItemKey::Error | ItemKey::Other => {
                map.next_value::<IgnoredAny>()?;
                return Ok(());
            }
        };
        self.any = true;
        let preferred = case == preferred_case;
        if preferred || !self.preferred[slot] {
            map.next_value_seed(ScalarSeed(&mut self.parts[slot]))?;
            self.preferred[slot] = preferred;
        } else {
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn finish(self) -> FieldError {
        let [field, message, level] = self.parts;
        FieldError::new(
            field.into_text(),
            message.into_text().unwrap_or_default(),
            level.into_text(),
        )
    }
}

/// One item of an error list: an object with field, message and level, or a bare scalar,
/// whose text becomes the message, appended to `items` where it stays. `null`, arrays and
/// other nested values add no item.
struct ItemSeed<'a> {
    case: KeyCase,
    items: &'a mut Vec<FieldError>,
}

impl<'de> DeserializeSeed<'de> for ItemSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an error item")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut parts = ItemParts::default();
        while let Some(key) = map.next_key::<ItemKey>()? {
            parts.read(key, &mut map, self.case)?;
        }
        push_item(self.items, parts.finish());
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.scalar(v.to_owned())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.scalar(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.scalar(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.scalar(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.scalar(v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

impl ItemSeed<'_> {
    /// A bare scalar: an item whose message is its text.
    fn scalar<E>(self, message: String) -> Result<(), E> {
        push_item(self.items, FieldError::new(None, message, None));
        Ok(())
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

/// Fills `body`, a new [`DecodedBody`], from the top level by the shape rules of SPEC 6.1, in
/// place (see [`ScalarSeed`] for why). Returns whether the document has a known shape: the
/// caller turns one of no known shape into `success` or `unstructured` depending on the HTTP
/// status.
pub(crate) fn classify(top: &mut Top, body: &mut DecodedBody) -> bool {
    if top.kind != TopKind::Object {
        return false;
    }
    let status_is_error = top
        .status_upper
        .as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("ERROR"));
    let has_errors_upper = top.errors_upper.is_present();
    let has_message_upper = top.message_upper.is_present();
    let has_errors_lower = top.errors_lower.is_present();
    let api_error = status_is_error && (has_message_upper || has_errors_upper || has_errors_lower);
    let errors_lower_is_array = top.errors_lower.form == ListForm::Array;

    // Each shape says whether it reports an error (a new body reports none); an API error by
    // the rule of SPEC 2.2 overrides them all below.
    body.format = BodyFormat::Json;
    if errors_lower_is_array && !has_errors_upper && !has_message_upper {
        body.shape = BodyShape::Conversion;
        body.status = mem::take(&mut top.status_upper).into_text();
        body.message = top
            .lower
            .take()
            .and_then(|lower| lower.message_lower.into_text());
        body.errors = top.errors_lower.take();
        if !body.errors.is_empty() {
            body.verdict = BodyVerdict::ReportsError;
        }
    } else if (has_errors_upper
        || status_is_error
        || (has_message_upper && !top.status_upper.is_present()))
        && !(top.status_message && !has_message_upper && !has_errors_upper)
    {
        body.shape = BodyShape::Envelope;
        body.status = mem::take(&mut top.status_upper).into_text();
        body.message = mem::take(&mut top.message_upper).into_text();
        body.errors = top.errors_upper.take();
    } else if top.status_upper.is_present() {
        body.shape = BodyShape::Success;
        body.status = mem::take(&mut top.status_upper).into_text();
        body.message = mem::take(&mut top.message_upper).into_text();
    } else {
        // Only problem and Spring bodies remain, and both need lower-case keys: the common
        // envelope never builds them.
        let Some(lower) = top.lower.take() else {
            return false;
        };
        if !classify_lower(*lower, body) {
            return false;
        }
    }
    if api_error {
        body.verdict = BodyVerdict::ApiError;
    }
    body.warnings = top.warnings.take();
    true
}

/// The shapes told by lower-case keys alone, Spring's error body and RFC 7807 problems, filled
/// into `body`; whether the keys make either.
fn classify_lower(lower: LowerKeys, body: &mut DecodedBody) -> bool {
    if lower.status_lower.as_str().is_some() && (lower.error_lower.is_present() || lower.timestamp)
    {
        body.shape = BodyShape::Spring;
        body.status = lower.status_lower.into_text();
        body.message = lower
            .message_lower
            .into_text()
            .or_else(|| lower.error_lower.into_text());
    } else if (lower.status_lower.is_number() || lower.status_code.is_number())
        && (lower.title.is_present()
            || lower.detail.is_present()
            || lower.message_lower.is_present())
    {
        body.shape = BodyShape::Problem;
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
    } else {
        return false;
    }
    body.verdict = BodyVerdict::ReportsError;
    true
}
