//! Filters and refusals, table-driven: every documented rule refuses what the API refuses,
//! with a 400 naming the parameter; filters select exactly the ground truth's matching items.

use impact_mock::{MockServer, Quota, Resource, Rules, Timestamp};
use serde_json::Value;

use crate::raw::{Req, exchange};
use crate::{read_all_pages, truth};

const DAY: i64 = 86_400;

/// A world with enough actions that every window holds some: 20,000 over three years.
async fn busy(rules: Rules) -> MockServer {
    MockServer::builder()
        .quota(Quota::disabled())
        .items(Resource::Actions, 20_000)
        .rules(rules)
        .start()
        .await
        .unwrap()
}

fn at(server: &MockServer, days: i64) -> String {
    Timestamp::from_unix_seconds(server.now().unix_seconds() + days * DAY).to_rfc3339_utc()
}

/// What a request must get.
enum Expect<'a> {
    /// A 400 envelope naming this field, its message containing this text.
    Refused(&'a str, &'a str),
    /// A 200.
    Served,
}

async fn check(server: &MockServer, request: Req, expect: Expect<'_>) {
    let received = exchange(server.addr(), &request.clone().json()).await;
    match expect {
        Expect::Refused(field, text) => {
            assert_eq!(
                received.status(),
                400,
                "{}: {}",
                request.path,
                received.body_text()
            );
            let body = received.json();
            assert_eq!(body["Status"], "ERROR");
            let error = &body["Errors"][0];
            assert_eq!(error["Field"], field, "{}: {body}", request.path);
            let message = error["Message"].as_str().unwrap();
            assert!(message.contains(text), "{}: {message}", request.path);
            // The same refusal in XML, as the API's default format.
            let xml = exchange(server.addr(), &request).await;
            assert_eq!(xml.status(), 400);
            assert!(xml.body_text().contains(&format!("<Field>{field}</Field>")));
        }
        Expect::Served => {
            assert_eq!(
                received.status(),
                200,
                "{}: {}",
                request.path,
                received.body_text()
            );
        }
    }
}

/// The August 2024 refusals, each under the documented rules and accepted under the legacy
/// ones (the API before them).
fn refusals(server: &MockServer) -> Vec<(Req, Expect<'static>)> {
    let now = |days| at(server, days);
    vec![
        (
            Req::get(&format!("/Actions?StartDate={}", now(-10))),
            Expect::Refused("EndDate", "EndDate is required when StartDate is given"),
        ),
        (
            Req::get(&format!("/Actions?EndDate={}", now(-10))),
            Expect::Refused("StartDate", "StartDate is required when EndDate is given"),
        ),
        (
            Req::get(&format!(
                "/Actions?StartDate={}&EndDate={}",
                now(-46),
                now(0)
            )),
            Expect::Refused("EndDate", "cannot be more than 45 days apart"),
        ),
        (
            Req::get(&format!(
                "/ActionUpdates?ActionDateStart={}&ActionDateEnd={}",
                now(-60),
                now(-10)
            )),
            Expect::Refused("ActionDateEnd", "cannot be more than 45 days apart"),
        ),
        (
            Req::get(&format!("/Actions?LockingDateStart={}", now(-5))),
            Expect::Refused("LockingDateEnd", "required when LockingDateStart"),
        ),
        (
            Req::get(&format!(
                "/Actions?StartDate={}&EndDate={}",
                now(-3 * 365 - 10),
                now(-3 * 365 + 20)
            )),
            Expect::Refused("StartDate", "cannot be more than 3 years in the past"),
        ),
        (
            Req::get(&format!(
                "/Actions?ActionDateStart={}&ActionDateEnd={}",
                now(-3 * 365 - 10),
                now(-3 * 365 + 20)
            )),
            Expect::Refused("ActionDateStart", "cannot be more than 3 years in the past"),
        ),
        (
            Req::get("/Actions?PageSize=100"),
            Expect::Refused("PageSize", "at least 2000"),
        ),
        (
            Req::get("/ActionUpdates?PageSize=1999"),
            Expect::Refused("PageSize", "at least 2000"),
        ),
        (
            Req::get("/Actions?StartDate=soon&EndDate=later"),
            Expect::Refused("StartDate", "is not a valid date"),
        ),
    ]
}

#[tokio::test]
async fn the_documented_rules_refuse_and_the_legacy_ones_accept() {
    let documented = busy(Rules::Documented).await;
    for (request, expect) in refusals(&documented) {
        check(&documented, request, expect).await;
    }
    let legacy = busy(Rules::Legacy).await;
    for (request, expect) in refusals(&legacy) {
        // Invalid dates are refused under any rules.
        let expect = match expect {
            Expect::Refused("StartDate", "is not a valid date") => expect,
            _ => Expect::Served,
        };
        check(&legacy, request, expect).await;
    }
}

#[tokio::test]
async fn brand_lists_need_a_campaign_and_other_lists_refuse_nothing_undocumented() {
    let server = busy(Rules::Documented).await;
    let window = format!("StartDate={}&EndDate={}", at(&server, -20), at(&server, 0));
    for path in ["/Actions", "/ActionUpdates", "/ActionInquiries"] {
        check(
            &server,
            Req::brand(&format!("{path}?{window}")),
            Expect::Refused("CampaignId", "CampaignId is required"),
        )
        .await;
        check(
            &server,
            Req::brand(&format!("{path}?{window}&CampaignId=1000")),
            Expect::Served,
        )
        .await;
    }
    // Documented nowhere, so never refused (both connectors send these).
    let years = format!("StartDate={}&EndDate={}", at(&server, -900), at(&server, 0));
    for request in [
        Req::brand(&format!("/ActionInquiries?CampaignId=1000&{years}")),
        Req::get(&format!("/Invoices?StartDate={}", at(&server, -400))),
        Req::get("/Campaigns?PageSize=20000"),
        Req::brand("/Deals?PageSize=1"),
    ] {
        check(&server, request, Expect::Served).await;
    }
    // Catalog items cannot be paged past 20,000 records (Brand).
    check(
        &server,
        Req::brand("/Catalogs/24000/Items?PageSize=2000&Page=11"),
        Expect::Refused("Page", "first 20000 records"),
    )
    .await;
}

#[tokio::test]
async fn more_than_ten_pages_is_refused_until_the_page_size_is_raised() {
    // A million actions over three years: a 45-day window holds about 41,000.
    let server = MockServer::builder()
        .quota(Quota::disabled())
        .items(Resource::Actions, 1_000_000)
        .start()
        .await
        .unwrap();
    let window = format!("StartDate={}&EndDate={}", at(&server, -45), at(&server, 0));
    check(
        &server,
        Req::get(&format!("/Actions?{window}&PageSize=2000")),
        Expect::Refused("PageSize", "more than 10 pages"),
    )
    .await;
    let page = crate::get_json(
        &server,
        Req::get(&format!("/Actions?{window}&PageSize=20000")),
    )
    .await;
    let total: u64 = page["@total"].as_str().unwrap().parse().unwrap();
    assert!((35_000..45_000).contains(&total), "{total}");
    assert_eq!(page["@numpages"], "3");
    assert_eq!(page["Actions"].as_array().unwrap().len(), 20_000);
}

/// Which attribute values a filter keeps.
type Keep = Box<dyn Fn(&str) -> bool>;

/// The items of `truth` whose attribute passes `keep`.
fn matching(truth: &[Value], attr: &str, keep: impl Fn(&str) -> bool) -> Vec<Value> {
    truth
        .iter()
        .filter(|item| item[attr].as_str().is_some_and(&keep))
        .cloned()
        .collect()
}

fn time(text: &str) -> i64 {
    text.parse::<Timestamp>().unwrap().unix_seconds()
}

#[tokio::test]
async fn action_filters_select_exactly_the_matching_actions_of_the_ground_truth() {
    let server = busy(Rules::Documented).await;
    let now = server.now().unix_seconds();
    let actions = truth(&server, "Actions", "partner").await;

    // Without dates, the last 7 days only (by creation).
    let recent = read_all_pages(&server, Req::get("/Actions?PageSize=2000"), "Actions").await;
    let want = matching(&actions, "CreationDate", |d| time(d) >= now - 7 * DAY);
    assert!(!want.is_empty());
    assert_eq!(recent, want);

    // An event-date window, then a campaign and a state within it.
    let (from, to) = (now - 40 * DAY, now - 5 * DAY);
    let window = format!(
        "ActionDateStart={}&ActionDateEnd={}",
        at(&server, -40),
        at(&server, -5)
    );
    let got = read_all_pages(
        &server,
        Req::get(&format!("/Actions?{window}&PageSize=2000")),
        "Actions",
    )
    .await;
    let want = matching(&actions, "EventDate", |d| (from..=to).contains(&time(d)));
    assert!(want.len() > 100, "{}", want.len());
    assert_eq!(got, want);
    for (param, attr, value) in [
        ("CampaignId", "CampaignId", "1000"),
        ("State", "State", "APPROVED"),
    ] {
        let path = format!("/Actions?{window}&{param}={value}&PageSize=2000");
        let got = read_all_pages(&server, Req::get(&path), "Actions").await;
        let want: Vec<Value> = matching(&want, attr, |v| v == value);
        assert!(!want.is_empty(), "{param}");
        assert_eq!(got, want, "{param}");
    }
}

#[tokio::test]
async fn population_filters_select_exactly_the_matching_items_of_the_ground_truth() {
    let server = busy(Rules::Documented).await;
    // A filter per kind of comparison.
    let cases: [(&str, &str, &str, &str, Keep); 4] = [
        (
            "/Deals?State=ACTIVE",
            "brand",
            "Deals",
            "State",
            Box::new(|s| s == "ACTIVE"),
        ),
        (
            "/PromoCodes?SearchString=10",
            "partner",
            "PromoCodes",
            "Code",
            Box::new(|c| c.contains("10")),
        ),
        (
            "/Invoices?StartDate=2024-06-01",
            "partner",
            "Invoices",
            "CreatedDate",
            Box::new(|d| time(d) >= time("2024-06-01")),
        ),
        (
            "/Contracts",
            "partner",
            "Contracts",
            "Status",
            Box::new(|s| s == "ACTIVE"),
        ),
    ];
    for (path, api, list_key, attr, keep) in cases {
        let first = if api == "brand" {
            Req::brand(path)
        } else {
            Req::get(path)
        };
        let got = read_all_pages(&server, first, list_key).await;
        let want = matching(&truth(&server, list_key, api).await, attr, keep);
        assert!(!want.is_empty(), "{path}");
        assert_eq!(got, want, "{path}");
    }
    // Contracts list only ACTIVE ones unless asked: the expired campaign's is there by status.
    let expired = read_all_pages(&server, Req::get("/Contracts?Status=EXPIRED"), "Contracts").await;
    assert!(expired.iter().all(|c| c["Status"] == "EXPIRED") && !expired.is_empty());
}

#[tokio::test]
async fn page_links_keep_every_query_parameter() {
    let server = busy(Rules::Documented).await;
    let window = format!(
        "ActionDateStart={}&ActionDateEnd={}",
        at(&server, -40),
        at(&server, -1)
    );
    let path = format!("/Actions.json?{window}&CampaignId=1000&PageSize=2000");
    let page = crate::get_json(&server, Req::get(&path)).await;
    let next = page["@nextpageuri"].as_str().unwrap();
    let first = page["@firstpageuri"].as_str().unwrap();
    for link in [next, first] {
        if link.is_empty() {
            continue;
        }
        assert!(link.starts_with("/Mediapartners/"), "host-relative: {link}");
        assert!(link.contains(".json?"), "{link}");
        assert!(
            link.contains(&window) && link.contains("CampaignId=1000&PageSize=2000&Page="),
            "{link}"
        );
    }
}

#[tokio::test]
async fn media_partners_are_listed_under_the_key_the_asked_version_uses() {
    let server = crate::fixture().await;
    let older = crate::get_json(&server, Req::brand("/MediaPartners")).await;
    assert!(older["MediaPartners"].is_array() && older.get("Partners").is_none());
    let v14 = crate::get_json(
        &server,
        Req::brand("/MediaPartners").header("IR-Version", "14"),
    )
    .await;
    assert_eq!(v14["Partners"], older["MediaPartners"]);
    let xml = exchange(
        server.addr(),
        &Req::brand("/MediaPartners").header("IR-Version", "16"),
    )
    .await;
    assert!(xml.body_text().contains("<Partners ") && xml.body_text().contains("<Partner>"));
}
