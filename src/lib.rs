//! `@acme/go-builder`: builds and serves Go functions for the Vercel CLI.
//!
//! `binding` is the napi layer; every other module is plain Rust named for the
//! step it performs.

pub mod analyze;
pub mod assets;
pub mod binding;
pub mod build;
pub mod cache_dir;
pub mod dev_server;
pub mod embedded_program;
pub mod entry;
pub mod env;
pub mod error;
pub mod exec;
pub mod fingerprint;
pub mod fs_lock;
pub mod git_credentials;
pub mod gomod;
pub mod handler_name;
pub mod options;
pub mod overlay;
pub mod pipeline;
pub mod routes;
pub mod scratch;
pub mod standalone;
pub mod target;
pub mod toolchain;
pub mod vendor;
