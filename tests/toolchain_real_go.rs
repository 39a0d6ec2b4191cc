//! One real SDK end to end: the machine's own Go installation is packed into
//! a .tar.gz, served from a loopback server, downloaded, verified,
//! installed, and then used to build and run a program.
//!
//! Skipped (with a message) when no Go installation is found.

mod toolchain_common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use acme_go_builder::toolchain::{self, select, GoToolchain, Source};
use toolchain_common::*;

/// The GOROOT of the machine's Go: `/usr/local/go`, else `go` on PATH.
fn system_goroot() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/local/go");
    if fixed.join("VERSION").is_file() {
        return Some(fixed);
    }
    let out = Command::new("go").args(["env", "GOROOT"]).output().ok()?;
    let root = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    root.join("VERSION").is_file().then_some(root)
}

/// `<goroot>` packed as `go/…` into a fast-compressed tar.gz.
fn pack(goroot: &Path) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    builder.follow_symlinks(false);
    builder.append_dir_all("go", goroot).expect("pack GOROOT");
    builder.into_inner().expect("tar").finish().expect("gzip")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_sdk_is_downloaded_verified_installed_and_builds_a_program() {
    let Some(goroot) = system_goroot() else {
        eprintln!("skipped: no Go installation on this machine");
        return;
    };
    let system = GoToolchain::from_goroot(&goroot).expect("system Go");
    let version = system.version.trim_start_matches("go").to_string();

    let started = Instant::now();
    let archive = pack(&goroot);
    eprintln!(
        "packed {} ({:.1} MB) in {:.1} s",
        goroot.display(),
        archive.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let server = TestServer::start();
    let name = archive_name(&version);
    server.publish(&name, archive);

    // PATH is empty, so the pinned version must come from the server.
    let sandbox = Sandbox::new(&server, &[]);
    let lines = sandbox.lines.clone();
    let progress = move |line: &str| {
        eprintln!("  {line}");
        lines.lock().unwrap().push(line.to_string());
    };
    let work = sandbox.work("project");
    let request = select(
        Some(&format!("module example.com/hello\n\ngo {version}\n")),
        None,
        &sandbox.env,
    )
    .unwrap();

    let started = Instant::now();
    let resolved = toolchain::resolve(&request_with(&sandbox, &work, request, &progress))
        .await
        .expect("install the real SDK");
    let install_secs = started.elapsed().as_secs_f64();
    eprintln!("installed in {install_secs:.1} s");
    assert_eq!(resolved.source, Source::Downloaded);
    assert_eq!(server.hits(&name), 1);
    // For comparison only (timings are too noisy to assert on a shared
    // machine): the practical floor for the same archive and server.
    if let Some(floor) = curl_tar_seconds(
        &format!("{}{name}", server.base_url),
        &sandbox.work("floor"),
    ) {
        eprintln!(
            "`curl -s URL | tar -xz` of the same archive: {floor:.1} s (ratio {:.2})",
            install_secs / floor
        );
    }
    let progress_lines = sandbox.progress_lines();
    // Steps of 5% (the JS side draws a bar from them, or prints every 25%).
    assert!(
        progress_lines.iter().filter(|l| l.contains('%')).count() <= 20,
        "{progress_lines:?}"
    );

    let go = &resolved.toolchain.go;
    let platform = toolchain::Platform::current();
    assert_eq!(
        go_version_output(go),
        format!("go version go{version} {}/{}", platform.os, platform.arch)
    );

    // Build and run a program with the installed SDK, caches under it.
    std::fs::write(
        work.join("go.mod"),
        format!("module example.com/hello\n\ngo {version}\n"),
    )
    .unwrap();
    std::fs::write(
        work.join("main.go"),
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from the installed SDK\") }\n",
    )
    .unwrap();
    let mut env = resolved.toolchain.command_env(&sandbox.env);
    let caches = resolved.cache_root.as_deref().expect("cache root");
    env.set("GOCACHE", caches.join("cache").to_string_lossy());
    env.set("GOMODCACHE", caches.join("mod").to_string_lossy());
    env.set("CGO_ENABLED", "0");
    let started = Instant::now();
    let out = Command::new(go)
        .args(["run", "."])
        .current_dir(&work)
        .env_clear()
        .envs(env.iter())
        .output()
        .expect("go run");
    eprintln!("go run in {:.1} s", started.elapsed().as_secs_f64());
    assert!(
        out.status.success(),
        "go run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "hello from the installed SDK"
    );
}

fn request_with<'a>(
    sandbox: &'a Sandbox,
    work: &'a Path,
    version: toolchain::VersionRequest,
    progress: &'a (dyn Fn(&str) + Send + Sync),
) -> toolchain::ResolveRequest<'a> {
    request(sandbox, work, version, progress)
}

/// Seconds `curl -s URL | tar -xz` takes (the practical floor), when both
/// tools exist.
fn curl_tar_seconds(url: &str, dir: &Path) -> Option<f64> {
    let started = Instant::now();
    let status = Command::new("sh")
        .arg("-c")
        .arg("curl -sf \"$0\" | tar -xz -C \"$1\"")
        .arg(url)
        .arg(dir)
        .status()
        .ok()?;
    status.success().then(|| started.elapsed().as_secs_f64())
}
