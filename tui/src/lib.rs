//! `edfi-admin`: the administrator's terminal app for an Ed-Fi API.
//!
//! `app` is the state and its update function (no IO), `ui` draws it, `runtime` performs the
//! app's commands (network tasks, the external editor, recovery files, recent resources) and runs the terminal.

pub mod api;
pub mod app;
pub mod config;
pub mod editor;
#[cfg(test)]
mod fake_server;
#[cfg(test)]
mod hostile_answers;
pub mod keys;
pub mod load;
pub mod merge;
pub mod meta;
pub mod private;
pub mod recent;
pub mod runtime;
pub mod ui;
