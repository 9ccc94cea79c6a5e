//! Property tests: encode-then-decode round trips in JSON and XML, both formats giving one
//! model, classes that follow the status, and no panic on arbitrary or mutated bytes.

use impact_errors::{
    BodyFormat, BodyShape, BodyVerdict, DecodedBody, ErrorClass, FieldError, StatusCode,
};
use proptest::prelude::*;

use crate::common::fixture_bodies;

/// Characters XML 1.0 can carry: everything but most C0 controls and U+FFFE/U+FFFF (the
/// encoder writes those as U+FFFD, so they cannot round-trip and are not generated).
fn xml_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>().prop_filter("not allowed in XML 1.0", |&c| {
            matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        }),
        2 => prop::sample::select(vec!['<', '>', '&', '"', '\'', ' ', '\t', '\n', '\r', ';', '#']),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(xml_char(), 0..16).prop_map(String::from_iter)
}

fn field_error() -> impl Strategy<Value = FieldError> {
    (prop::option::of(text()), text(), prop::option::of(text()))
        .prop_map(|(field, message, level)| FieldError::new(field, message, level))
}

/// An envelope as the decoder would build it from its canonical encoding.
fn envelope() -> impl Strategy<Value = DecodedBody> {
    let status = prop::option::of(prop_oneof![
        Just("ERROR".to_owned()),
        Just("error".to_owned()),
        text()
    ]);
    (
        status,
        prop::option::of(text()),
        prop::collection::vec(field_error(), 0..4),
    )
        .prop_map(|(status, message, errors)| {
            let mut body = DecodedBody::new(BodyFormat::Json, BodyShape::Envelope);
            // `Errors` is always written, so the rule of SPEC 2.2 is just the status.
            let api_error = status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("ERROR"));
            body.verdict = if api_error {
                BodyVerdict::ApiError
            } else {
                BodyVerdict::NoError
            };
            body.status = status;
            body.message = message;
            body.errors = errors;
            body
        })
}

fn conversion() -> impl Strategy<Value = DecodedBody> {
    (
        prop::option::of(Just("ERROR".to_owned())),
        prop::option::of(text()),
        prop::collection::vec(field_error(), 0..3),
        prop::collection::vec(field_error(), 0..3),
    )
        .prop_map(|(status, message, errors, warnings)| {
            let mut body = DecodedBody::new(BodyFormat::Json, BodyShape::Conversion);
            body.verdict = if status.is_some() {
                BodyVerdict::ApiError
            } else if !errors.is_empty() {
                BodyVerdict::ReportsError
            } else {
                BodyVerdict::NoError
            };
            body.status = status;
            body.message = message;
            body.errors = errors;
            body.warnings = warnings;
            body
        })
}

/// Asserts that `body` encodes and decodes back to itself in the given format.
fn check(body: &DecodedBody, format: BodyFormat) {
    let bytes = match format {
        BodyFormat::Json => impact_codec::encode_json(body),
        _ => impact_codec::encode_xml(body),
    };
    let decoded = impact_codec::decode_body(&bytes, None);
    let mut expected = body.clone();
    expected.format = format;
    assert_eq!(
        decoded,
        expected,
        "through {:?}",
        String::from_utf8_lossy(&bytes)
    );
}

/// Flips, inserts or deletes bytes of `bytes` at the given positions.
fn mutate(mut bytes: Vec<u8>, edits: &[(u8, usize, u8)]) -> Vec<u8> {
    for &(kind, at, byte) in edits {
        let at = if bytes.is_empty() {
            0
        } else {
            at % bytes.len()
        };
        match kind % 3 {
            0 if !bytes.is_empty() => bytes[at] ^= byte | 1,
            1 => bytes.insert(at, byte),
            _ if !bytes.is_empty() => {
                bytes.remove(at);
            }
            _ => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn envelopes_round_trip_in_json(body in envelope()) {
        check(&body, BodyFormat::Json);
    }

    #[test]
    fn envelopes_round_trip_in_xml(body in envelope()) {
        check(&body, BodyFormat::Xml);
    }

    #[test]
    fn conversion_bodies_round_trip_in_json(body in conversion()) {
        check(&body, BodyFormat::Json);
    }

    #[test]
    fn json_and_xml_give_one_model(body in envelope(), status in 100u16..600) {
        let status = StatusCode::from_u16(status).ok();
        let from_json = impact_codec::decode(&impact_codec::encode_json(&body), status);
        let from_xml = impact_codec::decode(&impact_codec::encode_xml(&body), status);
        prop_assert_eq!(from_xml.body().format, BodyFormat::Xml);
        let (xml_status, xml_class) = (from_xml.http_status(), from_xml.class());
        let mut from_xml = from_xml.into_body();
        from_xml.format = BodyFormat::Json;
        prop_assert_eq!(
            (from_json.http_status(), from_json.class(), from_json.into_body()),
            (xml_status, xml_class, from_xml)
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_classes_follow_the_status(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        status in prop::option::of(0u16..1000),
    ) {
        let status = status.and_then(|s| StatusCode::from_u16(s).ok());
        let report = impact_codec::decode(&bytes, status);
        let expected = match status {
            Some(status) => ErrorClass::of_response(status, report.body().verdict),
            None => ErrorClass::of_body(report.body().verdict),
        };
        prop_assert_eq!(report.class(), expected);
        prop_assert_eq!(report.body().format, impact_codec::sniff(&bytes));
        if let Some(excerpt) = &report.body().excerpt {
            prop_assert!(excerpt.len() <= impact_codec::EXCERPT_MAX_BYTES);
        }
        let _ = impact_codec::decode_page(&bytes);
    }

    #[test]
    fn mutated_fixture_bodies_never_panic(
        index in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6),
        status in 100u16..600,
    ) {
        let bodies = fixture_bodies();
        let body = &bodies[index.index(bodies.len())];
        let bytes = mutate(body.bytes.clone(), &edits);
        let status = StatusCode::from_u16(status).ok();
        let report = impact_codec::decode(&bytes, status);
        let expected = status.map_or(ErrorClass::UnexpectedStatus, |status| {
            ErrorClass::of_response(status, report.body().verdict)
        });
        prop_assert_eq!(report.class(), expected);
        let _ = impact_codec::decode_page(&bytes);
        let _ = impact_codec::from_xml::<serde_json::Value>(&bytes);
    }

    #[test]
    fn the_prefilter_never_hides_an_api_error(
        mut body in envelope(),
        error_case in "[eE][rR][rR][oO][rR]",
        index in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6),
    ) {
        // Envelopes whose Status spells ERROR in any case, in both formats, bare or behind a
        // byte-order mark and whitespace.
        body.status = Some(error_case);
        let json = impact_codec::encode_json(&body);
        let xml = impact_codec::encode_xml(&body);
        let bom_xml = [&b"\xEF\xBB\xBF \n"[..], &xml].concat();
        let pretty_json = String::from_utf8_lossy(&json).replace("\":", "\" :\t ").into_bytes();
        for bytes in [json, xml, bom_xml, pretty_json] {
            let report = impact_codec::decode(&bytes, StatusCode::from_u16(200).ok());
            if report.body().is_api_error() {
                prop_assert!(impact_codec::may_be_api_error(&bytes));
            }
        }
        // Mutated fixtures: whatever decode calls an API error, the prefilter lets through.
        let bodies = fixture_bodies();
        let bytes = mutate(bodies[index.index(bodies.len())].bytes.clone(), &edits);
        if impact_codec::decode(&bytes, StatusCode::from_u16(200).ok()).body().is_api_error() {
            prop_assert!(impact_codec::may_be_api_error(&bytes));
        }
    }

    #[test]
    fn form_encoding_round_trips_and_stays_in_its_alphabet(
        pairs in prop::collection::vec((any::<String>(), any::<String>()), 0..4),
    ) {
        let encoded = impact_codec::encode_form(
            pairs.iter().map(|(key, value)| (key.as_str(), value.as_str())),
        );
        prop_assert!(
            encoded.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"*-._+%=&".contains(&byte)),
            "{encoded:?}"
        );
        let decoded: Vec<(String, String)> = if pairs.is_empty() {
            Vec::new()
        } else {
            encoded
                .split('&')
                .map(|pair| {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (form_decode(key), form_decode(value))
                })
                .collect()
        };
        prop_assert_eq!(decoded, pairs);
    }
}

/// The inverse of form encoding, written plainly for the round-trip property.
fn form_decode(text: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        match first {
            b'+' => bytes.push(b' '),
            b'%' if tail.len() >= 2 => {
                let hex = std::str::from_utf8(&tail[..2]).expect("ascii hex");
                bytes.push(u8::from_str_radix(hex, 16).expect("hex digits"));
                rest = &tail[2..];
                continue;
            }
            byte => bytes.push(byte),
        }
        rest = tail;
    }
    String::from_utf8(bytes).expect("the encoding of a string decodes to it")
}

#[test]
fn the_prefilter_lets_every_error_fixture_through_and_clears_plain_pages() {
    let mut cleared = 0;
    for body in fixture_bodies() {
        let report = impact_codec::decode(&body.bytes, StatusCode::from_u16(200).ok());
        if report.body().is_api_error() {
            assert!(impact_codec::may_be_api_error(&body.bytes), "{}", body.file);
        } else if !impact_codec::may_be_api_error(&body.bytes) {
            cleared += 1;
        }
    }
    // The point of the prefilter: ordinary success bodies (pages, write results) are cleared.
    assert!(cleared >= 20, "only {cleared} fixture bodies cleared");
}

/// The text an excerpt keeps of a valid UTF-8 body, written from its documentation: control
/// characters become U+FFFD, runs of whitespace one space, the ends trimmed.
fn normalised(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|word| {
            word.chars()
                .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
                .collect()
        })
        .collect();
    words.join(" ")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn excerpts_are_bounded_and_faithful(
        text in prop_oneof![
            "\\PC{0,64}",
            "[a-z \u{e9}\u{20ac}\u{1F600}\t\n]{400,700}",
            prop::collection::vec(any::<char>(), 0..300).prop_map(String::from_iter),
        ],
        invalid in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        // A valid body: the excerpt is its normalised text when that fits, else as much of it
        // as fits, cut on a character boundary and marked.
        let excerpt = impact_codec::excerpt(text.as_bytes());
        let expected = normalised(&text);
        prop_assert!(excerpt.len() <= impact_codec::EXCERPT_MAX_BYTES);
        if expected.len() <= impact_codec::EXCERPT_MAX_BYTES {
            prop_assert_eq!(&excerpt, &expected);
        } else {
            let kept = excerpt.strip_suffix("...").expect("a cut excerpt is marked");
            prop_assert!(expected.starts_with(kept.trim_end()), "{:?}", excerpt);
            // At most the marker, one character and a space short of the bound.
            prop_assert!(kept.len() + 3 + 4 + 1 >= impact_codec::EXCERPT_MAX_BYTES, "{:?}", excerpt);
        }
        // Any bytes at all, with text and HTML after them: bounded, readable text.
        for body in [invalid.clone(), [&invalid[..], text.as_bytes()].concat()] {
            for excerpt in [impact_codec::excerpt(&body), impact_codec::html_excerpt(&body)] {
                prop_assert!(excerpt.len() <= impact_codec::EXCERPT_MAX_BYTES);
                prop_assert!(!excerpt.chars().any(char::is_control), "{:?}", excerpt);
                prop_assert!(!excerpt.contains("  ") && excerpt.trim() == excerpt, "{:?}", excerpt);
            }
        }
    }
}
