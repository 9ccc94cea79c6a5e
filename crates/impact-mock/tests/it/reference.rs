//! Every attribute the reference documents for an object is served, and every attribute
//! tap-impact's schemas read (`reference-attributes.txt` lists them, from the research notes).

use serde_json::Value;

use crate::raw::Req;
use crate::{fixture, get_json, truth};

#[tokio::test]
async fn items_carry_every_documented_attribute_and_every_one_tap_impact_reads() {
    let server = fixture().await;
    // The fixture world has no jobs until one is queued.
    get_json(
        &server,
        Req::get("/ReportExport/mp_action_listing_fast?START_DATE=2024-12-01&END_DATE=2024-12-31"),
    )
    .await;
    let mut checked = 0;
    for line in include_str!("reference-attributes.txt").lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let (who, object) = (words.next().unwrap(), words.next().unwrap());
        let api = if who == "tap" { "brand" } else { who };
        let (resource, nested) = object
            .split_once('.')
            .map_or((object, None), |(r, n)| (r, Some(n)));
        let items = truth(&server, resource, api).await;
        let mut item: &Value = items
            .first()
            .unwrap_or_else(|| panic!("{api} {resource} is empty"));
        if let Some(nested) = nested {
            item = &item[nested][0];
        }
        let missing: Vec<&str> = words.filter(|name| item.get(*name).is_none()).collect();
        assert!(missing.is_empty(), "{who} {object} lacks {missing:?}");
        checked += 1;
    }
    assert_eq!(checked, 72);
}
