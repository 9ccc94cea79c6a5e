//! rate_limits tests (to come).
