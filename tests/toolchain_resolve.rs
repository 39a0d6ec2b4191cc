//! Toolchain selection, lookup order, caching and `prepare_cache`, against a
//! loopback server serving small synthetic SDKs.

mod toolchain_common;

use std::fs;
use std::path::Path;

use acme_go_builder::toolchain::{self, keep_sdk, local_cache_dir, select, Source, MARKER_FILE};
use toolchain_common::*;

fn collect_lines(sandbox: &Sandbox) -> impl Fn(&str) + Send + Sync + '_ {
    let lines = sandbox.lines.clone();
    move |line: &str| lines.lock().unwrap().push(line.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_version_is_downloaded_once_then_cached() {
    let server = TestServer::start();
    let archive = publish_fake(&server, "1.22.3");
    let sandbox = Sandbox::new(&server, &[]);
    let progress = collect_lines(&sandbox);
    let work = sandbox.work("project");
    let version = select(Some("module x\n\ntoolchain go1.22.3\n"), None, &sandbox.env).unwrap();

    let first = toolchain::resolve(&request(&sandbox, &work, version.clone(), &progress))
        .await
        .unwrap();
    assert_eq!(first.source, Source::Downloaded);
    assert_eq!(first.toolchain.version, "go1.22.3");
    assert_eq!(
        go_version_output(&first.toolchain.go),
        version_line("1.22.3")
    );
    let v = toolchain::GoVersion::parse_release("1.22.3").unwrap();
    let sdk =
        toolchain::global_sdk_dir(&sandbox.global_root(), &v, &toolchain::Platform::current());
    assert!(sdk.ends_with(format!(
        "1.22.3{}",
        toolchain::Platform::current().cache_dir_suffix()
    )));
    assert_eq!(first.toolchain.goroot, sdk);
    assert!(sdk.join(MARKER_FILE).is_file());
    assert_eq!(
        fs::read_link(sdk.join("bin/go-alias")).unwrap(),
        Path::new("go")
    );
    assert_eq!(
        fs::read(sdk.join("bin/go-hard")).unwrap(),
        fs::read(sdk.join("bin/go")).unwrap()
    );
    assert_eq!(
        (
            server.hits(&archive),
            server.hits(&format!("{archive}.sha256"))
        ),
        (1, 1)
    );
    // The local cache now points at the global SDK.
    assert_eq!(fs::read_link(local_cache_dir(&work)).unwrap(), sdk);
    assert_eq!(first.cache_root.as_deref(), Some(sdk.as_path()));
    let lines = sandbox.progress_lines();
    assert!(lines.iter().any(|l| l.contains("100%")), "{lines:?}");
    assert!(
        first
            .notes
            .iter()
            .any(|n| n.contains("Go 1.22.3 from a download")),
        "{:?}",
        first.notes
    );

    let again = toolchain::resolve(&request(&sandbox, &work, version.clone(), &progress))
        .await
        .unwrap();
    assert_eq!(again.source, Source::LocalCache);

    let other = sandbox.work("other-project");
    let shared = toolchain::resolve(&request(&sandbox, &other, version, &progress))
        .await
        .unwrap();
    assert_eq!(shared.source, Source::GlobalCache);
    assert_eq!(server.hits(&archive), 1, "no second download");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_pins_must_match_and_minor_lines_take_the_newest_installed() {
    let server = TestServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let path_go = fake_goroot(&tmp.path().join("system-go"), "1.21.9");
    let sandbox = Sandbox::new(&server, &[path_go]);
    let progress = collect_lines(&sandbox);
    let work = sandbox.work("p");
    for v in ["1.21.5", "1.21.7", "1.21.13"] {
        publish_fake(&server, v);
    }
    let resolve = |text: &'static str| {
        let version = select(Some(text), None, &sandbox.env).unwrap();
        let req = request(&sandbox, &work, version, &progress);
        async move { toolchain::resolve(&req).await.unwrap() }
    };

    // PATH has 1.21.9, which an exact 1.21.5 pin does not accept.
    let pinned = resolve("toolchain go1.21.5").await;
    assert_eq!(
        (pinned.source, pinned.toolchain.version.as_str()),
        (Source::Downloaded, "go1.21.5")
    );
    // `go 1.21`: the newest installed 1.21.* is the PATH one (1.21.9 > 1.21.5).
    let minor = resolve("go 1.21").await;
    assert_eq!(
        (minor.source, minor.toolchain.version.as_str()),
        (Source::Path, "go1.21.9")
    );
    assert_eq!(minor.cache_root, None);
    // `go 1.21.9`: a 1.21 patch at or above .9, found on PATH.
    let on_path = resolve("go 1.21.9").await;
    assert_eq!(on_path.source, Source::Path);
    // `go 1.21.6` is met by the newest installed 1.21 too (1.21.9), not by
    // the cached 1.21.5 below it.
    let above = resolve("go 1.21.6").await;
    assert_eq!(above.toolchain.version, "go1.21.9");
    // Now the global cache gets 1.21.13, newer than PATH's.
    resolve("toolchain go1.21.13").await;
    let newest = resolve("go 1.21").await;
    assert_eq!(newest.toolchain.version, "go1.21.13");
    // toolchain wins over go.
    let tc = resolve("go 1.21\ntoolchain go1.21.7\n").await;
    assert_eq!(
        (tc.source, tc.toolchain.version.as_str()),
        (Source::Downloaded, "go1.21.7")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minor_line_with_nothing_installed_downloads_the_table_release() {
    let server = TestServer::start();
    let archive = publish_fake(&server, "1.22.12");
    let sandbox = Sandbox::new(&server, &[]);
    let progress = collect_lines(&sandbox);
    let work = sandbox.work("p");
    let version = select(Some("go 1.22\n"), None, &sandbox.env).unwrap();
    let got = toolchain::resolve(&request(&sandbox, &work, version, &progress))
        .await
        .unwrap();
    assert_eq!(got.toolchain.version, "go1.22.12");
    assert_eq!(server.hits(&archive), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpinned_projects_use_the_newest_installed_go() {
    let server = TestServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let path_go = fake_goroot(&tmp.path().join("system-go"), "1.20.4");
    let old_go = fake_goroot(&tmp.path().join("old-go"), "1.12.17");
    let newest = publish_fake(&server, "1.27.1");
    publish_fake(&server, "1.23.4");

    // Only an unsupported Go installed: the table's newest is downloaded.
    let bare = Sandbox::new(&server, &[old_go]);
    let progress = collect_lines(&bare);
    let work = bare.work("p");
    let got = toolchain::resolve(&request(
        &bare,
        &work,
        select(None, None, &bare.env).unwrap(),
        &progress,
    ))
    .await
    .unwrap();
    assert_eq!(
        (got.source, got.toolchain.version.as_str()),
        (Source::Downloaded, "go1.27.1")
    );
    assert_eq!(server.hits(&newest), 1);

    // PATH Go is used as it is, with a note saying so.
    let sandbox = Sandbox::new(&server, &[path_go]);
    let progress = collect_lines(&sandbox);
    let work = sandbox.work("p");
    let unpinned = select(Some("module x\n"), None, &sandbox.env).unwrap();
    assert!(unpinned.warnings[0].contains("Unknown Go version"));
    let from_path = toolchain::resolve(&request(&sandbox, &work, unpinned.clone(), &progress))
        .await
        .unwrap();
    assert_eq!(
        (from_path.source, from_path.toolchain.version.as_str()),
        (Source::Path, "go1.20.4")
    );
    assert!(from_path
        .notes
        .iter()
        .any(|n| n.contains("from PATH") && n.contains("no Go version is pinned")));
    assert!(from_path
        .notes
        .iter()
        .any(|n| n.contains("Unknown Go version")));

    // Once the global cache holds a newer SDK, it wins over PATH's.
    let other = sandbox.work("q");
    let pinned = select(Some("toolchain go1.23.4"), None, &sandbox.env).unwrap();
    toolchain::resolve(&request(&sandbox, &other, pinned, &progress))
        .await
        .unwrap();
    let fresh = sandbox.work("r");
    let from_global = toolchain::resolve(&request(&sandbox, &fresh, unpinned.clone(), &progress))
        .await
        .unwrap();
    assert_eq!(
        (from_global.source, from_global.toolchain.version.as_str()),
        (Source::GlobalCache, "go1.23.4")
    );
    // And the local cache (linked to it) comes first on a tie.
    let local = toolchain::resolve(&request(&sandbox, &fresh, unpinned, &progress))
        .await
        .unwrap();
    assert_eq!(local.source, Source::LocalCache);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_work_wins_over_go_mod() {
    let server = TestServer::start();
    // go.work's `go 1.23.2` line downloads the table's 1.23 release; go.mod's
    // 1.22.1 would have downloaded 1.22.12 (not served).
    publish_fake(&server, "1.23.12");
    let sandbox = Sandbox::new(&server, &[]);
    let progress = collect_lines(&sandbox);
    let work = sandbox.work("p");
    let version = select(
        Some("go 1.22.1\n"),
        Some("go 1.23.2\nuse ./api\n"),
        &sandbox.env,
    )
    .unwrap();
    let got = toolchain::resolve(&request(&sandbox, &work, version, &progress))
        .await
        .unwrap();
    assert_eq!(got.toolchain.version, "go1.23.12");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incomplete_cache_folders_are_never_used() {
    let server = TestServer::start();
    let archive = publish_fake(&server, "1.22.3");
    let sandbox = Sandbox::new(&server, &[]);
    let progress = collect_lines(&sandbox);
    let work = sandbox.work("p");
    let platform = toolchain::Platform::current();
    let v = toolchain::GoVersion::parse_release("1.22.3").unwrap();
    let sdk = toolchain::global_sdk_dir(&sandbox.global_root(), &v, &platform);
    // A complete-looking SDK without the marker (an interrupted install of
    // an older builder), plus leftovers of a crashed install.
    fake_goroot(&sdk, "1.22.3");
    let leftover = sandbox.global_root().join(format!(
        ".{}.partial-crashed",
        sdk.file_name().unwrap().to_string_lossy()
    ));
    fs::create_dir_all(leftover.join("bin")).unwrap();
    // And a local cache copy without the marker.
    fake_goroot(&local_cache_dir(&work), "1.22.3");

    let version = select(Some("toolchain go1.22.3"), None, &sandbox.env).unwrap();
    let got = toolchain::resolve(&request(&sandbox, &work, version, &progress))
        .await
        .unwrap();
    assert_eq!(got.source, Source::Downloaded);
    assert_eq!(server.hits(&archive), 1);
    assert!(sdk.join(MARKER_FILE).is_file());
    assert!(!leftover.exists());
    assert_eq!(
        sandbox.global_sdks(),
        vec![sdk.file_name().unwrap().to_string_lossy().into_owned()]
    );
    // The unmarked local copy was replaced by a link to the installed SDK.
    assert_eq!(fs::read_link(local_cache_dir(&work)).unwrap(), sdk);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_sdk_copies_a_linked_sdk_and_lists_it() {
    let server = TestServer::start();
    publish_fake(&server, "1.22.3");
    let sandbox = Sandbox::new(&server, &[]);
    let progress = collect_lines(&sandbox);
    let work = sandbox.work("p");
    assert!(
        keep_sdk(&work).unwrap().is_empty(),
        "no cache yet: empty, no error"
    );

    let version = select(Some("toolchain go1.22.3"), None, &sandbox.env).unwrap();
    let got = toolchain::resolve(&request(&sandbox, &work, version.clone(), &progress))
        .await
        .unwrap();
    let cache_root = got.cache_root.clone().unwrap();
    fs::create_dir_all(cache_root.join("mod/example.com")).unwrap();
    fs::write(cache_root.join("mod/example.com/m.go"), "package m").unwrap();

    let files = keep_sdk(&work).unwrap();
    let local = local_cache_dir(&work);
    assert!(!fs::symlink_metadata(&local)
        .unwrap()
        .file_type()
        .is_symlink());
    for expected in [
        "bin/go",
        "VERSION",
        MARKER_FILE,
        "mod/example.com/m.go",
        "bin/go-alias",
    ] {
        let rel = Path::new(".vercel/cache/golang").join(expected);
        assert!(files.contains(&rel), "{expected} missing from {files:?}");
    }
    assert!(files
        .iter()
        .all(|f| work.join(f).symlink_metadata().is_ok()));
    // The global SDK is untouched (copied, not moved).
    assert!(got.toolchain.goroot.join("bin/go").is_file());
    assert!(got.toolchain.goroot.join(MARKER_FILE).is_file());
    // The copy is a valid local cache on the next build.
    let next = toolchain::resolve(&request(&sandbox, &work, version, &progress))
        .await
        .unwrap();
    assert_eq!(next.source, Source::LocalCache);
    assert_eq!(
        go_version_output(&next.toolchain.go),
        version_line("1.22.3")
    );
    // Idempotent on a real directory.
    assert_eq!(keep_sdk(&work).unwrap(), files);
}

#[test]
fn keep_sdk_drops_a_dangling_link() {
    let tmp = tempfile::tempdir().unwrap();
    let local = local_cache_dir(tmp.path());
    fs::create_dir_all(local.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("gone"), &local).unwrap();
    assert!(keep_sdk(tmp.path()).unwrap().is_empty());
    assert!(fs::symlink_metadata(&local).is_err());
}
