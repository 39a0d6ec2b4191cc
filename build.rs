//! napi's build setup, plus the digests of the prebuilt helper programs
//! (`helpers/helpers.json`, written by `scripts/build-helpers.js` before the
//! addon is built): the addon runs a prebuilt helper only when its bytes
//! match the digest recorded here. Without helpers the record is empty and
//! every helper is compiled from the embedded sources.

fn main() {
    napi_build::setup();
    let helpers = std::path::Path::new("helpers").join("helpers.json");
    println!("cargo:rerun-if-changed={}", helpers.display());
    let digests = std::fs::read_to_string(&helpers)
        .map(|text| text.split_whitespace().collect::<Vec<_>>().join(""))
        .unwrap_or_else(|_| "{}".to_string());
    println!("cargo:rustc-env=GO_BUILDER_HELPER_DIGESTS={digests}");
}
