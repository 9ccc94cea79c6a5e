//! Snapshots of both reports for one body of each shape, written inline so that each case
//! reads on its own; the fixtures module covers the generated corpus.

use crate::{impact, one_json_object};

/// Runs `impact explain` on `body` with and without `--json` and snapshots the command, the
/// body and both outputs together, so that a reviewer sees the input beside the verdict.
fn check(name: &str, status: Option<&str>, content_type: Option<&str>, body: &str) {
    let mut args = vec!["explain", "-"];
    if let Some(status) = status {
        args.extend(["--status", status]);
    }
    if let Some(content_type) = content_type {
        args.extend(["--content-type", content_type]);
    }
    let text = impact(&args, body.as_bytes());
    assert_eq!(text.code, 0, "{name}: {}", text.stderr);
    let text_command = args.join(" ");
    args.push("--json");
    let json = impact(&args, body.as_bytes());
    assert_eq!(json.code, 0, "{name}: {}", json.stderr);
    one_json_object(&json);
    insta::assert_snapshot!(
        name,
        format!(
            "< {body}\n\n$ impact {text_command}\n{}\n$ impact {}\n{}",
            String::from_utf8(text.stdout).expect("UTF-8 text report"),
            args.join(" "),
            String::from_utf8(json.stdout).expect("UTF-8 report"),
        )
    );
}

#[test]
fn envelope_json_400() {
    check(
        "envelope-json-400",
        Some("400"),
        Some("application/json"),
        r#"{"Status":"ERROR","Message":"Validation Failed","Errors":[{"Field":"AccountId","Message":"Not a numeric value"},{"Field":"EventDate","Message":"Required"}]}"#,
    );
}

#[test]
fn envelope_xml_402() {
    check(
        "envelope-xml-402",
        Some("402"),
        Some("application/xml"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ImpactRadiusResponse><Status>ERROR</Status><Message>Request failed</Message><Errors><Error><Field>Amount</Field><Message>Exceeds the balance</Message></Error></Errors></ImpactRadiusResponse>",
    );
}

#[test]
fn errors_object_form_in_200() {
    check(
        "envelope-errors-object-200",
        Some("200"),
        None,
        r#"{"Status":"ERROR","Message":"Not permitted to run report adv_action_listing","Errors":{"Error":[{"Field":"ReportId","Message":"Unknown"},{"Field":"SUBAID","Message":"Missing"}]}}"#,
    );
}

#[test]
fn conversion_with_warnings() {
    check(
        "conversion-400",
        Some("400"),
        Some("application/json"),
        r#"{"Status":"ERROR","errors":[{"field":"OrderId","level":"ERROR","message":"OrderId is required"}],"warnings":[{"field":"CustomerEmail","level":"WARNING","message":"Not an e-mail address"}]}"#,
    );
}

#[test]
fn problem_401() {
    check(
        "problem-401",
        Some("401"),
        Some("application/problem+json"),
        r#"{"status":401,"title":"Unauthorized"}"#,
    );
}

#[test]
fn spring_403_without_status() {
    check(
        "spring-403-no-status",
        None,
        Some("application/json"),
        r#"{"timestamp":1663261677313,"status":"FORBIDDEN","error":"Forbidden","message":"Link cap reached for this program"}"#,
    );
}

#[test]
fn success_queued_xml() {
    check(
        "success-queued-xml-202",
        Some("202"),
        Some("application/xml"),
        "<ImpactRadiusResponse><Status>QUEUED</Status><QueuedUri>/Mediapartners/IRabc/Jobs/1</QueuedUri></ImpactRadiusResponse>",
    );
}

#[test]
fn gateway_html_502() {
    check(
        "text-502-gateway-html",
        Some("502"),
        Some("application/json"),
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
    );
}

#[test]
fn empty_429() {
    check("empty-429", Some("429"), None, "");
}

#[test]
fn terminal_escapes_are_neutralised() {
    check(
        "envelope-with-escapes-404",
        Some("404"),
        None,
        "{\"Message\":\"gone\\u001b[2J\\u001b]0;pwned\\u0007\\nsecond line\",\"Errors\":[{\"Field\":\"Id\\r\",\"Message\":\"\\u009bunknown\"}]}",
    );
}
