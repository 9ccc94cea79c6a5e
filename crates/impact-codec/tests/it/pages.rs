//! List pages: a snapshot per page fixture and explicit checks of the paging rules of SPEC 2.4.

use impact_codec::{PageMeta, decode_page, encode_page_json, encode_page_xml};
use serde_json::json;

use crate::common::{fixture_bodies, render_page};

/// Decodes a page and compares (list key, page, next URI, item count).
fn check(input: &[u8], expect: (Option<&str>, Option<u64>, Option<&str>, usize)) {
    let page = decode_page(input).expect("a page");
    assert_eq!(
        (
            page.list_key.as_deref(),
            page.meta.page,
            page.meta.next(),
            page.items.len()
        ),
        expect,
        "page {:?}",
        String::from_utf8_lossy(input)
    );
}

#[test]
fn every_page_fixture_decodes_as_reviewed() {
    let mut count = 0;
    for body in fixture_bodies()
        .into_iter()
        .filter(|b| b.file.starts_with("page-"))
    {
        let page = decode_page(&body.bytes).expect("page fixture");
        insta::assert_snapshot!(
            format!("page-{}", body.file.replace('.', "-")),
            render_page(&page)
        );
        count += 1;
    }
    assert!(count >= 10, "{count} page fixtures");
}

#[test]
fn paging_rules() {
    check(
        br#"{"@page":"3","@nextpageuri":"","Ads":[{"Id":"1"}]}"#,
        (Some("Ads"), Some(3), None, 1),
    );
    check(
        br#"{"@page":2,"@nextpageuri":"/x?Page=3","Invoice":[{},{}]}"#,
        (Some("Invoice"), Some(2), Some("/x?Page=3"), 2),
    );
    // The list is the first array whose key has no `@`; other arrays are ignored.
    check(
        br#"{"@uris":[],"Campaigns":[1],"Other":[1,2,3]}"#,
        (Some("Campaigns"), None, None, 1),
    );
    check(
        br#"{"Page":0,"PageSize":2,"TotalCount":5,"Results":[{"a":1},{"a":2}]}"#,
        (Some("Results"), Some(1), None, 2),
    );
    check(br#"[{"Id":1},{"Id":2},{"Id":3}]"#, (None, None, None, 3));
    check(br#"{"Status":"OK"}"#, (None, None, None, 0));
    check(
        br#"{"@page":"garbage","@nextpageuri":"  ","X":[]}"#,
        (Some("X"), None, None, 0),
    );
    check(
        br#"<ImpactRadiusResponse><Ads page="1" numpages="3" nextpageuri="/Ads?Page=2&amp;PageSize=1"><Ad><Id>1</Id><Tags><Tag>a</Tag><Tag>b</Tag></Tags></Ad></Ads></ImpactRadiusResponse>"#,
        (Some("Ads"), Some(1), Some("/Ads?Page=2&PageSize=1"), 1),
    );
    check(
        b"<Ads><Ad><Id>1</Id></Ad><Ad/></Ads>",
        (Some("Ads"), None, None, 2),
    );
    check(
        b"<ImpactRadiusResponse><Status>OK</Status><Ads><Ad/></Ads></ImpactRadiusResponse>",
        (Some("Ads"), None, None, 1),
    );
}

#[test]
fn xml_items_become_objects() {
    let page = decode_page(
        b"<ImpactRadiusResponse><Ads page=\"1\"><Ad><Id>7</Id><Name> A &amp; B </Name><Tags><Tag>x</Tag><Tag>y</Tag></Tags><Empty/></Ad></Ads></ImpactRadiusResponse>",
    )
    .unwrap();
    assert_eq!(
        page.items,
        vec![json!({"Id": "7", "Name": " A & B ", "Tags": {"Tag": ["x", "y"]}, "Empty": ""})]
    );
}

#[test]
fn bad_pages_are_typed_errors() {
    for body in [
        &b""[..],
        b"{\"Ads\":[",
        b"<Ads><Ad></Ads>",
        b"\"text\"",
        b"<html><body/></html>",
    ] {
        let error = decode_page(body).unwrap_err();
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn encoded_pages_decode_to_what_was_encoded() {
    let meta = PageMeta {
        page: Some(2),
        num_pages: Some(3),
        page_size: Some(2),
        total: Some(0),
        uri: Some("/Mediapartners/IR1/Ads?Page=2".into()),
        next_page_uri: Some("/Mediapartners/IR1/Ads?Page=3&x=<\"'>".into()),
        previous_page_uri: Some(String::new()),
        ..PageMeta::default()
    };
    let items = vec![
        json!({"Id": "1", "Name": "A & <B>"}),
        json!({"Id": "2", "Name": " spaced\ttab "}),
    ];
    let page = decode_page(&encode_page_json("Ads", &meta, &items)).unwrap();
    assert_eq!(
        (page.list_key.as_deref(), &page.meta, &page.items),
        (Some("Ads"), &meta, &items)
    );
    let page = decode_page(&encode_page_xml("Ads", "Ad", &meta, &items)).unwrap();
    assert_eq!(
        (page.list_key.as_deref(), &page.meta, &page.items),
        (Some("Ads"), &meta, &items)
    );
}
