//! Typed success bodies through `from_json`, `from_xml` and `from_value`, and their errors.

use impact_codec::{DecodeErrorKind, from_json, from_xml};
use serde::Deserialize;

#[derive(Debug, Deserialize, PartialEq)]
struct WriteAnswer {
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "Uri", default)]
    uri: Option<String>,
}

/// Reads `input` as JSON or XML (by its first byte) and compares the result or error kind.
fn check(input: &[u8], expect: Result<(&str, Option<&str>), (DecodeErrorKind, usize)>) {
    let result = if input.trim_ascii_start().starts_with(b"<") {
        from_xml::<WriteAnswer>(input)
    } else {
        from_json::<WriteAnswer>(input)
    };
    match (result, expect) {
        (Ok(answer), Ok((status, uri))) => assert_eq!(
            (answer.status.as_str(), answer.uri.as_deref()),
            (status, uri)
        ),
        (Err(error), Err((kind, line))) => {
            assert_eq!((error.classify(), error.line()), (kind, line), "{error}");
            let text = error.to_string();
            let reason = text.rsplit(": ").next().unwrap();
            assert!(!reason.starts_with(|c: char| c.is_uppercase()), "{text}");
            assert!(!text.ends_with('.'), "{text}");
        }
        (got, want) => panic!(
            "got {got:?}, want {want:?} for {:?}",
            String::from_utf8_lossy(input)
        ),
    }
}

#[test]
fn typed_bodies() {
    check(
        br#"{"Status":"OK","Uri":"/Ads/1","Extra":[1]}"#,
        Ok(("OK", Some("/Ads/1"))),
    );
    check(
        b"\xEF\xBB\xBF{\"Status\":\"DELETED\"}",
        Ok(("DELETED", None)),
    );
    check(b"{\n\"Status\": 5}", Err((DecodeErrorKind::Data, 2)));
    check(b"{\"Status\":\"OK\"", Err((DecodeErrorKind::Eof, 1)));
    check(b"{\"Status\" \"OK\"}", Err((DecodeErrorKind::Syntax, 1)));
    check(b"<ImpactRadiusResponse><Status>OK</Status><Uri>/Ads/2?a=1&amp;b=2</Uri></ImpactRadiusResponse>", Ok(("OK", Some("/Ads/2?a=1&b=2"))));
    check(
        b"<ImpactRadiusResponse>\n<Status>OK</Status>\n<Uri>&xxe;</Uri></ImpactRadiusResponse>",
        Err((DecodeErrorKind::Entity, 3)),
    );
    check(b"<!DOCTYPE r [<!ENTITY e \"x\">]><ImpactRadiusResponse><Status>&e;</Status></ImpactRadiusResponse>", Err((DecodeErrorKind::Entity, 1)));
    check(
        b"<ImpactRadiusResponse><Status>OK</Status>",
        Err((DecodeErrorKind::Eof, 1)),
    );
    check(
        b"<ImpactRadiusResponse><Uri>x</Uri></ImpactRadiusResponse>",
        Err((DecodeErrorKind::Data, 0)),
    );
    check(
        b"<ImpactRadiusResponse><Status>\xff</Status></ImpactRadiusResponse>",
        Err((DecodeErrorKind::Encoding, 1)),
    );
    let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
    let error = from_json::<serde_json::Value>(deep.as_bytes()).unwrap_err();
    assert_eq!(error.classify(), DecodeErrorKind::TooDeep);
}

#[test]
fn values_and_encoding() {
    let answer: WriteAnswer =
        impact_codec::from_value(serde_json::json!({"Status": "QUEUED"})).unwrap();
    assert_eq!(answer.status, "QUEUED");
    assert!(impact_codec::from_value::<WriteAnswer>(serde_json::json!([1])).is_err());
    assert_eq!(
        impact_codec::to_json(&serde_json::json!({"a": "<"})).unwrap(),
        br#"{"a":"<"}"#
    );
}
