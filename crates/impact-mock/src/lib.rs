//! impact-mock: work in progress, see the crate description.
