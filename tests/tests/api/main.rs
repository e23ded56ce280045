//! Black-box tests: real HTTP against a real `wrangler dev` (workerd, SQLite Durable Objects).
//! Run them with `cargo xtask test`, which starts the server and sets `EDFI_BASE_URL`.

mod admin_app;
mod admin_terminal;
mod authorization;
mod bad_input;
mod bulk_load;
mod contract;
mod every_resource;
mod idempotency;
mod linearizable;
mod model;
mod own_server;
mod python_client;
mod races;
mod replica;
mod security;
mod support;
mod tokens;
