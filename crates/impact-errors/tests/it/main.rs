//! Integration tests of impact-errors: status classes, rate-limit headers and HTTP dates.

mod classes;
mod dates;
mod rate_limits;
