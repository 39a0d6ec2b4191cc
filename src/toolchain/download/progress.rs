//! Progress lines of a download: the callback that receives them, and the
//! meter that reports every 5 % (every 25 MB when the size is unknown).

/// A callback receiving human-readable progress lines.
pub type Progress<'a> = &'a (dyn Fn(&str) + Send + Sync);

pub(super) fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// Emits a progress line every 5 % (every 25 MB when the size is
/// unknown).
pub(super) struct Meter {
    pub(super) label: String,
    pub(super) total: Option<u64>,
    next_step: u64,
}

const UNKNOWN_SIZE_STEP: u64 = 25_000_000;
/// A known-size download reports this many equal steps.
const PERCENT_STEPS: u64 = 20;

impl Meter {
    pub(super) fn new(label: &str) -> Self {
        Meter {
            label: label.to_string(),
            total: None,
            next_step: 1,
        }
    }

    pub(super) fn update(&mut self, delivered: u64, progress: Progress<'_>) {
        match self.total {
            Some(total) if total > 0 => {
                // Every 5%: the JS side draws a bar from these on a
                // terminal and prints every fifth otherwise.
                let steps = delivered.saturating_mul(PERCENT_STEPS) / total;
                if steps >= self.next_step {
                    self.next_step = steps + 1;
                    progress(&format!(
                        "Downloading {}: {}% ({} of {})",
                        self.label,
                        (steps * (100 / PERCENT_STEPS)).min(100),
                        megabytes(delivered),
                        megabytes(total)
                    ));
                }
            }
            _ => {
                if delivered / UNKNOWN_SIZE_STEP >= self.next_step {
                    self.next_step = delivered / UNKNOWN_SIZE_STEP + 1;
                    progress(&format!(
                        "Downloading {}: {}",
                        self.label,
                        megabytes(delivered)
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_reports_every_five_percent() {
        let lines = std::sync::Mutex::new(Vec::new());
        let sink = |l: &str| lines.lock().unwrap().push(l.to_string());
        let mut meter = Meter::new("x.tar.gz");
        meter.total = Some(1000);
        for delivered in (0..=1000).step_by(10) {
            meter.update(delivered, &sink);
        }
        let lines = lines.into_inner().unwrap();
        assert_eq!(lines.len(), 20, "{lines:?}");
        assert!(lines[0].contains(": 5% "));
        assert!(lines[19].contains(": 100% "));
    }
}
