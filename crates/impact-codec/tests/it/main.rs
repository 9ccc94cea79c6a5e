//! Integration tests of impact-codec: the rules of SPEC 6.1 pinned case by case, snapshots of
//! every fixture body, list pages, hostile inputs, encoders and property tests.

// Helpers outside `#[test]` functions unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod encoding;
mod fixture_snapshots;
mod generated;
mod hostile;
mod model;
mod pages;
mod properties;
mod rules;
mod typed;
