//! deadlines tests (to come).
