//! The `impact` command line.
fn main() {}
