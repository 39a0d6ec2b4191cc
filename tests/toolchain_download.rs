//! Download failures and how installs recover from them: checksum
//! mismatch, cut connections, server errors, 404, hostile archives,
//! concurrent installs, zip archives. After every failure the cache holds
//! no partial SDK, and the next call succeeds.

mod toolchain_common;

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use acme_go_builder::error::Error;
use acme_go_builder::toolchain::install::{self, InstallRequest};
use acme_go_builder::toolchain::{
    self, select, DownloadOptions, GoVersion, Platform, Resolved, Source, MARKER_FILE,
};
use toolchain_common::*;

fn quiet(_: &str) {}

async fn resolve_pinned(sandbox: &Sandbox, work: &Path, version: &str) -> Result<Resolved, Error> {
    let request = select(
        Some(&format!("toolchain go{version}\n")),
        None,
        &sandbox.env,
    )
    .unwrap();
    toolchain::resolve(&request_for(sandbox, work, request)).await
}

fn request_for<'a>(
    sandbox: &'a Sandbox,
    work: &'a Path,
    version: toolchain::VersionRequest,
) -> toolchain::ResolveRequest<'a> {
    request(sandbox, work, version, &quiet)
}

/// Nothing but lock files in the global cache, and no local cache.
fn assert_nothing_installed(sandbox: &Sandbox, work: &Path) {
    assert_eq!(sandbox.global_sdks(), Vec::<String>::new());
    assert!(fs::symlink_metadata(toolchain::local_cache_dir(work)).is_err());
}

async fn assert_recovers(sandbox: &Sandbox, work: &Path, version: &str) {
    let ok = resolve_pinned(sandbox, work, version)
        .await
        .expect("next call succeeds");
    assert_eq!(ok.source, Source::Downloaded);
    assert!(ok.toolchain.goroot.join(MARKER_FILE).is_file());
    assert_eq!(go_version_output(&ok.toolchain.go), version_line(version));
    assert_eq!(
        sandbox.global_sdks().len(),
        1,
        "{:?}",
        sandbox.global_entries()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checksum_mismatch_installs_nothing() {
    let server = TestServer::start();
    let name = archive_name("1.22.3");
    server.put(&name, fake_sdk("1.22.3"));
    server.put(
        &format!("{name}.sha256"),
        format!("{}\n", "0".repeat(64)).into_bytes(),
    );
    let sandbox = Sandbox::new(&server, &[]);
    let work = sandbox.work("p");

    let err = resolve_pinned(&sandbox, &work, "1.22.3").await.unwrap_err();
    assert_eq!(err.code(), "GO_TOOLCHAIN_CHECKSUM_MISMATCH", "{err}");
    assert!(err.to_string().contains(&name));
    assert_eq!(server.hits(&name), 1, "a mismatch is not retried");
    assert_nothing_installed(&sandbox, &work);

    publish_fake(&server, "1.22.3");
    assert_recovers(&sandbox, &work, "1.22.3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_file_than_published_is_a_checksum_mismatch() {
    let server = TestServer::start();
    let name = archive_name("1.22.3");
    server.publish(&name, fake_sdk("1.22.3"));
    // Same checksum file, but the archive is replaced by garbage.
    server.put(&name, b"<html>captive portal</html>".repeat(100));
    let sandbox = Sandbox::new(&server, &[]);
    let work = sandbox.work("p");
    let err = resolve_pinned(&sandbox, &work, "1.22.3").await.unwrap_err();
    assert_eq!(err.code(), "GO_TOOLCHAIN_CHECKSUM_MISMATCH", "{err}");
    assert_nothing_installed(&sandbox, &work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_resumes_with_a_range_request() {
    let server = TestServer::start();
    let name = publish_fake(&server, "1.22.3");
    let size = fake_sdk("1.22.3").len();
    server.fault(&name, Fault::Cut(size / 3));
    let sandbox = Sandbox::new(&server, &[]);
    let work = sandbox.work("p");
    assert_recovers(&sandbox, &work, "1.22.3").await;
    assert_eq!(server.hits(&name), 2);
    assert_eq!(server.ranged_hits(&name), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_without_range_support_skips_what_it_has() {
    let server = TestServer::start();
    let name = publish_fake(&server, "1.22.3");
    let size = fake_sdk("1.22.3").len();
    server.ranges(&name, false);
    server.fault(&name, Fault::Cut(size / 2));
    server.fault(&name, Fault::Cut(size * 3 / 4));
    let sandbox = Sandbox::new(&server, &[]);
    let work = sandbox.work("p");
    assert_recovers(&sandbox, &work, "1.22.3").await;
    assert_eq!(server.hits(&name), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_cuts_that_make_progress_still_complete() {
    let server = TestServer::start();
    let name = publish_fake(&server, "1.22.3");
    let size = fake_sdk("1.22.3").len();
    for _ in 0..6 {
        server.fault(&name, Fault::Cut(size / 8));
    }
    let sandbox = Sandbox::new(&server, &[]);
    let lines = sandbox.lines.clone();
    let progress = move |l: &str| lines.lock().unwrap().push(l.to_string());
    let work = sandbox.work("p");
    let version = select(Some("toolchain go1.22.3"), None, &sandbox.env).unwrap();
    let got = toolchain::resolve(&request(&sandbox, &work, version, &progress))
        .await
        .expect("resumes past more cuts than `attempts`, since each made progress");
    assert_eq!(go_version_output(&got.toolchain.go), version_line("1.22.3"));
    assert_eq!((server.hits(&name), server.ranged_hits(&name)), (7, 6));
    let retries = sandbox.progress_lines();
    let retries: Vec<_> = retries
        .iter()
        .filter(|l| l.contains("retrying from"))
        .collect();
    assert_eq!(retries.len(), 6, "{retries:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_every_time_fails_cleanly() {
    let server = TestServer::start();
    let name = publish_fake(&server, "1.22.3");
    for _ in 0..10 {
        server.fault(&name, Fault::Cut(0));
    }
    let sandbox = Sandbox::new(&server, &[]);
    let work = sandbox.work("p");
    let err = resolve_pinned(&sandbox, &work, "1.22.3").await.unwrap_err();
    assert_eq!(err.code(), "GO_TOOLCHAIN_DOWNLOAD_FAILED", "{err}");
    assert!(err.to_string().contains("after 4 tries"), "{err}");
    assert_eq!(server.hits(&name), 4, "bounded retries");
    assert_nothing_installed(&sandbox, &work);

    server.clear_faults(&name);
    assert_recovers(&sandbox, &work, "1.22.3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_mirror_fails_after_two_short_stalls_and_is_named() {
    let server = TestServer::start();
    let name = publish_fake(&server, "1.22.3");
    for _ in 0..4 {
        server.fault(&name, Fault::Stall(100));
    }
    let sandbox = Sandbox::new(&server, &[]);
    let work = sandbox.work("p");
    let version = select(Some("toolchain go1.22.3\n"), None, &sandbox.env).unwrap();
    let mut req = request_for(&sandbox, &work, version);
    req.download.read_timeout = Duration::from_millis(300);
    // The harness's own limit: a hang fails the test instead of blocking it.
    let err = tokio::time::timeout(Duration::from_secs(20), toolchain::resolve(&req))
        .await
        .expect("gave up on the stalled mirror in bounded time")
        .unwrap_err();
    assert_eq!(err.code(), "GO_TOOLCHAIN_DOWNLOAD_FAILED", "{err}");
    let text = err.to_string();
    assert!(text.contains(&server.base_url), "names the mirror: {text}");
    assert!(
        text.contains("stalled: no data for 0.3 s, 2 times"),
        "{text}"
    );
    assert_eq!(server.hits(&name), 2, "two stalls, no more tries");
    assert_nothing_installed(&sandbox, &work);

    server.clear_faults(&name);
    assert_recovers(&sandbox, &work, "1.22.3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried() {
    let server = TestServer::start();
    let name = publish_fake(&server, "1.22.3");
    server.fault(&format!("{name}.sha256"), Fault::Status(503));
    server.fault(&name, Fault::Status(502));
    server.fault(&name, Fault::Status(500));
    let sandbox = Sandbox::new(&server, &[]);
    let work = sandbox.work("p");
    assert_recovers(&sandbox, &work, "1.22.3").await;
    assert_eq!(server.hits(&format!("{name}.sha256")), 2);
    assert_eq!(server.hits(&name), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_is_a_clear_error_with_the_url() {
    let server = TestServer::start();
    let sandbox = Sandbox::new(&server, &[]);
    let work = sandbox.work("p");
    let name = archive_name("1.22.3");

    let err = resolve_pinned(&sandbox, &work, "1.22.3").await.unwrap_err();
    assert_eq!(err.code(), "GO_TOOLCHAIN_DOWNLOAD_FAILED");
    let text = err.to_string();
    assert!(
        text.contains(&format!("{}{name}.sha256", server.base_url)),
        "{text}"
    );
    assert!(text.contains("404"), "{text}");
    assert_eq!(
        server.hits(&format!("{name}.sha256")),
        1,
        "a 404 is not retried"
    );

    // Checksum present, archive missing.
    server.put(
        &format!("{name}.sha256"),
        format!("{}\n", "a".repeat(64)).into_bytes(),
    );
    let err = resolve_pinned(&sandbox, &work, "1.22.3").await.unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("{}{name}:", server.base_url)),
        "{err}"
    );
    assert_eq!(server.hits(&name), 1);
    assert_nothing_installed(&sandbox, &work);

    publish_fake(&server, "1.22.3");
    assert_recovers(&sandbox, &work, "1.22.3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_is_a_download_error() {
    // A port nothing listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = TestServer::start();
    let mut sandbox = Sandbox::new(&server, &[]);
    sandbox.env.set(
        toolchain::DOWNLOAD_BASE_URL_ENV,
        format!("http://127.0.0.1:{port}/go"),
    );
    let work = sandbox.work("p");
    let err = resolve_pinned(&sandbox, &work, "1.22.3").await.unwrap_err();
    assert_eq!(err.code(), "GO_TOOLCHAIN_DOWNLOAD_FAILED");
    assert!(
        err.to_string()
            .contains(&format!("http://127.0.0.1:{port}/go/go1.22.3")),
        "{err}"
    );
    assert_nothing_installed(&sandbox, &work);
}

/// Hostile archives: each must be refused with nothing written outside the
/// cache and nothing partial left inside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tar_slip_entries_are_refused() {
    let hostile: Vec<(&str, Vec<Entry>)> = vec![
        (
            "dot-dot",
            vec![Entry::File("go/../../evil".into(), b"x".to_vec(), 0o644)],
        ),
        (
            "absolute",
            vec![Entry::File("/tmp/evil-abs".into(), b"x".to_vec(), 0o644)],
        ),
        (
            "outside-top",
            vec![Entry::File("evil".into(), b"x".to_vec(), 0o644)],
        ),
        (
            "symlink-out",
            vec![Entry::Symlink(
                "go/evil".into(),
                "../../../../outside".into(),
            )],
        ),
        (
            "symlink-abs",
            vec![Entry::Symlink("go/evil".into(), "/etc".into())],
        ),
        (
            "through-symlink",
            vec![
                Entry::Symlink("go/lnk".into(), "bin".into()),
                Entry::Dir("go/bin/"),
                Entry::File("go/lnk/evil".into(), b"x".to_vec(), 0o644),
            ],
        ),
        (
            "symlink-chain",
            vec![
                Entry::Symlink("go/self".into(), ".".into()),
                Entry::Symlink("go/up".into(), "self/self/..".into()),
            ],
        ),
        (
            "hardlink-out",
            vec![Entry::HardLink("go/evil".into(), "../etc/passwd".into())],
        ),
        (
            "hardlink-abs",
            vec![Entry::HardLink("go/evil".into(), "/etc/passwd".into())],
        ),
    ];
    let server = TestServer::start();
    let sandbox = Sandbox::new(&server, &[]);
    let name = archive_name("1.22.3");
    for (case, extra) in hostile {
        let mut entries = fake_sdk_entries("1.22.3");
        entries.extend(extra);
        server.publish(&name, tar_gz(entries));
        let work = sandbox.work(case);
        let err = resolve_pinned(&sandbox, &work, "1.22.3").await.unwrap_err();
        assert_eq!(err.code(), "GO_TOOLCHAIN_ARCHIVE_INVALID", "{case}: {err}");
        assert!(err.to_string().contains("entry "), "{case}: {err}");
        assert_nothing_installed(&sandbox, &work);
        assert!(!sandbox.tmp.path().join("evil").exists(), "{case}");
        assert!(!Path::new("/tmp/evil-abs").exists(), "{case}");
    }
    publish_fake(&server, "1.22.3");
    assert_recovers(&sandbox, &sandbox.work("good"), "1.22.3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_with_the_wrong_sdk_is_refused() {
    let server = TestServer::start();
    let sandbox = Sandbox::new(&server, &[]);
    let name = archive_name("1.22.3");
    server.publish(&name, fake_sdk("1.22.4"));
    let work = sandbox.work("p");
    let err = resolve_pinned(&sandbox, &work, "1.22.3").await.unwrap_err();
    assert_eq!(err.code(), "GO_TOOLCHAIN_ARCHIVE_INVALID");
    assert!(err.to_string().contains("go1.22.4"), "{err}");
    assert_nothing_installed(&sandbox, &work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_installs_download_once() {
    let server = TestServer::start();
    let name = publish_fake(&server, "1.22.3");
    server.throttle(&name, Duration::from_millis(30));
    let sandbox = Arc::new(Sandbox::new(&server, &[]));
    let works: Vec<_> = (0..4).map(|i| sandbox.work(&format!("p{i}"))).collect();
    let tasks = works.into_iter().map(|work| {
        let sandbox = Arc::clone(&sandbox);
        tokio::spawn(async move { resolve_pinned(&sandbox, &work, "1.22.3").await })
    });
    let results = futures_join(tasks.collect()).await;
    let sources: Vec<Source> = results.into_iter().map(|r| r.unwrap().source).collect();
    assert_eq!(server.hits(&name), 1, "one download for all: {sources:?}");
    assert_eq!(
        sources.iter().filter(|s| **s == Source::Downloaded).count(),
        4
    );
    assert_eq!(sandbox.global_sdks().len(), 1);
}

#[test]
fn concurrent_installs_from_separate_runtimes_download_once() {
    // Separate threads with their own runtimes stand in for separate
    // processes: they share nothing but the file system lock.
    let server = TestServer::start();
    let name = publish_fake(&server, "1.22.5");
    server.throttle(&name, Duration::from_millis(30));
    let sandbox = Arc::new(Sandbox::new(&server, &[]));
    let threads: Vec<_> = (0..2)
        .map(|i| {
            let sandbox = Arc::clone(&sandbox);
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let work = sandbox.work(&format!("t{i}"));
                rt.block_on(resolve_pinned(&sandbox, &work, "1.22.5"))
                    .map(|r| r.toolchain.version)
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap().unwrap(), "go1.22.5");
    }
    assert_eq!(server.hits(&name), 1);
}

async fn futures_join<T>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("task"));
    }
    out
}

/// Windows SDKs are zips: spooled, verified, unpacked with the same rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zip_archives_install() {
    let server = TestServer::start();
    let windows = Platform {
        os: "windows".into(),
        arch: "amd64".into(),
    };
    let version = GoVersion::parse_release("1.22.3").unwrap();
    let name = windows.archive_name(&version);
    assert!(name.ends_with(".zip"));
    let tmp = tempfile::tempdir().unwrap();
    let env = acme_go_builder::env::Env::default();
    let mut options = DownloadOptions::from_env(&env);
    options.base_url = server.base_url.clone();
    options.retry_delay = Duration::from_millis(5);
    let dest = tmp.path().join("sdk");
    let install_req = InstallRequest {
        version: &version,
        platform: &windows,
        dest: &dest,
        env: &env,
        options: &options,
        sha256: None,
        progress: &quiet,
    };

    server.publish(&name, zip_of(&[("go/../evil", b"x".as_slice())]));
    let err = install::install(&install_req).await.unwrap_err();
    assert_eq!(err.code(), "GO_TOOLCHAIN_ARCHIVE_INVALID", "{err}");
    assert!(!dest.exists() && !tmp.path().join("evil").exists());

    let script = format!("#!/bin/sh\necho \"{}\"\n", version_line("1.22.3"));
    let good = zip_of(&[
        ("go/VERSION", b"go1.22.3\n".as_slice()),
        ("go/bin/go", script.as_bytes()),
        ("go/src/fmt/print.go", b"package fmt\n".as_slice()),
    ]);
    server.publish(&name, good);
    let (installed, downloaded) = install::install(&install_req).await.unwrap();
    assert!(downloaded);
    assert_eq!(installed.version, "go1.22.3");
    assert_eq!(go_version_output(&installed.go), version_line("1.22.3"));
    let (_, again) = install::install(&install_req).await.unwrap();
    assert!(!again, "already installed");
    let leftovers: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in files {
        let options = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}
