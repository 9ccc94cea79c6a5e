//! pacing tests (to come).
