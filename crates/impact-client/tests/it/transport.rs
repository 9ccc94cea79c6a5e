//! transport tests (to come).
