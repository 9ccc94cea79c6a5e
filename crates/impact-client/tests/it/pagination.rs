//! pagination tests (to come).
