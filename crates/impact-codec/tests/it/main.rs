//! Integration tests of impact-codec: the rules of SPEC 6.1 pinned case by case, snapshots of
//! every fixture body, list pages, hostile inputs, encoders and property tests.

mod common;
mod encoding;
mod fixture_snapshots;
mod hostile;
mod pages;
mod properties;
mod rules;
mod typed;
