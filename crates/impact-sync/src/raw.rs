//! List pages read without re-serialising their items: each item is kept as the bytes the API
//! sent (SPEC 9.2, "the item exactly as the API sent it in JSON"), less the whitespace between
//! its tokens, so that a record keeps the API's attribute order, number forms and escapes, and
//! fits on one JSONL line.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::stream::Key;

/// One JSON page of a list: its items as they were sent, and its next-page URI.
#[derive(Debug, Default)]
pub(crate) struct RawPage<'a> {
    /// The items, each the raw text of one JSON value.
    pub(crate) items: Vec<&'a RawValue>,
    /// `@nextpageuri`, when present and not empty.
    pub(crate) next: Option<String>,
}

/// Reads a JSON list page: the `@`-keys beside the list, the list being the first top-level
/// array whose key does not start with `@` (as `impact_codec::decode_page` reads it), or a bare
/// array (one page). The sync always asks for JSON, so XML is not read here.
pub(crate) fn page(body: &[u8]) -> Result<RawPage<'_>, serde_json::Error> {
    let text = std::str::from_utf8(body).map_err(de::Error::custom)?;
    let text = text.trim_start_matches('\u{feff}');
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let page = deserializer.deserialize_any(PageVisitor)?;
    deserializer.end()?;
    Ok(page)
}

struct PageVisitor;

impl<'de> Visitor<'de> for PageVisitor {
    type Value = RawPage<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list page: a json object with a list, or an array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut page = RawPage::default();
        let mut found = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key.eq_ignore_ascii_case("@nextpageuri") {
                let next: Option<Cow<'de, str>> = map.next_value()?;
                page.next = next
                    .filter(|uri| !uri.trim().is_empty())
                    .map(Cow::into_owned);
            } else if !found && !key.starts_with('@') {
                let value: &'de RawValue = map.next_value()?;
                if value.get().starts_with('[') {
                    page.items = serde_json::from_str(value.get()).map_err(de::Error::custom)?;
                    found = true;
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(page)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut page = RawPage::default();
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            page.items.push(item);
        }
        Ok(page)
    }
}

/// The key of a raw item by a [`Key`] rule (as `store::key_of` reads a parsed one), reading
/// only the attributes the rule names.
pub(crate) fn key_of(item: &RawValue, key: Key) -> Option<String> {
    let single;
    let fields: &[&str] = match key {
        Key::Field(field) => {
            single = [field];
            &single
        }
        Key::Fields(fields) => fields,
        Key::Singleton(constant) => return Some(constant.to_owned()),
    };
    let mut deserializer = serde_json::Deserializer::from_str(item.get());
    let values = deserializer.deserialize_map(KeyVisitor { fields }).ok()??;
    Some(values.join("/"))
}

struct KeyVisitor<'f> {
    fields: &'f [&'f str],
}

impl<'de> Visitor<'de> for KeyVisitor<'_> {
    /// The named attributes in order, or `None` when one is missing or not a key.
    type Value = Option<Vec<String>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values: Vec<Option<String>> = vec![None; self.fields.len()];
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match self.fields.iter().position(|field| *field == key) {
                Some(index) => {
                    let value: serde_json::Value = map.next_value()?;
                    values[index] = crate::store::key_of_value(&value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(values.into_iter().collect())
    }
}

/// The item's text without the whitespace between its tokens: one line, the same bytes
/// otherwise (JSON strings cannot hold a raw line break, so every whitespace byte outside a
/// string is insignificant).
pub(crate) fn compact(raw: &str) -> Cow<'_, str> {
    if !raw
        .bytes()
        .any(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
    {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in raw.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\n' | '\r' | '\t') {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str, expect: (&[&str], Option<&str>)) {
        let page = page(body.as_bytes()).expect("a page");
        let items: Vec<&str> = page.items.iter().map(|item| item.get()).collect();
        assert_eq!((items.as_slice(), page.next.as_deref()), expect, "{body}");
    }

    #[test]
    fn items_keep_their_bytes() {
        check(
            r#"{"@page":"1","@nextpageuri":"/x?Page=2","Ads":[{"Name":"caf\u00e9","Id":"7","Amount":1.50}]}"#,
            (
                &[r#"{"Name":"caf\u00e9","Id":"7","Amount":1.50}"#],
                Some("/x?Page=2"),
            ),
        );
        check(
            "\u{feff} {\"Ads\": [ {\"Id\": \"1\"} , {\"Id\":\"2\"} ], \"@nextpageuri\": \"\" } ",
            (&[r#"{"Id": "1"}"#, r#"{"Id":"2"}"#], None),
        );
        check(r#"[{"Id":"1"}]"#, (&[r#"{"Id":"1"}"#], None));
        // The first array whose key is not a paging key is the list; later ones are ignored.
        check(
            r#"{"Status":"OK","Results":[{"Id":"a"}],"Other":[1]}"#,
            (&[r#"{"Id":"a"}"#], None),
        );
        check(r#"{"@total":"0"}"#, (&[], None));
        for bad in ["", "{", "3", r#"{"Ads":[{"Id":"1"}]} x"#, "\u{0}"] {
            assert!(page(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn keys_read_only_the_named_attributes() {
        let raw = |text: &str| -> Box<RawValue> { RawValue::from_string(text.to_owned()).unwrap() };
        let item = raw(r#"{"Name":"x","CampaignId":"1000","Id":17,"Nested":{"Id":"no"}}"#);
        assert_eq!(key_of(&item, Key::Field("Id")).as_deref(), Some("17"));
        assert_eq!(
            key_of(&item, Key::Fields(&["CampaignId", "Id"])).as_deref(),
            Some("1000/17")
        );
        assert_eq!(key_of(&item, Key::Field("Missing")), None);
        assert_eq!(key_of(&raw(r#"{"Id":""}"#), Key::Field("Id")), None);
        assert_eq!(key_of(&raw(r#"["Id"]"#), Key::Field("Id")), None);
        assert_eq!(
            key_of(&item, Key::Singleton("CompanyInformation")).as_deref(),
            Some("CompanyInformation")
        );
    }

    #[test]
    fn compacting_removes_only_whitespace_between_tokens() {
        let cases = [
            (r#"{"Id":"1"}"#, r#"{"Id":"1"}"#),
            (
                "{\n  \"Id\" : \"1 2\",\r\n\t\"A\": [1, 2]\n}",
                r#"{"Id":"1 2","A":[1,2]}"#,
            ),
            (
                r#"{ "Q": "a \" b\\", "R" : "c" }"#,
                r#"{"Q":"a \" b\\","R":"c"}"#,
            ),
        ];
        for (input, expect) in cases {
            assert_eq!(compact(input), expect, "{input:?}");
        }
    }
}
