use super::*;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "go.mod", "module example.com/app\n\ngo 1.22\n");
    write(
        d,
        "api/index.go",
        "package api\n\nimport \"example.com/app/lib\"\n",
    );
    write(
        d,
        "lib/lib.go",
        "package lib\n\nimport _ \"embed\"\n\n//go:embed templates/*.html\nvar T string\n",
    );
    write(d, "lib/lib_test.go", "package lib\n");
    write(d, "lib/native.c", "int x;\n");
    write(d, "lib/README.md", "docs\n");
    write(d, "lib/templates/a.html", "<p>");
    write(d, "lib/templates/b.css", "p{}");
    write(d, "public/big.bin", "asset");
    write(d, "public/img/logo.png", "png");
    write(d, "public/js/app.s", "not assembly: no Go file here");
    write(d, ".cache/x.go", "package x\n");
    write(d, "node_modules/m/m.go", "package m\n");
    dir
}

fn find(root: &Path) -> SourceSet {
    SourceSet::find(&[root.to_path_buf()])
}

#[test]
fn holds_what_go_reads_and_nothing_else() {
    let dir = project();
    let files = find(dir.path()).files();
    assert_eq!(
        files,
        vec![
            "0:api/index.go",
            "0:go.mod",
            "0:lib/lib.go",
            "0:lib/native.c",
            "0:lib/templates/a.html",
        ]
    );
}

#[test]
fn the_digest_follows_sources_not_assets() {
    let dir = project();
    let d = dir.path();
    let first = find(d).digest();
    assert_eq!(first, find(d).digest(), "stable");
    write(d, "public/big.bin", "another asset");
    write(d, "lib/README.md", "more docs");
    write(d, "lib/lib_test.go", "package lib // changed");
    write(d, "lib/templates/b.css", "p{color:red}");
    assert_eq!(
        first,
        find(d).digest(),
        "assets, docs and tests do not count"
    );
    let changes: &[(&str, &str)] = &[
        ("api/index.go", "package api // edited\n"),
        ("lib/native.c", "int y;\n"),
        ("lib/templates/a.html", "<b>"),
        ("lib/templates/new.html", "<i>"),
        ("lib/new.go", "package lib\n"),
        ("api/sub/go.mod", "module other\n"),
        ("go.sum", "example.com/x v1.0.0 h1:x=\n"),
        ("vendor/modules.txt", "# example.com/x v1.0.0\n"),
        ("public/js/main.go", "package js\n"),
    ];
    let mut last = first;
    for (rel, text) in changes {
        write(d, rel, text);
        let now = find(d).digest();
        assert_ne!(last, now, "{rel} counts");
        last = now;
    }
}

#[test]
fn the_digest_does_not_depend_on_the_checkout_path() {
    let (a, b) = (project(), project());
    assert_eq!(find(a.path()).digest(), find(b.path()).digest());
}

#[test]
fn embedded_directories_count_whole_and_unreadable_patterns_count_the_package() {
    let dir = project();
    let d = dir.path();
    write(
        d,
        "web/web.go",
        "package web\n\n//go:embed all:static\nvar S embed.FS\n",
    );
    write(d, "web/static/_hidden/x.txt", "x");
    write(
        d,
        "bad/bad.go",
        "package bad\n\n//go:embed \"open\nvar S string\n",
    );
    write(d, "bad/data/y.bin", "y");
    let files = find(d).files();
    assert!(
        files.contains(&"0:web/static/_hidden/x.txt".to_string()),
        "{files:?}"
    );
    assert!(files.contains(&"0:bad/data/y.bin".to_string()), "{files:?}");
}

#[test]
fn local_modules_and_workspace_files_are_roots_of_their_own() {
    let dir = project();
    let shared = tempfile::tempdir().unwrap();
    write(shared.path(), "go.mod", "module example.com/shared\n");
    write(shared.path(), "s.go", "package shared\n");
    write(shared.path(), "assets/huge.bin", "asset");
    let roots = vec![
        dir.path().to_path_buf(),
        shared.path().to_path_buf(),
        dir.path().join("go.work"),
    ];
    let set = SourceSet::find(&roots);
    assert!(set.files().contains(&"1:s.go".to_string()));
    assert!(!set.files().iter().any(|f| f.contains("huge")));
    let before = set.digest();
    write(shared.path(), "s.go", "package shared // edited\n");
    assert_ne!(before, SourceSet::find(&roots).digest());
    let before = SourceSet::find(&roots).digest();
    write(dir.path(), "go.work", "go 1.22\nuse .\n");
    assert_ne!(before, SourceSet::find(&roots).digest());
}

#[test]
fn finds_files_that_may_use_cgo() {
    let dir = project();
    let d = dir.path();
    assert!(find(d).cgo_sensitive.is_empty());
    assert!(find(d).cgo_free(&[&d.join("api"), &d.join("lib")]));
    assert!(
        !find(d).cgo_free(&[&d.join("node_modules/m")]),
        "never looked at"
    );
    write(
        d,
        "lib/c.go",
        "package lib\n\n// #include <stdio.h>\nimport \"C\"\n",
    );
    assert_eq!(find(d).cgo_sensitive, vec![d.join("lib/c.go")]);
}

#[cfg(unix)]
#[test]
fn never_opens_a_fifo_and_survives_symlink_loops() {
    let fifo = crate::test_support::dir_with_fifo("f.go");
    write(fifo.path(), "ok.go", "package p\n");
    std::os::unix::fs::symlink(fifo.path(), fifo.path().join("loop")).unwrap();
    let set = find(fifo.path());
    assert!(set.files().contains(&"0:ok.go".to_string()));
    assert_eq!(
        set.entries.get(&(0, "f.go".to_string())),
        Some(&Entry::Special)
    );
    let assets = crate::test_support::dir_with_fifo("stream.bin");
    write(assets.path(), "main.go", "package main\n");
    std::fs::create_dir_all(assets.path().join("public")).unwrap();
    std::fs::rename(
        assets.path().join("stream.bin"),
        assets.path().join("public/stream.bin"),
    )
    .unwrap();
    assert_eq!(find(assets.path()).files(), vec!["0:main.go"]);
}

#[test]
fn the_scope_covers_sources_not_assets() {
    let dir = project();
    let d = dir.path();
    let scope = find(d).scope;
    assert!(scope.covers(&d.join("lib/new.go")));
    assert!(scope.covers(&d.join("go.sum")));
    assert!(
        scope.covers(&d.join("lib/templates/new.html")),
        "a new file a pattern may match"
    );
    assert!(scope.covers(&d.join("lib")), "a package directory renamed");
    assert!(!scope.covers(&d.join("public/big.bin")));
    assert!(!scope.covers(&d.join("lib/README.md")));
}
