//! impact-retry: work in progress, see the crate description.
