//! Events: types and subscriptions (reference §6).

pub mod types;
