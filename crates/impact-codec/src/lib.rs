//! impact-codec: work in progress, see the crate description.
