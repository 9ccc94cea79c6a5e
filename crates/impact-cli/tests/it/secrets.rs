//! The token never reaches stdout or stderr, even when a server echoes it (SPEC 6.2, issue
//! 11): in a 401 body (JSON, XML, text) and in headers, in a 200 body, with and without
//! `--json-errors`, at every `RUST_LOG` level; and `impact explain` given the token in its
//! environment. The command line redacts everything it writes, whatever the client did.

use impact_mock::{Fault, MockServer, RequestMatch};

use crate::{Run, impact_with_env};

const SID: &str = "IRechoCheckAccount000000000000001";
/// A token that every encoding changes.
const TOKEN: &str = "tok/Echo+5f3a=9c";

/// Every form the token can leak in: as is, percent-encoded (RFC 3986 and as a form value),
/// base64 alone and inside the Basic credentials (unpadded), worked out by hand.
fn forms() -> Vec<String> {
    [
        TOKEN,
        "tok%2FEcho%2B5f3a%3D9c",
        "dG9rL0VjaG8rNWYzYT05Yw",
        "SVJlY2hvQ2hlY2tBY2NvdW50MDAwMDAwMDAwMDAwMDAxOnRvay9FY2hvKzVmM2E9OWM",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn assert_no_token(run: &Run, what: &str) {
    let stdout = String::from_utf8_lossy(&run.stdout);
    for form in forms() {
        assert!(
            !stdout.contains(&form),
            "{what}: stdout holds {form:?}:\n{stdout}"
        );
        assert!(
            !run.stderr.contains(&form),
            "{what}: stderr holds {form:?}:\n{}",
            run.stderr
        );
    }
}

/// The bodies a server echoes the token in, each with its content type.
fn echoes() -> Vec<(&'static str, String)> {
    let [raw, percent, _, basic] = forms().try_into().expect("four forms");
    vec![
        (
            "application/json",
            format!(
                r#"{{"Status":"ERROR","Message":"invalid token {raw} ({percent})","Errors":[{{"Field":"Authorization","Message":"Basic {basic}= refused"}}]}}"#
            ),
        ),
        (
            "application/xml",
            format!(
                "<ImpactRadiusResponse><Status>ERROR</Status><Message>invalid token {raw}</Message></ImpactRadiusResponse>"
            ),
        ),
        ("text/plain", format!("401: Basic {basic}== is not {raw}")),
    ]
}

fn mock(runtime: &tokio::runtime::Runtime) -> MockServer {
    runtime
        .block_on(MockServer::builder().account(SID, TOKEN).start())
        .expect("a loopback port")
}

#[test]
fn api_never_prints_an_echoed_token() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let server = mock(&runtime);
    let url = server.base_url();
    let [raw, percent, _, basic] = forms().try_into().expect("four forms");
    for (content_type, body) in echoes() {
        for log in ["", "warn", "debug", "trace"] {
            for json_errors in [false, true] {
                server.push_fault(
                    RequestMatch::prefix(&format!("/Mediapartners/{SID}/Campaigns")),
                    1,
                    Fault::raw(401, content_type, body.clone())
                        .header("WWW-Authenticate", &format!("Basic realm=\"{basic}\""))
                        .header("X-Echo", &format!("{raw} {percent}")),
                );
                let mut args = vec!["api", "/Campaigns", "--base-url", &url];
                if json_errors {
                    args.push("--json-errors");
                }
                let mut env = vec![("IMPACT_ACCOUNT_SID", SID), ("IMPACT_AUTH_TOKEN", TOKEN)];
                if !log.is_empty() {
                    env.push(("RUST_LOG", log));
                }
                let run = impact_with_env(&args, b"", &env);
                let what = format!("{content_type} RUST_LOG={log:?} json_errors={json_errors}");
                assert_eq!(run.code, 1, "{what}: {}", run.stderr);
                assert_no_token(&run, &what);
                if content_type != "text/plain" {
                    assert!(run.stderr.contains("<redacted>"), "{what}: {}", run.stderr);
                }
            }
        }
    }
    // A success that echoes it: the body and the headers printed with --include.
    server.push_fault(
        RequestMatch::prefix(&format!("/Mediapartners/{SID}/Campaigns")),
        1,
        Fault::raw(
            200,
            "application/json",
            format!(r#"{{"Echo":"{raw} {percent}"}}"#),
        )
        .header("X-Echo", &basic),
    );
    let run = impact_with_env(
        &["api", "/Campaigns", "-i", "--base-url", &url],
        b"",
        &[
            ("IMPACT_ACCOUNT_SID", SID),
            ("IMPACT_AUTH_TOKEN", TOKEN),
            ("RUST_LOG", "trace"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_no_token(&run, "a 200 echo");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains(r#"{"Echo":"<redacted> <redacted>"}"#),
        "{stdout}"
    );
}

#[test]
fn explain_never_prints_the_token_of_its_environment() {
    for (content_type, body) in echoes() {
        for json in [false, true] {
            let mut args = vec!["explain", "--status", "401", "--content-type", content_type];
            if json {
                args.push("--json");
            }
            let run = impact_with_env(
                &args,
                body.as_bytes(),
                &[("IMPACT_ACCOUNT_SID", SID), ("IMPACT_AUTH_TOKEN", TOKEN)],
            );
            assert_eq!(run.code, 0, "{}", run.stderr);
            assert_no_token(&run, &format!("explain {content_type} json={json}"));
        }
    }
    // Without the token in the environment, explain shows the body as it is: it has no secret
    // to look for.
    let (_, body) = echoes().remove(0);
    let run = impact_with_env(
        &["explain", "--status", "401", "--json"],
        body.as_bytes(),
        &[],
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains(TOKEN));
}
