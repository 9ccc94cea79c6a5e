//! Integration tests of the mock: a raw TCP client sends bytes and asserts the bytes back.

// clippy.toml allows unwrap in `#[test]` functions only; the helpers here are test code too,
// and a panic with the value's error is the report a failing test should give.
#![allow(clippy::unwrap_used)]

mod api;
mod faults;
mod quota;
mod raw;
