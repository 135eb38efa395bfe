//! `/v1/notifications`: the caller's in-app feed, mark-as-read, and the live stream.

pub mod feed;
pub mod stream;
