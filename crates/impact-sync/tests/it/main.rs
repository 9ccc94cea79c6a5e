//! Integration tests of impact-sync: the stores' crash safety, the runner against a
//! deterministic fake API (with crashes at random points), and the runner against impact-mock
//! on loopback.

mod fake;
mod kill;
mod mock;
mod model;
mod runner;
mod stores;
mod support;
mod table;
mod world;
