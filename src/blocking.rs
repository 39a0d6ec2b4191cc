//! Blocking file work (walking and hashing trees, copying files) inside
//! async code: it runs where it does not hold up the runtime's other tasks
//! (`block_in_place` on the multi-threaded runtime the addon uses; inline
//! elsewhere, e.g. in single-threaded tests).

use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs `work`, which may block, without starving the async runtime.
pub fn blocking<R>(work: impl FnOnce() -> R) -> R {
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_outside_a_runtime() {
        assert_eq!(blocking(|| 1 + 1), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_on_the_multi_threaded_runtime() {
        assert_eq!(blocking(|| 2 + 2), 4);
    }

    #[tokio::test]
    async fn runs_on_a_single_threaded_runtime() {
        assert_eq!(blocking(|| 3 + 3), 6);
    }
}
