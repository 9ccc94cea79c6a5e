//! A cheap, conservative test of whether a success body could be an API error, so that the
//! common success path need not decode every body twice.

use memchr::{memchr2_iter, memmem};

/// Whether `body` could be an API error by the rule of SPEC 2.2 (a top-level `Status` of
/// `ERROR`, in any letter case).
///
/// `false` is a promise: [`decode`](crate::decode) of such a body never sets `api_error`, so a
/// client may skip decoding a 2xx body this function clears. `true` only means "decode to find
/// out". The test is a byte search: the word `error` in any letter case, or an escape (`\u` in
/// JSON, `&#` in XML) that could spell it in a form the search cannot see. It costs a small
/// fraction of a decode.
///
/// ```
/// use impact_codec::may_be_api_error;
///
/// assert!(may_be_api_error(br#"{"Status":"ERROR","Message":"Not permitted to run report"}"#));
/// assert!(may_be_api_error(b"<ImpactRadiusResponse><Status>Error</Status>"));
/// assert!(!may_be_api_error(br#"{"@page":"1","Campaigns":[{"Id":"1","Name":"Spring sale"}]}"#));
/// ```
pub fn may_be_api_error(body: &[u8]) -> bool {
    if memmem::find(body, b"\\u").is_some() || memmem::find(body, b"&#").is_some() {
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
