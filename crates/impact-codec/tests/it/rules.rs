//! The rules of SPEC 6.1 pinned by explicit expectations, independently of the snapshots.

use impact_errors::StatusCode;

use crate::common::summarize;

/// Decodes `body` with an optional status and compares the one-line summary.
fn check(input: (&[u8], Option<u16>), expect: &str) {
    let (body, status) = input;
    let status = status.map(|s| StatusCode::from_u16(s).expect("status"));
    let report = impact_codec::decode(body, status);
    assert_eq!(
        summarize(&report),
        expect,
        "body {:?} with status {status:?}",
        String::from_utf8_lossy(body)
    );
    // The format of a decoded body always agrees with sniffing alone.
    assert_eq!(
        report.body().format,
        impact_codec::sniff(body),
        "sniffed format"
    );
}

#[test]
fn envelopes() {
    check(
        (br#"{"Status":"ERROR","Message":"Validation Failed","Errors":[{"Field":"AccountId","Message":"Not a numeric value"}]}"#, Some(400)),
        "json envelope bad_request status=ERROR message=Validation Failed errors=[AccountId|Not a numeric value|-]",
    );
    check(
        (br#"{"Status":"ERROR","Message":"Request Rejected","Errors":[{"Field":"PromoCode","Message":"Code already redeemed","Level":"ERROR"},{"Field":"OrderSubTotal","Message":"Below the program minimum of 25.00"}]}"#, Some(422)),
        "json envelope client_error status=ERROR message=Request Rejected errors=[PromoCode|Code already redeemed|ERROR, OrderSubTotal|Below the program minimum of 25.00|-]",
    );
    // `Errors` in the XML-to-JSON object forms, without an HTTP status.
    check(
        (br#"{"Status":"Error","Message":"Submission Rejected","Errors":{"Error":{"Field":"EventDate","Message":"Event date lies in the future"}}}"#, None),
        "json envelope error_in_body status=Error message=Submission Rejected errors=[EventDate|Event date lies in the future|-]",
    );
    check(
        (br#"{"Status":"ERROR","Errors":{"Error":[{"Field":"A","Message":"x"},{"Field":"B","Message":"y"}]}}"#, None),
        "json envelope error_in_body status=ERROR errors=[A|x|-, B|y|-]",
    );
    // An empty `Errors` still makes an envelope; `null` is absent.
    check(
        (br#"{"Errors":[]}"#, Some(400)),
        "json envelope bad_request",
    );
    check(
        (br#"{"Status":"OK","Errors":null}"#, Some(200)),
        "json success none status=OK",
    );
    // `Message` standing without `Status` is an envelope, but not an API error by SPEC 2.2.
    check(
        (br#"{"Message":"Unknown tracking link 4471"}"#, Some(404)),
        "json envelope not_found message=Unknown tracking link 4471",
    );
    check(
        (br#"{"Message":"An error has occurred."}"#, None),
        "json envelope none message=An error has occurred.",
    );
    // Numbers where strings are expected become their text; null is absent; objects are skipped.
    check(
        (br#"{"Status":"ERROR","Message":42,"Errors":[{"Field":7,"Message":null},{"Field":{"a":1},"Message":1.5,"Level":true}]}"#, Some(400)),
        "json envelope bad_request status=ERROR message=42 errors=[7||-, -|1.5|true]",
    );
    // Unknown fields at every level are ignored, key order does not matter.
    check(
        (br#"{"Errors":[{"Extra":[1,{"x":2}],"Message":"m","Field":"f"}],"Extra":{"Status":"OK"},"Message":"M","Status":"ERROR"}"#, Some(400)),
        "json envelope bad_request status=ERROR message=M errors=[f|m|-]",
    );
    // Bare strings as error items.
    check(
        (
            br#"{"Status":"ERROR","Errors":["first","second"]}"#,
            Some(400),
        ),
        "json envelope bad_request status=ERROR errors=[-|first|-, -|second|-]",
    );
    // Scalar items become messages; null and nested arrays are no item at all.
    check(
        (
            br#"{"Status":"ERROR","Errors":[null,[1,{"Field":"x"}],5,-2,0.5,false,"x"]}"#,
            Some(400),
        ),
        "json envelope bad_request status=ERROR errors=[-|5|-, -|-2|-, -|0.5|-, -|false|-, -|x|-]",
    );
}

#[test]
fn errors_inside_2xx() {
    check(
        (
            br#"{"Status":"ERROR","Message":"Not permitted to run report adv_x"}"#,
            Some(200),
        ),
        "json envelope error_in_body status=ERROR message=Not permitted to run report adv_x",
    );
    check(
        (br#"{"Status":"error","Errors":[]}"#, Some(201)),
        "json envelope error_in_body status=error",
    );
    check(
        (br#"{"Status":"ERROR","errors":[]}"#, Some(200)),
        "json conversion error_in_body status=ERROR",
    );
    // `Status: ERROR` alone is an envelope but not an API error: a 2xx stays a success.
    check(
        (br#"{"BatchId":"A-3f10c2","Type":"Conversion","Status":"ERROR","ErrorType":"Validation"}"#, Some(200)),
        "json envelope none status=ERROR",
    );
    // A Job whose Status is ERROR beside a StatusMessage is data, in both formats.
    check(
        (br#"{"Id":"7c1e","Type":"ReportExport","Status":"ERROR","StatusMessage":"Row limit","ResultUri":null}"#, None),
        "json success none status=ERROR",
    );
    check(
        (b"<ImpactRadiusResponse><Id>7c1e</Id><Status>ERROR</Status><StatusMessage>Row limit</StatusMessage></ImpactRadiusResponse>", Some(200)),
        "xml success none status=ERROR",
    );
    // A Job that also carries a Message is an error again.
    check(
        (
            br#"{"Status":"ERROR","StatusMessage":"x","Message":"Failed"}"#,
            Some(200),
        ),
        "json envelope error_in_body status=ERROR message=Failed",
    );
    check(
        (b"<ImpactRadiusResponse><Status>error</Status><Errors><Error><Field>ReportId</Field><Message>No report</Message></Error></Errors></ImpactRadiusResponse>", Some(200)),
        "xml envelope error_in_body status=error errors=[ReportId|No report|-]",
    );
    // Other status values are never errors, whatever their case.
    check(
        (br#"{"Status":"Complete","Message":"done"}"#, Some(200)),
        "json success none status=Complete message=done",
    );
    check(
        (br#"{"Status":"QUEUED","QueuedUri":"/Jobs/1"}"#, Some(202)),
        "json success none status=QUEUED",
    );
}

#[test]
fn conversion_problem_spring() {
    check(
        (br#"{"Status":"ERROR","message":"2 problems","errors":[{"field":"ActionTrackerId","level":"ERROR","message":"Unknown"},{"level":"WARNING","message":"IpAddress ignored"}],"warnings":[]}"#, Some(409)),
        "json conversion conflict status=ERROR message=2 problems errors=[ActionTrackerId|Unknown|ERROR, -|IpAddress ignored|WARNING]",
    );
    // Tracking endpoints: no Status; any errors make it an error without an HTTP status.
    check(
        (br#"{"errors":[{"field":"OrderId","level":"ERROR","message":"missing"}],"warnings":[{"field":"Ip","level":"WARNING","message":"private"}]}"#, None),
        "json conversion error_in_body errors=[OrderId|missing|ERROR] warnings=[Ip|private|WARNING]",
    );
    check(
        (
            br#"{"errors":[],"warnings":[{"field":"Ip","level":"WARNING","message":"private"}]}"#,
            None,
        ),
        "json conversion none warnings=[Ip|private|WARNING]",
    );
    // Upper-case `Message` beside `errors` is not a conversion body.
    check(
        (
            br#"{"Status":"ERROR","Message":"M","errors":[{"field":"a","message":"b"}]}"#,
            Some(400),
        ),
        "json envelope bad_request status=ERROR message=M",
    );
    check(
        (br#"{"status":401,"title":"Unauthorized"}"#, Some(401)),
        "json problem unauthorized status=401 message=Unauthorized",
    );
    check(
        (
            br#"{"type":"https://x/p","status":400,"detail":"EndDate must not precede StartDate"}"#,
            Some(400),
        ),
        "json problem bad_request status=400 message=EndDate must not precede StartDate",
    );
    check(
        (br#"{"statusCode":404,"message":"Program not found","apiErrorCode":"X","rsCode":"RS042"}"#, None),
        "json problem error_in_body status=404 message=Program not found",
    );
    check(
        (
            br#"{"status":403,"title":"T","detail":"D","message":"M"}"#,
            None,
        ),
        "json problem error_in_body status=403 message=T",
    );
    check(
        (br#"{"timestamp":1663261677313,"status":"FORBIDDEN","error":"Forbidden","message":"Link cap reached"}"#, Some(403)),
        "json spring forbidden status=FORBIDDEN message=Link cap reached",
    );
    check(
        (br#"{"timestamp":1718031600456,"status":"PAYLOAD_TOO_LARGE","error":"Payload Too Large","path":"/x"}"#, None),
        "json spring error_in_body status=PAYLOAD_TOO_LARGE message=Payload Too Large",
    );
    // A numeric status without title, detail or message is no problem body.
    check(
        (br#"{"status":500}"#, Some(500)),
        "json unstructured server_error retryable",
    );
    check((br#"{"status":500}"#, None), "json success none");
}

#[test]
fn formats_and_unshaped_bodies() {
    check((b"", Some(500)), "empty empty server_error retryable");
    check((b"\xEF\xBB\xBF \r\n\t", Some(200)), "empty empty none");
    check((b" \xEF\xBB\xBF", None), "text unstructured none");
    check(
        (b"\xEF\xBB\xBF\n{\"Status\":\"OK\"}\r\n", Some(200)),
        "json success none status=OK",
    );
    check(
        (b"[1,2]", Some(500)),
        "json unstructured server_error retryable",
    );
    check((b"[1,2]", Some(200)), "json success none");
    check(
        (b"\"just a string\"", Some(502)),
        "json unstructured server_error retryable",
    );
    check(
        (b"{\"Status\":\"OK\"} trailing", Some(200)),
        "text unstructured none",
    );
    check(
        (b"{\"Status\":\"ERR", Some(500)),
        "text unstructured server_error retryable",
    );
    check(
        (b"{\"Message\":\"caf\xE9\"}", Some(400)),
        "text unstructured bad_request",
    );
    check(
        (b"<HTML><BODY>x</BODY></HTML>", Some(503)),
        "text unstructured server_error retryable",
    );
    check(
        (
            b"<html xmlns=\"http://www.w3.org/1999/xhtml\"><body/></html>",
            Some(403),
        ),
        "text unstructured forbidden",
    );
    check(
        (b"<Error><Code>AccessDenied</Code></Error>", Some(403)),
        "xml unstructured forbidden",
    );
    check(
        (b"<Error><Code>AccessDenied</Code></Error>", Some(200)),
        "xml success none",
    );
    check(
        (b"<a></b>", Some(500)),
        "text unstructured server_error retryable",
    );
    check(
        (b"<a>x</a><b/>", Some(500)),
        "text unstructured server_error retryable",
    );
    check(
        (b"<a>&nbsp;</a>", Some(500)),
        "text unstructured server_error retryable",
    );
    check(
        (b"<ImpactRadiusResponse><Status>ERROR", Some(500)),
        "text unstructured server_error retryable",
    );
    check(
        (b"<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>", Some(500)),
        "text unstructured server_error retryable",
    );
    check(
        (b"<!DOCTYPE a SYSTEM \"x.dtd\"><a/>", Some(200)),
        "xml success none",
    );
    check(
        (b"upstream refused the request\n", Some(429)),
        "text unstructured too_many_requests retryable",
    );
    check(
        (b"upstream refused the request\n", Some(501)),
        "text unstructured server_error",
    );
    check(
        (b"upstream refused the request\n", Some(304)),
        "text unstructured unexpected_status",
    );
    check(
        (b"upstream refused the request\n", Some(204)),
        "text unstructured none",
    );
    check(
        (b"%PDF-1.4\n\x00\xff\xfe binary", Some(200)),
        "text unstructured none",
    );
    // Predefined and numeric references, CDATA, comments and whitespace at the edges.
    check(
        (b"<?xml version=\"1.0\"?>\n<ImpactRadiusResponse><Status>ERROR</Status><Message> a &lt;&#x3E;&amp;&#39; <![CDATA[<b>]]><!-- c --> </Message></ImpactRadiusResponse>", Some(400)),
        "xml envelope bad_request status=ERROR message= a <>&' <b> ",
    );
}

#[test]
fn excerpts_are_bounded_and_readable() {
    let html = b"<html><head><title>502 Bad Gateway</title><style>p{x:y}</style></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center><script>var a = '<b>';</script></body></html>";
    let report = impact_codec::decode(html, StatusCode::from_u16(502).ok());
    assert_eq!(
        report.body().excerpt.as_deref(),
        Some("502 Bad Gateway 502 Bad Gateway nginx")
    );

    let text = "Gateway fault \u{e9}\u{20ac}\u{1F600} retry later. ".repeat(60_000);
    let report = impact_codec::decode(text.as_bytes(), None);
    let excerpt = report.into_body().excerpt.expect("an excerpt");
    assert!(
        excerpt.len() <= impact_codec::EXCERPT_MAX_BYTES,
        "{} bytes",
        excerpt.len()
    );
    assert!(excerpt.starts_with("Gateway fault \u{e9}\u{20ac}\u{1F600} retry later. Gateway"));
    assert!(excerpt.ends_with("..."));

    // Invalid UTF-8 and control characters become U+FFFD; whitespace collapses.
    let report = impact_codec::decode(b"bad \xE9 byte\x1b[31m\n\n  end", None);
    assert_eq!(
        report.body().excerpt.as_deref(),
        Some("bad \u{FFFD} byte\u{FFFD}[31m end")
    );
}
