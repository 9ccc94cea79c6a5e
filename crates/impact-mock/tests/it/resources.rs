//! One JSON and one XML page (or object) of every row of the resource table, as snapshots of
//! the fixture world: every attribute of every resource in the forms the API sends them.

use std::fmt::Write as _;

use impact_mock::{DEMO_ACCOUNT_SID, MockServer, Quota, Rules};
use serde_json::Value;

use crate::raw::{Req, exchange};
use crate::{control, fixture, truth};

/// A row of `GET /_mock/resources`.
struct Row {
    resource: String,
    api: String,
    path: String,
    list: bool,
    rules: Vec<String>,
}

fn rows(table: &Value) -> Vec<Row> {
    table
        .as_array()
        .unwrap()
        .iter()
        .map(|row| Row {
            resource: row["resource"].as_str().unwrap().to_owned(),
            api: row["api"].as_str().unwrap().to_owned(),
            path: row["path"].as_str().unwrap().to_owned(),
            list: row["list"].as_bool().unwrap(),
            rules: row["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|rule| rule.as_str().unwrap().to_owned())
                .collect(),
        })
        .collect()
}

/// What a request for a row's sample page needs: captures filled in and its rules met.
struct Sample {
    newest_action: Value,
}

impl Sample {
    async fn new(server: &MockServer, api: &str) -> Sample {
        let actions = truth(server, "Actions", api).await;
        Sample {
            newest_action: actions.first().cloned().unwrap(),
        }
    }

    fn path(&self, row: &Row, campaign: &str) -> String {
        let report = if row.api == "partner" {
            "mp_action_listing_fast"
        } else {
            "adv_action_listing_pm"
        };
        let action = self.newest_action["Id"].as_str().unwrap();
        let root = if row.api == "partner" {
            "Mediapartners"
        } else {
            "Advertisers"
        };
        let path = row
            .path
            .replace("{CampaignId}", campaign)
            .replace("{CatalogId}", "24000")
            .replace("{ListId}", "5000")
            .replace("{ReportId}", report)
            .replace("{ModelId}", "1")
            .replace("{ActionId}", action);
        format!("/{root}/{DEMO_ACCOUNT_SID}/{path}")
    }

    /// A query meeting the row's rules: page size, campaign, a window around the newest
    /// action.
    fn query(&self, row: &Row) -> String {
        let mut query = Vec::new();
        if row.rules.iter().any(|rule| rule.starts_with("MinPageSize")) {
            query.push("PageSize=2000".to_owned());
        } else {
            query.push("PageSize=2".to_owned());
        }
        if row
            .rules
            .iter()
            .any(|rule| rule.contains("Required(\"CampaignId\")"))
        {
            let campaign = self.newest_action["CampaignId"].as_str().unwrap();
            query.push(format!("CampaignId={campaign}"));
        }
        if row.rules.iter().any(|rule| rule.starts_with("Window")) {
            let created = self.newest_action["CreationDate"].as_str().unwrap();
            let created: impact_mock::Timestamp = created.parse().unwrap();
            let from =
                impact_mock::Timestamp::from_unix_seconds(created.unix_seconds() - 30 * 86_400);
            let to = impact_mock::Timestamp::from_unix_seconds(created.unix_seconds() + 86_400);
            query.push(format!("StartDate={}", from.to_rfc3339_utc()));
            query.push(format!("EndDate={}", to.to_rfc3339_utc()));
        }
        query.join("&")
    }
}

/// One answer, readably: status, type, and the body (JSON indented, XML one element a line).
fn render(out: &mut String, request: &Req, received: &crate::raw::Received) {
    let path = request.path.replace(DEMO_ACCOUNT_SID, "{SID}");
    let accept = request.accept.unwrap_or("XML");
    writeln!(out, "> GET {path} ({accept})").unwrap();
    writeln!(
        out,
        "< {}",
        received.head().lines().next().unwrap_or_default()
    )
    .unwrap();
    let body = received.body_text().replace(DEMO_ACCOUNT_SID, "{SID}");
    match serde_json::from_str::<Value>(&body) {
        Ok(json) => writeln!(out, "{}\n", serde_json::to_string_pretty(&json).unwrap()).unwrap(),
        Err(_) => writeln!(out, "{}\n", body.replace("><", ">\n<")).unwrap(),
    }
}

/// The page (or object) a row serves, in JSON and in XML.
async fn snapshot(server: &MockServer, sample: &Sample, row: &Row) -> String {
    let path = if row.list {
        sample.path(row, "1000")
    } else {
        // Rows served only by id: read the first item the ground truth holds.
        let items = truth(server, &row.resource, &row.api).await;
        let id = items[0]["Id"].as_str().unwrap();
        let campaign = items[0]["CampaignId"].as_str().unwrap_or("1000");
        format!("{}/{id}", sample.path(row, campaign))
    };
    let path = format!("{path}?{}", sample.query(row));
    let mut out = String::new();
    for json in [true, false] {
        let mut request = Req::get("").absolute(&path);
        if json {
            request = request.json();
        }
        let received = exchange(server.addr(), &request).await;
        assert_eq!(received.status(), 200, "{path}: {}", received.body_text());
        render(&mut out, &request, &received);
    }
    out
}

#[tokio::test]
async fn every_row_serves_its_attributes_in_json_and_xml() {
    let server = fixture().await;
    let legacy = MockServer::builder()
        .quota(Quota::disabled())
        .rules(Rules::Legacy)
        .start()
        .await
        .unwrap();
    let table = rows(&control(&server, ("GET", "/_mock/resources"), None, 200).await);
    assert!(table.len() >= 50, "{} rows", table.len());
    for api in ["partner", "brand"] {
        let sample = Sample::new(&server, api).await;
        for row in table.iter().filter(|row| row.api == api) {
            // The legacy click list is served under the legacy rules only.
            let legacy_list = row.resource == "Clicks" && row.list;
            let source = if legacy_list { &legacy } else { &server };
            let text = snapshot(source, &sample, row).await;
            let served = if row.list { "list" } else { "item" };
            let name = format!("{}-{}-{}-{served}", row.api, row.resource, row.path)
                .replace(['{', '}'], "")
                .replace('/', "-");
            insta::assert_snapshot!(name, text);
        }
    }
}
