//! The pure core of the Ed-Fi edge API.
//!
//! Entity tags, RFC 9110 preconditions, the Ed-Fi resource model and its validation,
//! problem-details errors, and the request engine over a [`store::Store`]. There is no IO, no
//! clock and no randomness here: callers pass the time, random bytes and storage in, so every
//! behaviour is tested natively and deterministically.

// A `Problem` is built at most once per request and becomes the response; boxing it buys nothing.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod authorization;
pub mod backoff;
pub mod canonical;
pub mod clock;
pub mod content;
pub mod cors;
pub mod engine;
pub mod etag;
pub mod http;
pub mod idempotency;
#[cfg(feature = "interchange")]
pub mod interchange;
pub mod limits;
pub mod links;
pub mod model;
pub mod openapi;
pub mod precondition;
pub mod problem;
pub mod resources;
pub mod sample;
pub mod store;
pub mod validate;
pub mod wire;

pub use engine::{handle, Config, Context};
pub use etag::{EntityTag, TagCondition};
pub use http::{Request, Response};
pub use store::{Document, MemoryStore, Store, StoreError};
