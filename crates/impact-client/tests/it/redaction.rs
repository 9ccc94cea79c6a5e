//! redaction tests (to come).
