//! A local Microsoft Graph tenant emulator: MgLicense's tests, demo and benchmarks talk to it over loopback as if it were Graph.
//!
//! Start it in-process with [`Emulator::start`] (inside a tokio runtime) or [`BackgroundEmulator::start`]
//! (anywhere), or run the `graph-emulator` binary and read the base URL from its first line of stdout.
//!
//! The modules are layered: each uses only those below it, as the Layout section of this crate's
//! README lists them, from `server` (routing) down to `clock`.

pub mod admin;
pub mod auth;
pub mod batch;
pub mod catalog;
pub mod clock;
pub mod faults;
pub mod generate;
pub mod graph;
pub mod licensing;
pub mod log;
pub mod login;
pub mod query;
pub mod reads;
pub mod respond;
pub mod route;
pub mod server;
pub mod state;
pub mod tenant;
pub mod throttle;
pub mod writes;

pub use catalog::{Group, LicenseIntent, Sku};
pub use server::{BackgroundEmulator, Config, Emulator};
pub use state::State;
pub use tenant::{ProcessingConfig, ReprocessAction, Tenant, User};
