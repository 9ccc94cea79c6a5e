//! The canonical encoders: exact bytes for the shapes the mock and the fixtures rely on.

use impact_codec::{WriteResult, encode_form, encode_json, encode_xml};
use impact_errors::{BodyFormat, BodyShape, BodyVerdict, DecodedBody, FieldError};

/// Encodes `body` in both formats and compares the exact bytes.
fn check(body: &DecodedBody, expect: (&str, &str)) {
    let json = String::from_utf8(encode_json(body)).unwrap();
    let xml = String::from_utf8(encode_xml(body)).unwrap();
    assert_eq!((json.as_str(), xml.as_str()), expect);
}

fn body(
    shape: BodyShape,
    status: Option<&str>,
    message: Option<&str>,
    errors: Vec<FieldError>,
) -> DecodedBody {
    let mut body = DecodedBody::new(BodyFormat::Json, shape);
    body.status = status.map(str::to_owned);
    body.message = message.map(str::to_owned);
    body.errors = errors;
    body
}

#[test]
fn canonical_bodies() {
    let error = FieldError::new(
        Some("A\"<'>&".into()),
        "m\n\r\t\u{1}".into(),
        Some("ERROR".into()),
    );
    check(
        &body(
            BodyShape::Envelope,
            Some("ERROR"),
            Some("x"),
            vec![error.clone()],
        ),
        (
            r#"{"Status":"ERROR","Message":"x","Errors":[{"Field":"A\"<'>&","Message":"m\n\r\t\u0001","Level":"ERROR"}]}"#,
            "<ImpactRadiusResponse><Status>ERROR</Status><Message>x</Message><Errors><Error><Field>A&quot;&lt;&apos;&gt;&amp;</Field><Message>m\n&#13;\t\u{FFFD}</Message><Level>ERROR</Level></Error></Errors></ImpactRadiusResponse>",
        ),
    );
    check(
        &body(
            BodyShape::Conversion,
            Some("ERROR"),
            None,
            vec![FieldError::new(
                Some("f".into()),
                "m".into(),
                Some("ERROR".into()),
            )],
        ),
        (
            r#"{"Status":"ERROR","errors":[{"field":"f","level":"ERROR","message":"m"}],"warnings":[]}"#,
            "<ImpactRadiusResponse><Status>ERROR</Status><Errors><Error><Field>f</Field><Message>m</Message><Level>ERROR</Level></Error></Errors></ImpactRadiusResponse>",
        ),
    );
    check(
        &body(
            BodyShape::Problem,
            Some("401"),
            Some("Unauthorized"),
            vec![],
        ),
        (
            r#"{"status":401,"title":"Unauthorized"}"#,
            "<ImpactRadiusResponse><Status>401</Status><Message>Unauthorized</Message></ImpactRadiusResponse>",
        ),
    );
    check(
        &body(BodyShape::Spring, Some("NOT_FOUND"), Some("gone"), vec![]),
        (
            r#"{"status":"NOT_FOUND","error":"Not Found","message":"gone"}"#,
            "<ImpactRadiusResponse><Status>NOT_FOUND</Status><Message>gone</Message></ImpactRadiusResponse>",
        ),
    );
    check(
        &body(BodyShape::Success, Some("OK"), None, vec![]),
        (
            r#"{"Status":"OK"}"#,
            "<ImpactRadiusResponse><Status>OK</Status></ImpactRadiusResponse>",
        ),
    );
    check(&DecodedBody::empty(), ("", ""));
    // Each encoding decodes back to its shape.
    for shape in [BodyShape::Problem, BodyShape::Spring] {
        let original = body(
            shape,
            Some(if shape == BodyShape::Problem {
                "403"
            } else {
                "FORBIDDEN"
            }),
            Some("no"),
            vec![],
        );
        let mut decoded = impact_codec::decode_body(&encode_json(&original), None);
        decoded.verdict = BodyVerdict::NoError;
        assert_eq!(decoded, original);
    }
}

#[test]
fn write_results_and_forms() {
    assert_eq!(
        WriteResult::ok("/Ads/1").encode_json(),
        br#"{"Status":"OK","Uri":"/Ads/1"}"#
    );
    assert_eq!(
        WriteResult::deleted().encode_json(),
        br#"{"Status":"DELETED"}"#
    );
    assert_eq!(
        WriteResult::ok("/a?b=1&c=2").encode_xml(),
        b"<ImpactRadiusResponse><Status>OK</Status><Uri>/a?b=1&amp;c=2</Uri></ImpactRadiusResponse>"
    );
    let report = impact_codec::decode(&WriteResult::queued("/Jobs/1").encode_xml(), None);
    assert_eq!(
        (report.body().shape, report.body().status.as_deref()),
        (BodyShape::Success, Some("QUEUED"))
    );
    assert_eq!(
        encode_form([("a b", "c+d/é"), ("", "")]),
        "a+b=c%2Bd%2F%C3%A9&="
    );
    assert_eq!(encode_form(std::iter::empty()), "");
}
