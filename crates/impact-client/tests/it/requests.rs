//! requests tests (to come).
