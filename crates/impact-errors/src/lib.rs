//! Types that describe how a call to the impact.com REST APIs went wrong.
//!
//! This crate is the bottom layer of impact-rs. It holds no I/O, no parser for JSON or XML
//! and no HTTP client: only the vocabulary the other layers share, so that an embedded or
//! wasm program can take the error types alone.
//!
//! - [`StatusCode`] and [`ErrorClass`]: what an HTTP status means for the impact.com APIs and
//!   whether retrying can help (SPEC 2.1 and 3).
//! - [`RateLimitInfo`]: the rate-limit headers of every family the API sends, parsed from
//!   header values, with [`Reset`] and [`RetryAfter`] (SPEC 2.6).
//! - [`BodyFormat`], [`BodyShape`] and [`BodyVerdict`]: what a response body was, and what it
//!   says about an error.
//! - With the `alloc` feature, [`DecodedBody`], [`FieldError`] and [`Report`]: the model of a
//!   decoded response body in any of the shapes the API sends (SPEC 2.2), filled in by
//!   `impact-codec`.
//!
//! # Features
//! - `std` (default): implies `alloc`.
//! - `alloc`: the decoded body model, which owns its strings.
//! - `http`: [`RateLimitInfo::from_header_map`] for an [`http::HeaderMap`].
//!
//! With no features the crate builds for bare-metal targets such as `thumbv7em-none-eabihf`.
//!
//! The `Display` wording of every type here is for people and may change between versions;
//! programs read the parts through the types' accessors and fields.
//!
//! ```
//! use impact_errors::{ErrorClass, StatusCode};
//!
//! let status = StatusCode::TOO_MANY_REQUESTS;
//! assert_eq!(status.class(), ErrorClass::TooManyRequests);
//! assert!(status.is_retryable());
//! assert_eq!(status.to_string(), "429 Too Many Requests");
//! ```
#![no_std]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "alloc")]
mod body;
mod date;
mod ratelimit;
mod shape;
mod status;

#[cfg(feature = "alloc")]
pub use body::{DecodedBody, FieldError, Report};
pub use date::{HttpDateError, parse_http_date};
pub use ratelimit::{
    HeaderValueError, LimitFamily, LimitWindow, MAX_RESET_DELAY_SECS, RateLimitInfo, Reset,
    RetryAfter,
};
pub use shape::{BodyFormat, BodyShape, BodyVerdict};
pub use status::{ErrorClass, InvalidStatusCode, StatusCode};
