//! Rebuild on save: the OS's file events (inotify, FSEvents,
//! ReadDirectoryChangesW, through the `notify` crate; no polling, so an
//! idle dev server costs nothing) under a dev server's source roots,
//! debounced, start a rebuild at once, so the next request finds the new
//! program ready. Only changes within the build's [`Scope`] count (the
//! files Go reads: a save in `public/` starts nothing).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::log::Log;
use crate::source_set::{Scope, SourceSet};

/// Quiet time after the last event before a rebuild starts: an editor's
/// save (write, rename, chmod) or a `git checkout` arrives as a burst.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// Directories whose changes never matter to a Go build.
const IGNORED_DIRS: &[&str] = &[".vercel", "node_modules", ".git", ".hg", ".svn", ".idea"];

/// Whether a change to `path` can change the program: not under an ignored
/// directory, and not an editor's temporary or backup file.
pub fn is_source_change(path: &Path) -> bool {
    if path
        .components()
        .any(|c| IGNORED_DIRS.contains(&c.as_os_str().to_string_lossy().as_ref()))
    {
        return false;
    }
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    let editor_temp = name.ends_with('~')
        || name.starts_with(".#")
        || name.starts_with("#")
        || name == "4913"
        || name == ".DS_Store"
        || [".swp", ".swx", ".swo", ".tmp", ".bak"]
            .iter()
            .any(|ext| name.ends_with(ext));
    !editor_temp
}

/// The scope changes are judged by, refreshed after each rebuild (the
/// sources may name other files then: a new embed pattern, a new package).
#[derive(Clone, Default)]
pub struct SharedScope(Arc<RwLock<Option<Scope>>>);

impl SharedScope {
    /// Finds the scope of the build whose source roots are `roots`.
    pub fn refresh(&self, roots: &[PathBuf]) {
        self.set(SourceSet::find(roots).scope);
    }

    /// Judges changes by `scope` (a session's, already found).
    pub fn set(&self, scope: Scope) {
        if let Ok(mut current) = self.0.write() {
            *current = Some(scope);
        }
    }

    /// Whether a change at `path` can change the build (everything counts
    /// before the scope is known).
    fn covers(&self, path: &Path) -> bool {
        match self.0.read() {
            Ok(scope) => scope.as_ref().is_none_or(|s| s.covers(path)),
            Err(_) => true,
        }
    }
}

/// Source changes under a set of roots, as debounced bursts.
pub struct Changes {
    /// Dropping it stops the OS watches.
    _watcher: notify::RecommendedWatcher,
    events: mpsc::UnboundedReceiver<()>,
}

impl Changes {
    /// Watches `roots` (directories recursively) for changes `scope`
    /// covers. `None` if the OS refuses
    /// to watch at all (logged).
    pub fn start(roots: &[PathBuf], scope: SharedScope, log: &Log) -> Option<Changes> {
        let (tx, events) = mpsc::unbounded_channel::<()>();
        let handler = move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else {
                return;
            };
            let relevant = matches!(
                event.kind,
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
            ) && event
                .paths
                .iter()
                .any(|p| is_source_change(p) && scope.covers(p));
            if relevant {
                let _ = tx.send(());
            }
        };
        let mut watcher = match notify::recommended_watcher(handler) {
            Ok(watcher) => watcher,
            Err(e) => {
                log.line(&format!("Rebuild on save is off: cannot watch files ({e})"));
                return None;
            }
        };
        for root in roots.iter().filter(|r| r.exists()) {
            let mode = if root.is_dir() {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            if let Err(e) = watcher.watch(root, mode) {
                log.line(&format!("Cannot watch {} for changes: {e}", root.display()));
            }
        }
        Some(Changes {
            _watcher: watcher,
            events,
        })
    }

    /// Waits for the next burst of changes and its end (no event for the
    /// debounce time). `None` once the watcher is gone.
    pub async fn next(&mut self) -> Option<()> {
        self.events.recv().await?;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(DEBOUNCE) => return Some(()),
                more = self.events.recv() => more?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::sync::oneshot;

    #[test]
    fn ignores_tool_directories_and_editor_files() {
        assert!(is_source_change(Path::new("/w/api/index.go")));
        assert!(is_source_change(Path::new("/w/go.mod")));
        assert!(!is_source_change(Path::new("/w/.git/index")));
        assert!(!is_source_change(Path::new("/w/node_modules/x/a.go")));
        assert!(!is_source_change(Path::new("/w/.vercel/cache/go/build/ab")));
        assert!(!is_source_change(Path::new("/w/api/.index.go.swp")));
        assert!(!is_source_change(Path::new("/w/api/index.go~")));
        assert!(!is_source_change(Path::new("/w/api/.#index.go")));
        assert!(!is_source_change(Path::new("/w/api/4913")));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_saves_is_one_rebuild_and_ignored_files_none() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("api")).unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join("public")).unwrap();
        let rebuilds = Arc::new(AtomicUsize::new(0));
        let (stop, mut stopped) = oneshot::channel::<()>();
        let count = rebuilds.clone();
        let roots = [dir.path().to_path_buf()];
        let scope = SharedScope::default();
        scope.refresh(&roots);
        let mut changes = Changes::start(&roots, scope, &Log::silent()).unwrap();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    burst = changes.next() => match burst {
                        Some(()) => {
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        None => break,
                    },
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        std::fs::write(dir.path().join(".git/HEAD"), "x").unwrap();
        std::fs::write(dir.path().join("api/.a.go.swp"), "x").unwrap();
        std::fs::write(dir.path().join("public/logo.png"), "x").unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            rebuilds.load(Ordering::SeqCst),
            0,
            "ignored changes, assets"
        );
        for i in 0..5 {
            std::fs::write(dir.path().join("api/a.go"), format!("package a // {i}")).unwrap();
        }
        // The harness's limit, not a speed requirement.
        for _ in 0..100 {
            if rebuilds.load(Ordering::SeqCst) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(rebuilds.load(Ordering::SeqCst), 1, "one rebuild per burst");
        drop(stop);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the watcher stops")
            .unwrap();
    }
}
