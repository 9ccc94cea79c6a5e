//! Integration tests of impact-retry: the retry matrix, the pacer, the budget, properties of
//! every decision, and the proof that deciding allocates nothing.

// Helpers outside #[test] functions unwrap fixtures they built themselves: a failure there is
// a broken test, and should stop it loudly.
#![allow(clippy::unwrap_used)]

mod allocation;
mod budget;
mod matrix;
mod pacer;
mod properties;
