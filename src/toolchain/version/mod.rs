//! Which Go version a project asks for, in four parts:
//!
//! - `name.rs`: Go version names (`1.26.8`, `1.23rc1`, the bare language
//!   version `1.26`), how they are parsed and spelled, and their order;
//! - `release_table.rs`: the `X.Y` → `X.Y.Z` table of the releases downloaded
//!   for a Go line;
//! - `request.rs`: what a build asks for ([`Want`], [`VersionRequest`]),
//!   which installed Go satisfies it, and which release a download fetches;
//! - `select.rs`: what the `go` / `toolchain` lines of go.mod and go.work and
//!   the environment's `GOTOOLCHAIN` ask for ([`select()`]).

mod name;
mod release_table;
mod request;
mod select;

pub use name::{GoVersion, PreRelease, MIN_SUPPORTED};
pub use release_table::newest_in_table;
pub use request::{VersionRequest, Want};
pub use select::select;
