//! A cheap, conservative test of whether a success body could be an API error, so that the
//! common success path need not decode every body twice.

use std::sync::OnceLock;

use memchr::memmem::Finder;
use memchr::{memchr_iter, memchr2_iter, memmem};

use crate::detect::Syntax;

/// Whether `body` could be an API error by the rule of SPEC 2.2 (a top-level `Status` of
/// `ERROR`, in any letter case).
///
/// `false` is a promise: [`decode`](crate::decode) of such a body never finds an API error, so
/// a client may skip decoding a 2xx body this function clears ([`error_report`](crate::error_report)
/// does). `true` only means "decode to find
/// out". The test is a byte search that costs a small fraction of a decode:
///
/// - a JSON body (anything not starting with `<`) can only be an API error if it holds the key
///   `"Status"` followed by a value starting with `error` in any letter case, or a `\u` escape
///   that could spell either in a form the search cannot see;
/// - an XML body, whose element names match in any letter case, only if it holds the word
///   `error` in any letter case, a `&#` character reference, or a CDATA section, comment or
///   processing instruction that could split the word.
///
/// ```
/// use impact_codec::may_be_api_error;
///
/// assert!(may_be_api_error(br#"{"Status":"ERROR","Message":"Not permitted to run report"}"#));
/// assert!(may_be_api_error(b"<ImpactRadiusResponse><Status>Error</Status>"));
/// assert!(!may_be_api_error(br#"{"@page":"1","Campaigns":[{"Id":"1","Name":"Spring sale"}]}"#));
/// assert!(!may_be_api_error(br#"{"Status":"OK","Uri":"/Mediapartners/IR1/Errors/1"}"#));
/// ```
pub fn may_be_api_error(body: &[u8]) -> bool {
    // The same choice of format as decoding.
    match Syntax::of(body) {
        Syntax::Empty => false,
        Syntax::Xml(trimmed) => xml_may_be_api_error(trimmed),
        Syntax::Json(trimmed) => json_may_be_api_error(trimmed),
    }
}

/// JSON keys are matched exactly (`Status`), so only a `"Status"` key whose value starts with
/// `error` can make an API error; escapes are the one way to hide either from a byte search.
fn json_may_be_api_error(body: &[u8]) -> bool {
    // Building a searcher costs more than searching a typical page: build it once.
    static STATUS_KEY: OnceLock<Finder<'static>> = OnceLock::new();
    let status_key = STATUS_KEY.get_or_init(|| Finder::new(b"\"Status\""));
    // Backslashes are rare in JSON bodies, so a one-byte search for them beats a two-byte
    // searcher for `\u`.
    if memchr_iter(b'\\', body).any(|at| body.get(at + 1) == Some(&b'u')) {
        return true;
    }
    status_key.find_iter(body).any(|at| {
        let value = &body[at + b"\"Status\"".len()..];
        let value = skip(value, |byte| byte.is_ascii_whitespace() || byte == b':');
        value
            .strip_prefix(b"\"")
            .and_then(|text| text.get(..5))
            .is_some_and(|word| word.eq_ignore_ascii_case(b"error"))
    })
}

/// XML element names match in any letter case and may carry a prefix, and the text may sit in
/// CDATA: the word itself is searched for, anywhere. Character references can spell it, and a
/// CDATA section, a comment or a processing instruction can split it (`ERR<!---->OR` reads
/// `ERROR`): a body with any of them is left to decoding. A prolog (`<?xml ...?>`) comes first,
/// so only a `<?` after the first byte counts.
fn xml_may_be_api_error(body: &[u8]) -> bool {
    let markup_inside = memmem::find(body, b"<!").is_some()
        || body
            .get(1..)
            .is_some_and(|rest| memmem::find(rest, b"<?").is_some());
    if markup_inside || memmem::find(body, b"&#").is_some() {
        return true;
    }
    // Every occurrence of "error" has an `r` or `R` right after its first letter.
    memchr2_iter(b'r', b'R', body).any(|index| {
        index
            .checked_sub(1)
            .and_then(|start| body.get(start..start + 5))
            .is_some_and(|word| word.eq_ignore_ascii_case(b"error"))
    })
}

fn skip(bytes: &[u8], unwanted: impl Fn(u8) -> bool) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&byte| !unwanted(byte))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use impact_errors::StatusCode;

    /// Bodies that are API errors by the rule of SPEC 2.2: the prefilter must let each through.
    fn check(body: &[u8]) {
        let report = crate::decode(body, Some(StatusCode::OK));
        assert!(report.body().is_api_error(), "not an API error: {body:?}");
        assert!(
            super::may_be_api_error(body),
            "cleared {:?}",
            String::from_utf8_lossy(body)
        );
    }

    #[test]
    fn a_status_split_by_markup_is_let_through() {
        // Found by the model-based property `generated_bodies_decode_as_the_model_says`: the
        // search for the word missed it when a CDATA section, a comment or a processing
        // instruction split it.
        check(b"<ImpactRadiusResponse><Message></Message><Status><![CDATA[e]]>rRor</Status></ImpactRadiusResponse>");
        check(b"<ImpactRadiusResponse><Status>ERR<!-- x -->OR</Status><Message>m</Message></ImpactRadiusResponse>");
        check(b"<?xml version=\"1.0\"?><ImpactRadiusResponse><Status>Er<?pi?>ror</Status><Errors/></ImpactRadiusResponse>");
        check(b"<ImpactRadiusResponse><Status>&#69;RROR</Status><Errors/></ImpactRadiusResponse>");
    }
}
