//! Hostile inputs built in code: entity bombs, external entities, deep nesting and huge
//! messages must decode quickly, in bounded memory, without expanding anything.

use std::time::{Duration, Instant};

use impact_codec::DecodeErrorKind;
use impact_errors::{BodyFormat, BodyShape, StatusCode};

/// A generous bound for a debug build; release decodes these in milliseconds.
const BOUND: Duration = Duration::from_secs(2);

/// Decodes `input` with status 500, checks the time bound and the format and shape.
fn check(input: &[u8], expect: (BodyFormat, BodyShape)) -> impact_errors::Report {
    let started = Instant::now();
    let report = impact_codec::decode(input, StatusCode::from_u16(500).ok());
    let elapsed = started.elapsed();
    assert!(
        elapsed < BOUND,
        "took {elapsed:?} for {} bytes",
        input.len()
    );
    assert_eq!((report.body().format, report.body().shape), expect);
    if let Some(excerpt) = &report.body().excerpt {
        assert!(excerpt.len() <= impact_codec::EXCERPT_MAX_BYTES);
    }
    report
}

#[test]
fn entity_bombs_are_text_and_never_expanded() {
    let mut bomb =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for level in 1..10 {
        let previous = if level == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", level - 1)
        };
        bomb.push_str(&format!(
            "<!ENTITY lol{level} \"{}\">\n",
            format!("&{previous};").repeat(10)
        ));
    }
    bomb.push_str("]>\n<ImpactRadiusResponse><Message>&lol9;</Message></ImpactRadiusResponse>");
    check(bomb.as_bytes(), (BodyFormat::Text, BodyShape::Unstructured));

    // The conformance kit's quadratic blow-up: one big entity referenced many times.
    let value = "Zq".repeat(20_000);
    let body = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE ImpactRadiusResponse [\n  <!ENTITY boom \"{value}\">\n]>\n<ImpactRadiusResponse><Status>ERROR</Status><Message>{}</Message></ImpactRadiusResponse>\n",
        "&boom;".repeat(15_000)
    );
    let report = check(body.as_bytes(), (BodyFormat::Text, BodyShape::Unstructured));
    assert_eq!(report.body().message, None);

    let external = b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><ImpactRadiusResponse><Message>&xxe;</Message></ImpactRadiusResponse>";
    check(external, (BodyFormat::Text, BodyShape::Unstructured));
    // A reference to an entity declared nowhere is just as malformed.
    check(
        b"<ImpactRadiusResponse><Message>&xxe;</Message></ImpactRadiusResponse>",
        (BodyFormat::Text, BodyShape::Unstructured),
    );
}

#[test]
fn deep_nesting_is_bounded() {
    let depth = 200_000;
    let json_arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    // serde_json skips a nested value without recursing, so a balanced deep array is JSON.
    check(
        json_arrays.as_bytes(),
        (BodyFormat::Json, BodyShape::Unstructured),
    );
    let json_objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    check(
        json_objects.as_bytes(),
        (BodyFormat::Json, BodyShape::Unstructured),
    );
    let inside_errors = format!("{{\"Status\":\"ERROR\",\"Errors\":[{}]}}", json_arrays);
    check(
        inside_errors.as_bytes(),
        (BodyFormat::Json, BodyShape::Envelope),
    );
    let unbalanced = "[".repeat(depth);
    check(
        unbalanced.as_bytes(),
        (BodyFormat::Text, BodyShape::Unstructured),
    );

    let xml = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    check(xml.as_bytes(), (BodyFormat::Text, BodyShape::Unstructured));
    let just_within = impact_codec::MAX_XML_DEPTH;
    let xml = format!(
        "{}{}",
        "<a>".repeat(just_within),
        "</a>".repeat(just_within)
    );
    check(xml.as_bytes(), (BodyFormat::Xml, BodyShape::Unstructured));
    let xml = format!(
        "{}{}",
        "<a>".repeat(just_within + 1),
        "</a>".repeat(just_within + 1)
    );
    check(xml.as_bytes(), (BodyFormat::Text, BodyShape::Unstructured));

    // Pages build values, so serde_json's recursion limit applies there: a typed error.
    let error =
        impact_codec::decode_page(format!("{{\"Ads\":{json_arrays}}}").as_bytes()).unwrap_err();
    assert_eq!(error.classify(), impact_codec::DecodeErrorKind::TooDeep);
    let error = impact_codec::decode_page("<a>".repeat(depth).as_bytes()).unwrap_err();
    assert_eq!(error.classify(), impact_codec::DecodeErrorKind::TooDeep);
}

#[test]
fn huge_messages_decode_whole_and_excerpts_stay_small() {
    let big = "x<&>é".repeat(4 * 1024 * 1024 / 6);
    let json = format!("{{\"Status\":\"ERROR\",\"Message\":\"{big}\"}}");
    let report = check(json.as_bytes(), (BodyFormat::Json, BodyShape::Envelope));
    assert_eq!(report.body().message.as_deref(), Some(big.as_str()));

    let mut escaped = String::new();
    for c in big.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '&' => escaped.push_str("&amp;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    let xml = format!(
        "<ImpactRadiusResponse><Status>ERROR</Status><Message>{escaped}</Message></ImpactRadiusResponse>"
    );
    let report = check(xml.as_bytes(), (BodyFormat::Xml, BodyShape::Envelope));
    assert_eq!(report.body().message.as_deref(), Some(big.as_str()));

    let text = "word ".repeat(1024 * 1024);
    check(text.as_bytes(), (BodyFormat::Text, BodyShape::Unstructured));
    let one_huge_tag = format!("<html {}", "a".repeat(4 * 1024 * 1024));
    check(
        one_huge_tag.as_bytes(),
        (BodyFormat::Text, BodyShape::Unstructured),
    );
}

#[test]
fn from_xml_refuses_declared_entities() {
    // SECURITY.md: XML that declares entities is never expanded, and `from_xml` refuses it.
    let dir = crate::common::fixtures_dir().join("bodies");
    for file in [
        "xml-entity-billion-laughs.xml",
        "xml-entity-external-file.xml",
    ] {
        let body = std::fs::read(dir.join(file)).unwrap();
        let error = impact_codec::from_xml::<serde_json::Value>(&body).unwrap_err();
        assert_eq!(error.classify(), DecodeErrorKind::Entity, "{file}: {error}");
        let error = impact_codec::from_body::<serde_json::Value>(&body).unwrap_err();
        assert_eq!(error.classify(), DecodeErrorKind::Entity, "{file}: {error}");
    }
}

#[test]
fn allocations_follow_the_input_not_the_numbers_in_it() {
    // SECURITY.md: decoding allocates in proportion to the input, never to a number read from
    // it. Every number a careless decoder could size a buffer by is at its largest here.
    let bodies: [&[u8]; 8] = [
        br#"{"@page":"1","@numpages":"18446744073709551615","@pagesize":"4294967295","@total":"18446744073709551615","@start":"0","@end":"18446744073709551614","Ads":[{"Id":"1"}]}"#,
        br#"{"Page":18446744073709551614,"PageSize":4294967295,"TotalResults":18446744073709551615,"Results":[{"id":"c"}]}"#,
        br#"{"Page":0,"PageSize":1,"TotalCount":18446744073709551615,"Results":[]}"#,
        br#"<ImpactRadiusResponse><Ads page="4294967295" numpages="18446744073709551615" pagesize="99999999999999999999" total="1"><Ad><Id>1</Id></Ad></Ads></ImpactRadiusResponse>"#,
        br#"{"status":18446744073709551615,"title":"x","statusCode":1e308}"#,
        br#"{"Status":"ERROR","Errors":{"Error":[{"Field":1e308,"Message":-9223372036854775808,"Level":18446744073709551616}]}}"#,
        br#"<ImpactRadiusResponse><Status>ERROR</Status><Errors count="4294967295"><Error index="18446744073709551615"><Field>&#1114111;</Field></Error></Errors></ImpactRadiusResponse>"#,
        br#"<ImpactRadiusResponse><Message>&#99999999999999999999;</Message></ImpactRadiusResponse>"#,
    ];
    for body in bodies {
        let measured = allocation_counter::measure(|| {
            std::hint::black_box(impact_codec::decode(body, StatusCode::from_u16(500).ok()));
            std::hint::black_box(impact_codec::decode_page(body).ok());
            std::hint::black_box(impact_codec::from_body::<serde_json::Value>(body).ok());
        });
        // A few KiB of parser state and model, and a small multiple of the input.
        let bound = 16 * 1024 + 64 * body.len() as u64;
        assert!(
            measured.bytes_max <= bound,
            "{} bytes at the peak for {}",
            measured.bytes_max,
            String::from_utf8_lossy(body)
        );
    }
}
