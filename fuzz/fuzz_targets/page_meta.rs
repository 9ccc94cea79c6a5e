//! Fuzz target: list pages and their paging metadata, in JSON and XML (SPEC 2.4).
//!
//! Besides never panicking: a next-page URI is never blank, and the metadata read from any
//! page survives being written back by the mock's encoders and read again.
#![no_main]

use impact_codec::{decode_page, encode_page_json, encode_page_xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(page) = decode_page(data) else {
        return;
    };
    if let Some(next) = page.meta.next() {
        assert!(!next.trim().is_empty());
    }
    let json = encode_page_json("Items", &page.meta, &[]);
    let again = decode_page(&json).unwrap_or_else(|e| {
        panic!(
            "re-encoded json page does not decode: {e}: {}",
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(
        again.meta,
        page.meta,
        "json round trip of {}",
        String::from_utf8_lossy(&json)
    );
    // XML 1.0 cannot carry every character (U+0000, most C0 controls, U+FFFE, U+FFFF): a
    // character reference such as `&#0;` decodes to one, but no document can hold it again.
    let xml_text = [
        &page.meta.uri,
        &page.meta.first_page_uri,
        &page.meta.previous_page_uri,
        &page.meta.next_page_uri,
        &page.meta.last_page_uri,
    ]
    .into_iter()
    .flatten()
    .all(|text| text.chars().all(is_xml_char));
    if xml_text && data.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        let xml = encode_page_xml("Items", "Item", &page.meta, &[]);
        let again = decode_page(&xml).unwrap_or_else(|e| {
            panic!(
                "re-encoded xml page does not decode: {e}: {}",
                String::from_utf8_lossy(&xml)
            )
        });
        assert_eq!(
            again.meta,
            page.meta,
            "xml round trip of {}",
            String::from_utf8_lossy(&xml)
        );
    }
});

/// The `Char` production of XML 1.0 (section 2.2).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
