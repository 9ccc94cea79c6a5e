//! One insta snapshot per fixture body of `fixtures/bodies.tsv`, decoded with the manifest's
//! status and content type.

use crate::common::{fixture_bodies, render_report};

fn check(file: &str, rendering: &str) {
    let name = file.replace('.', "-");
    insta::assert_snapshot!(name, rendering);
}

#[test]
fn every_fixture_body_decodes_as_reviewed() {
    let bodies = fixture_bodies();
    assert!(
        bodies.len() >= 100,
        "the manifest lists {} bodies",
        bodies.len()
    );
    for body in bodies {
        let report = impact_codec::decode(&body.bytes, body.status);
        let header = format!(
            "fixture: {} (status {}, content type {})\n",
            body.file,
            body.status
                .map_or_else(|| "-".to_owned(), |s| s.as_u16().to_string()),
            body.content_type.as_deref().unwrap_or("-")
        );
        check(&body.file, &(header + &render_report(&report)));
    }
}
