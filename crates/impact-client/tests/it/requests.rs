//! What goes on the wire: paths, query, bodies, headers, credentials and redirects; and the
//! configuration the builder refuses.

use impact_client::{ApiKind, Client, ErrorKind, Format, Request, USER_AGENT};
use impact_mock::{AuthSeen, DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, Fault, RequestMatch};

use crate::{account_path, builder, client, quiet_mock};

/// Sends `request` with `client_format` and checks the target and headers the mock recorded.
async fn check(
    request: Request,
    api: ApiKind,
    expect_target: &str,
    expect_headers: &[(&str, &str)],
) {
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(200, "application/json", r#"{"Status":"OK"}"#),
    );
    let client = builder(&server)
        .api(api)
        .ir_version("12")
        .build()
        .expect("a valid client");
    client.send(request).await.expect("a success");
    let seen = &server.requests()[0];
    assert_eq!(seen.target, expect_target);
    assert!(seen.auth.is_valid(), "{:?}", seen.auth);
    for (name, value) in expect_headers {
        assert_eq!(seen.header(name), Some(*value), "{name} of {}", seen.target);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn paths_queries_bodies_and_headers() {
    let json = [
        ("Accept", "application/json"),
        ("User-Agent", USER_AGENT),
        ("IR-Version", "12"),
    ];
    check(
        Request::get("/Campaigns").query("PageSize", "5 0"),
        ApiKind::Partner,
        &account_path("/Campaigns?PageSize=5+0"),
        &json,
    )
    .await;
    check(
        Request::get("Campaigns?Page=2"),
        ApiKind::Partner,
        &account_path("/Campaigns?Page=2"),
        &json,
    )
    .await;
    check(
        Request::get("/Campaigns"),
        ApiKind::Brand,
        &format!("/Advertisers/{DEMO_ACCOUNT_SID}/Campaigns"),
        &json,
    )
    .await;
    check(
        Request::get("/Campaigns"),
        ApiKind::Agency,
        &format!("/Agencies/{DEMO_ACCOUNT_SID}/Campaigns"),
        &json,
    )
    .await;
    check(
        Request::get("/Advertisers/IR2/Ads"),
        ApiKind::Partner,
        "/Advertisers/IR2/Ads",
        &json,
    )
    .await;
    check(
        Request::get("/Ads").format(Format::Xml),
        ApiKind::Partner,
        &account_path("/Ads"),
        &[("Accept", "application/xml")],
    )
    .await;
    check(
        Request::get("/Ads")
            .header("Accept", "text/csv")
            .header("X-Extra", "1"),
        ApiKind::Partner,
        &account_path("/Ads"),
        &[("Accept", "text/csv"), ("X-Extra", "1")],
    )
    .await;
    check(
        Request::post("/Conversions").form([("OrderId", "A 1&2")]),
        ApiKind::Partner,
        &account_path("/Conversions"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
    )
    .await;
}

#[tokio::test]
async fn bad_requests_are_typed_errors() {
    let server = quiet_mock().await;
    let client = client(&server);
    for request in [
        Request::get("/Ads").header("Authorization", "Basic x"),
        Request::get("/Ads").header("Bad Name", "x"),
        Request::get("/Ads").header("X-Ok", "line\nbreak"),
        Request::get("https://evil.example/Ads"),
        Request::get("/Ads with space"),
    ] {
        let error = client.send(request).await.expect_err("refused");
        assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{error}");
        assert_eq!(error.attempts(), 0);
    }
    assert!(server.requests().is_empty());
    server.shutdown().await;
}

#[test]
fn bad_configuration_is_refused() {
    let cases = [
        Client::builder().auth_token("t"),
        Client::builder().account_sid("IR1"),
        Client::builder().account_sid("IR 1").auth_token("t"),
        Client::builder().account_sid("IR1").auth_token("t\n"),
        Client::builder()
            .account_sid("IR1")
            .auth_token("t")
            .base_url("http://api.impact.com"),
        Client::builder()
            .account_sid("IR1")
            .auth_token("t")
            .error_body_cap(0),
        Client::builder()
            .account_sid("IR1")
            .auth_token("t")
            .retry_policy(impact_client::RetryPolicy::new().with_max_attempts(0)),
    ];
    for builder in cases {
        let error = builder.build().expect_err("refused");
        assert_eq!(error.kind(), ErrorKind::InvalidConfig, "{error}");
    }
}

#[tokio::test]
async fn typed_bodies_from_json_and_xml() {
    #[derive(serde::Deserialize)]
    struct Write {
        #[serde(rename = "Status")]
        status: String,
        #[serde(rename = "Uri")]
        uri: String,
    }
    let server = quiet_mock().await;
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(200, "application/json", r#"{"Status":"OK","Uri":"/a/1"}"#),
    );
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(
            200,
            "application/xml",
            "<ImpactRadiusResponse><Status>OK</Status><Uri>/a/2</Uri></ImpactRadiusResponse>",
        ),
    );
    let client = client(&server);
    let json: Write = client
        .get("/Actions")
        .await
        .expect("json")
        .deserialize()
        .expect("decodes");
    assert_eq!((json.status.as_str(), json.uri.as_str()), ("OK", "/a/1"));
    let xml: Write = client
        .get("/Actions")
        .await
        .expect("xml")
        .deserialize()
        .expect("decodes");
    assert_eq!(xml.uri, "/a/2");
    server.push_fault(
        RequestMatch::any(),
        1,
        Fault::raw(200, "application/json", r#"{"Status":1}"#),
    );
    let error = client
        .get("/Actions")
        .await
        .expect("a 200")
        .json::<Write>()
        .err()
        .expect("a type error");
    assert_eq!(error.kind(), ErrorKind::Decode);
    server.shutdown().await;
}

#[tokio::test]
async fn redirects_follow_for_get_only_and_drop_credentials_across_hosts() {
    let server = quiet_mock().await;
    let port = server.addr().port();
    let ads = account_path("/Ads");
    // Same origin: followed with credentials.
    server.push_fault(
        RequestMatch::exact(&account_path("/Old")),
        1,
        Fault::redirect(302, &ads),
    );
    let response = client(&server).get("/Old").await.expect("followed");
    assert_eq!(response.status().as_u16(), 200);
    let log = server.requests();
    assert_eq!(log[1].target, ads);
    assert!(log[1].auth.is_valid());

    // Another host name for the same server: followed without credentials.
    server.clear_requests();
    server.push_fault(
        RequestMatch::exact(&account_path("/Old")),
        1,
        Fault::redirect(302, &format!("http://localhost:{port}{ads}")),
    );
    let _ = client(&server).get("/Old").await;
    let log = server.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].auth, AuthSeen::Missing);

    // The caller's own credential headers follow a redirect within the origin only; other
    // headers follow everywhere.
    let with_cookies = || {
        Request::get("/Old")
            .header("Cookie", "session=s3cr3t")
            .header("Cookie2", "$Version=1")
            .header("Proxy-Authorization", "Basic cHJveHk6cGFzcw==")
            .header("X-Extra", "kept")
    };
    let sensitive = ["cookie", "cookie2", "proxy-authorization"];
    for (target, crosses) in [
        (ads.clone(), false),
        (format!("http://localhost:{port}{ads}"), true),
    ] {
        server.clear_requests();
        server.push_fault(
            RequestMatch::exact(&account_path("/Old")),
            1,
            Fault::redirect(302, &target),
        );
        let _ = client(&server).send(with_cookies()).await;
        let log = server.requests();
        assert_eq!(log.len(), 2, "{target}");
        assert_eq!(log[0].header("cookie"), Some("session=s3cr3t"));
        assert_eq!(log[1].header("x-extra"), Some("kept"), "{target}");
        for name in sensitive {
            assert!(log[0].header(name).is_some(), "{name} sent to the origin");
            assert_eq!(
                log[1].header(name).is_none(),
                crosses,
                "{name} after a redirect to {target}"
            );
        }
    }

    // POST does not follow.
    server.clear_requests();
    server.push_fault(RequestMatch::any(), 1, Fault::redirect(303, &ads));
    let error = client(&server)
        .send(Request::post("/Old"))
        .await
        .expect_err("not followed");
    assert_eq!(error.status().map(u16::from), Some(303));
    assert_eq!(server.requests().len(), 1);

    // At most five redirects.
    server.clear_requests();
    server.push_fault(
        RequestMatch::any(),
        10,
        Fault::redirect(302, &account_path("/Loop")),
    );
    let error = client(&server).get("/Loop").await.expect_err("too many");
    assert_eq!(error.status().map(u16::from), Some(302));
    assert_eq!(server.requests().len(), 6);
    server.shutdown().await;
}

/// A redirect to the same host and scheme on another port is another origin: the credentials,
/// the caller's cookies included, do not follow it. (A change of scheme alone is tested on the
/// decision itself, in `wire.rs`: the mock speaks no TLS, so what a client would send it over
/// one cannot be read here.)
#[tokio::test]
async fn a_redirect_that_changes_only_the_port_drops_the_credentials() {
    let server = quiet_mock().await;
    let other_port = quiet_mock().await;
    let ads = account_path("/Ads");
    let target = format!("http://127.0.0.1:{}{ads}", other_port.addr().port());
    assert_eq!(server.addr().ip(), other_port.addr().ip(), "the same host");
    server.push_fault(
        RequestMatch::exact(&account_path("/Old")),
        1,
        Fault::redirect(302, &target),
    );
    let request = Request::get("/Old").header("Cookie", "session=s3cr3t");
    let _ = client(&server).send(request).await;
    let origin = server.requests();
    assert_eq!(origin.len(), 1);
    assert!(origin[0].auth.is_valid(), "the origin got the credentials");
    let elsewhere = other_port.requests();
    assert_eq!(elsewhere.len(), 1, "the redirect was followed");
    assert_eq!(elsewhere[0].target, ads);
    assert_eq!(elsewhere[0].auth, AuthSeen::Missing);
    assert_eq!(elsewhere[0].header("cookie"), None);
    server.shutdown().await;
    other_port.shutdown().await;
}

#[test]
fn the_user_agent_names_the_crate_and_version() {
    assert_eq!(
        USER_AGENT,
        concat!("impact-client/", env!("CARGO_PKG_VERSION"))
    );
    let _ = (DEMO_AUTH_TOKEN, ErrorKind::Api);
}
