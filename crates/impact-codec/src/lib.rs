//! Tolerant one-pass decoding and encoding of every JSON and XML body the impact.com APIs send.
//!
//! The second layer of impact-rs: no I/O, only bytes in and models out.
//!
//! - [`error_report`]: a client's question of every response, in one call: is this answer an
//!   error, and if so its report. Most success bodies are cleared by a byte search
//!   ([`may_be_api_error`]) without being parsed.
//! - [`decode`] and [`decode_body`]: any response body (error or success, JSON, XML, HTML,
//!   text, empty, binary) into [`impact_errors::Report`] / [`impact_errors::DecodedBody`] by the
//!   rules of SPEC 6.1. They never fail and never panic; a body is parsed once, in the one
//!   format its first byte allows (`<` starts XML, anything else JSON: one rule, in one place,
//!   for every function here). The `Content-Type` is never needed.
//! - [`sniff`]: the format alone; [`excerpt`] and [`html_excerpt`]: the bounded text kept of a
//!   body without structure.
//! - [`from_body`], [`from_json`], [`from_xml`], [`from_value`], [`to_json`]: typed success
//!   bodies, with a [`DecodeError`] that says where and why (its kind comes from the parsers'
//!   error categories, never from their message text).
//! - [`encode_json`], [`encode_xml`], [`WriteResult`], [`encode_form`]: canonical bodies for the
//!   mock server and the fixtures, and form fields for requests.
//! - [`decode_page`], [`Page`], [`PageMeta`], [`encode_page_json`], [`encode_page_xml`]: list
//!   pages and their paging metadata (SPEC 2.4).
//!
//! ```
//! use impact_codec::decode;
//! use impact_errors::{BodyShape, ErrorClass, StatusCode};
//!
//! let xml = b"<ImpactRadiusResponse><Status>ERROR</Status><Message>Validation Failed</Message>\
//!     <Errors><Error><Field>AccountId</Field><Message>Not a numeric value</Message></Error></Errors>\
//!     </ImpactRadiusResponse>";
//! let report = decode(xml, Some(StatusCode::BAD_REQUEST));
//! assert_eq!(report.class(), ErrorClass::BadRequest);
//! assert_eq!(report.body().shape, BodyShape::Envelope);
//! assert_eq!(report.body().to_string(), "Validation Failed (AccountId: Not a numeric value)");
//! ```

mod detect;
mod encode;
mod error;
mod json;
mod page;
mod prefilter;
mod typed;
mod xml;

pub use detect::{
    EXCERPT_MAX_BYTES, decode, decode_body, error_report, excerpt, html_excerpt, sniff,
};
pub use encode::{WriteResult, encode_form, encode_json, encode_xml};
pub use error::{DecodeError, DecodeErrorKind, EncodeError};
pub use page::{Page, PageMeta, decode_page, encode_page_json, encode_page_xml};
pub use prefilter::may_be_api_error;
pub use typed::{from_body, from_json, from_value, from_xml, to_json};
pub use xml::MAX_XML_DEPTH;
