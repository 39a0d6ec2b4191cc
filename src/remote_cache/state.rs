//! What the processes of one build share about the remote, through files
//! in a directory of the build's own (each `go` command runs its own cache
//! program): whether the bucket failed (`down`, holding the first reason;
//! after it nobody talks to the bucket for the rest of the build) and each
//! process's statistics (`stats-*.json`), summed into the build's line.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Access;

/// What the remote did for one process (or, summed, one build).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Objects read from the bucket and used.
    pub hits: u64,
    /// Objects looked for and not there.
    pub misses: u64,
    /// Objects there but not taken (bad signature or digest).
    pub rejected: u64,
    pub bytes_down: u64,
    pub bytes_up: u64,
    pub uploads: u64,
    /// Kept programs reused from the bucket.
    pub programs: u64,
    /// Time with at least one request in flight.
    pub busy_ms: u64,
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.hits += other.hits;
        self.misses += other.misses;
        self.rejected += other.rejected;
        self.bytes_down += other.bytes_down;
        self.bytes_up += other.bytes_up;
        self.uploads += other.uploads;
        self.programs += other.programs;
        self.busy_ms += other.busy_ms;
    }
}

/// One process's view of the build's shared state.
#[derive(Debug)]
pub struct State {
    dir: Option<PathBuf>,
    down: Mutex<Option<String>>,
    stats: Mutex<Stats>,
    busy: Mutex<(usize, Option<Instant>)>,
}

/// Marks a request in flight for [`Stats::busy_ms`] until dropped.
pub struct Busy<'a>(&'a State);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        let mut busy = self.0.busy.lock().unwrap_or_else(|e| e.into_inner());
        busy.0 -= 1;
        if busy.0 == 0 {
            if let Some(since) = busy.1.take() {
                self.0
                    .update(|s| s.busy_ms += since.elapsed().as_millis() as u64);
            }
        }
    }
}

impl State {
    /// The state kept in `dir` (`None`: this process only).
    pub fn new(dir: Option<PathBuf>) -> State {
        State {
            dir,
            down: Mutex::new(None),
            stats: Mutex::new(Stats::default()),
            busy: Mutex::new((0, None)),
        }
    }

    /// The shared directory, if any.
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_deref()
    }

    fn down_file(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join("down"))
    }

    /// Whether the bucket failed in this build (in any of its processes).
    pub fn is_down(&self) -> bool {
        if self
            .down
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
        {
            return true;
        }
        self.down_file().is_some_and(|f| f.exists())
    }

    /// Turns the remote off for the rest of the build; the first reason
    /// given is the one the build reports.
    pub fn trip(&self, reason: &str) {
        let mut down = self.down.lock().unwrap_or_else(|e| e.into_inner());
        if down.is_some() {
            return;
        }
        *down = Some(reason.to_string());
        if let Some(file) = self.down_file() {
            use std::io::Write;
            if let Ok(mut f) = std::fs::File::options()
                .write(true)
                .create_new(true)
                .open(&file)
            {
                let _ = f.write_all(reason.as_bytes());
            }
        }
    }

    /// Why the remote was turned off, if it was.
    pub fn reason(&self) -> Option<String> {
        let shared = self
            .down_file()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .filter(|r| !r.is_empty());
        shared.or_else(|| self.down.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    /// Counts one request in flight until the guard is dropped.
    pub fn busy(&self) -> Busy<'_> {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        if busy.0 == 0 {
            busy.1 = Some(Instant::now());
        }
        busy.0 += 1;
        Busy(self)
    }

    /// Changes this process's statistics.
    pub fn update(&self, change: impl FnOnce(&mut Stats)) {
        change(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// This process's statistics.
    pub fn own(&self) -> Stats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes this process's statistics for the build to sum (a cache
    /// program does, when Go closes it).
    pub fn publish(&self) {
        let Some(dir) = &self.dir else { return };
        let name = format!(
            "stats-{}-{}.json",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        );
        if let Ok(text) = serde_json::to_vec(&self.own()) {
            let partial = dir.join(format!("{name}.partial"));
            let _ = std::fs::write(&partial, text)
                .and_then(|()| std::fs::rename(&partial, dir.join(name)));
        }
    }

    /// This process's statistics plus every published one.
    pub fn totals(&self) -> Stats {
        let mut total = self.own();
        let Some(entries) = self.dir.as_ref().and_then(|d| std::fs::read_dir(d).ok()) else {
            return total;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !(name.starts_with("stats-") && name.ends_with(".json")) {
                continue;
            }
            if let Some(stats) = std::fs::read(entry.path())
                .ok()
                .and_then(|b| serde_json::from_slice::<Stats>(&b).ok())
            {
                total.add(&stats);
            }
        }
        total
    }
}

/// The build's line about the remote.
pub fn summary(
    remote: &str,
    access: Access,
    stats: &Stats,
    down: Option<&str>,
    elapsed: Duration,
) -> String {
    let mb = |b: u64| b as f64 / 1e6;
    let mode = match access {
        Access::ReadWrite => "",
        Access::Read => " (read only)",
        Access::Write => " (write only: no GO_BUILDER_CACHE_SIGNING_KEY to trust reads)",
    };
    let mut line = format!(
        "Remote cache {remote}{mode}: {} hits, {} misses",
        stats.hits, stats.misses
    );
    if stats.rejected > 0 {
        line.push_str(&format!(
            ", {} rejected (signature or digest)",
            stats.rejected
        ));
    }
    if stats.programs > 0 {
        line.push_str(&format!(
            ", {} program{} reused",
            stats.programs,
            if stats.programs == 1 { "" } else { "s" }
        ));
    }
    line.push_str(&format!(
        ", {:.1} MB down, {:.1} MB up ({} uploads), {:.1} s talking to the bucket in {:.1} s",
        mb(stats.bytes_down),
        mb(stats.bytes_up),
        stats.uploads,
        stats.busy_ms as f64 / 1000.0,
        elapsed.as_secs_f64()
    ));
    if let Some(reason) = down {
        line.push_str(&format!(
            "; turned off for the rest of the build after: {reason} (the local caches served)"
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_share_the_fault_and_their_statistics() {
        let dir = tempfile::tempdir().unwrap();
        let a = State::new(Some(dir.path().to_path_buf()));
        let b = State::new(Some(dir.path().to_path_buf()));
        a.update(|s| {
            s.hits = 2;
            s.bytes_down = 10
        });
        a.publish();
        b.update(|s| s.misses = 1);
        assert!(!b.is_down());
        a.trip("GET go/x: Connection refused");
        b.trip("later reason");
        assert!(b.is_down());
        assert_eq!(b.reason().unwrap(), "GET go/x: Connection refused");
        let totals = b.totals();
        assert_eq!((totals.hits, totals.misses, totals.bytes_down), (2, 1, 10));
        let line = summary(
            "s3://b/p",
            Access::ReadWrite,
            &totals,
            b.reason().as_deref(),
            Duration::from_secs(1),
        );
        assert!(
            line.starts_with("Remote cache s3://b/p: 2 hits, 1 misses"),
            "{line}"
        );
        assert!(
            line.contains("after: GET go/x: Connection refused"),
            "{line}"
        );
    }
}
