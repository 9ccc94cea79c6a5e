//! Hostile bodies built in code (never committed): entity bombs, external entities, deep
//! nesting and huge messages must be answered at once, in bounded output, without expansion.

use std::time::Duration;

use serde_json::Value;

use crate::{impact, one_json_object};

/// The most one `impact explain` run may take on a hostile body, process start included.
const TIME_LIMIT: Duration = Duration::from_secs(1);

/// Runs `impact explain --json` (and the text report) on `body`; checks the exit code, the
/// time taken, the report's format (one of `expect.0`) and shape, and that the output stays
/// under `max_output`.
fn check(name: &str, body: &[u8], status: &str, expect: (&[&str], &str), max_output: usize) {
    let run = impact(&["explain", "--json", "--status", status], body);
    assert_eq!(run.code, 0, "{name}: stderr {}", run.stderr);
    assert!(run.elapsed < TIME_LIMIT, "{name}: took {:?}", run.elapsed);
    assert!(
        run.stdout.len() <= max_output,
        "{name}: {} bytes out",
        run.stdout.len()
    );
    let report = one_json_object(&run);
    let format = report["format"].as_str().unwrap_or("not a string");
    assert!(expect.0.contains(&format), "{name}: {report}");
    assert_eq!(report["shape"].as_str(), Some(expect.1), "{name}: {report}");
    assert_ne!(report["errors"], Value::Null, "{name}");

    let run = impact(&["explain", "--status", status], body);
    assert_eq!(run.code, 0, "{name}: stderr {}", run.stderr);
    assert!(
        run.elapsed < TIME_LIMIT,
        "{name}: took {:?} (text)",
        run.elapsed
    );
    assert!(
        run.stdout.len() <= 64 * 1024,
        "{name}: {} bytes of text",
        run.stdout.len()
    );
    std::str::from_utf8(&run.stdout).expect("the text report is UTF-8");
}

#[test]
fn billion_laughs_is_text_and_never_expanded() {
    let mut body =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for level in 1..10 {
        let previous = if level == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", level - 1)
        };
        body.push_str(&format!(
            "<!ENTITY lol{level} \"{}\">\n",
            format!("&{previous};").repeat(10)
        ));
    }
    body.push_str("]>\n<ImpactRadiusResponse><Status>ERROR</Status><Message>&lol9;</Message></ImpactRadiusResponse>\n");
    check(
        "billion laughs",
        body.as_bytes(),
        "500",
        (&["text"], "unstructured"),
        8 * 1024,
    );
}

#[test]
fn quadratic_blowup_is_text_and_never_expanded() {
    let value = "Zq".repeat(20_000);
    let body = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY boom \"{value}\">]>\n\
         <ImpactRadiusResponse><Status>ERROR</Status><Message>{}</Message></ImpactRadiusResponse>",
        "&boom;".repeat(15_000)
    );
    check(
        "quadratic blowup",
        body.as_bytes(),
        "500",
        (&["text"], "unstructured"),
        8 * 1024,
    );
}

#[test]
fn external_entity_is_never_read() {
    let body = b"<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n\
        <ImpactRadiusResponse><Status>ERROR</Status><Message>&xxe;</Message></ImpactRadiusResponse>";
    check(
        "external entity",
        body,
        "400",
        (&["text"], "unstructured"),
        8 * 1024,
    );
    let run = impact(&["explain", "--status", "400"], body);
    assert!(
        !String::from_utf8_lossy(&run.stdout).contains("root:"),
        "the entity was read"
    );
}

#[test]
fn deep_nesting_answers_at_once() {
    let depth = 200_000;
    let json = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    // Well-formed, but a parser with a nesting limit may refuse it: either answer is honest
    // as long as it comes at once.
    check(
        "deep JSON",
        json.as_bytes(),
        "502",
        (&["json", "text"], "unstructured"),
        8 * 1024,
    );
    let unclosed = "{\"a\":".repeat(depth);
    check(
        "deep unclosed JSON",
        unclosed.as_bytes(),
        "502",
        (&["text"], "unstructured"),
        8 * 1024,
    );
    let xml = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    check(
        "deep XML",
        xml.as_bytes(),
        "502",
        (&["xml", "text"], "unstructured"),
        8 * 1024,
    );
}

#[test]
fn multi_mib_message_is_kept_whole_in_json_and_cut_for_people() {
    let message = "x".repeat(4 << 20);
    let body = format!("{{\"Status\":\"ERROR\",\"Message\":\"{message}\"}}");
    check(
        "4 MiB message",
        body.as_bytes(),
        "400",
        (&["json"], "envelope"),
        5 << 20,
    );
    let run = impact(&["explain", "--json", "--status", "400"], body.as_bytes());
    assert_eq!(
        one_json_object(&run)["message"].as_str().map(str::len),
        Some(4 << 20)
    );
    let run = impact(&["explain", "--status", "400"], body.as_bytes());
    assert!(String::from_utf8_lossy(&run.stdout).contains("more bytes)"));
}

#[test]
fn input_beyond_64_mib_is_explained_by_its_start() {
    let body = vec![b'a'; (64 << 20) + 10];
    let run = impact(&["explain", "--status", "502"], &body);
    assert_eq!(run.code, 0, "stderr {}", run.stderr);
    assert!(run.stderr.contains("larger than 64 MiB"), "{}", run.stderr);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.contains("the first 67108864 bytes of a longer input"),
        "{text}"
    );
}
