//! The build log: every line the user should see — which Go is used, what
//! `go build` and the project's build command print while they run, a
//! summary per function — goes to one sink. The binding connects it to
//! Node's own stdout (so the CLI's log capture sees it); nothing below
//! writes to the process's stdout directly.

use std::sync::Arc;

/// Where log lines go.
#[derive(Clone)]
pub struct Log(Arc<dyn Fn(&str) + Send + Sync>);

impl Log {
    pub fn new(sink: impl Fn(&str) + Send + Sync + 'static) -> Log {
        Log(Arc::new(sink))
    }

    /// A log that drops every line.
    pub fn silent() -> Log {
        Log::new(|_| {})
    }

    /// Writes one line (without its line end).
    pub fn line(&self, text: &str) {
        (self.0)(text)
    }
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Log")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn lines_reach_the_sink() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let log = Log::new(move |l| sink.lock().unwrap().push(l.to_string()));
        log.line("Using Go 1.26.8");
        log.clone().line("built");
        assert_eq!(*seen.lock().unwrap(), vec!["Using Go 1.26.8", "built"]);
    }
}
