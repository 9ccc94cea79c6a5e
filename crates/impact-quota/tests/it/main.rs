//! The integration tests of `impact-quota`: the scripts against the pure model, on a real
//! `redis-server` that the tests start themselves.

mod adapter;
mod failures;
mod redis_server;
mod scripts;
mod shared;
