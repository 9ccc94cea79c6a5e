//! budget tests (to come).
