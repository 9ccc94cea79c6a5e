//! body_cap tests (to come).
