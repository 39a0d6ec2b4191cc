//! The project's own `buildCommand` for a standalone server: run it with
//! `VERCEL_OUTPUT_FILE` set, then find the Linux binary it produced.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::exec;
use crate::go_build::go_env;
use crate::session::Session;

/// Runs the project's `buildCommand` (through the shell, in the work path)
/// with `VERCEL_OUTPUT_FILE` set, then finds the Linux binary it produced.
pub async fn run(command: &str, session: &Session<'_>, user_server: &Path) -> Result<()> {
    let mut env = go_env(&session.go, &session.env, &session.target);
    env.set("VERCEL_OUTPUT_FILE", user_server.to_string_lossy());
    let work_path = session.work_path();
    let started = SystemTime::now();
    let out = exec::run_shell(command, work_path, &env, &session.log).await?;
    if !out.success {
        let how = out.code.map_or_else(
            || "was stopped by a signal".to_string(),
            |c| format!("exited with {c}"),
        );
        return Err(Error::BuildFailed {
            output: format!("Command \"{command}\" {how}:\n{}", out.combined()),
        });
    }
    if user_server.is_file() {
        return Ok(());
    }
    let module_name = std::fs::read_to_string(work_path.join("go.mod"))
        .ok()
        .and_then(|t| crate::gomod::ModFile::parse(&t).module)
        .and_then(|m| m.rsplit('/').next().map(str::to_string));
    let found = find_new_binaries(work_path, module_name.as_deref(), started);
    match found.as_slice() {
        [one] => std::fs::copy(one, user_server)
            .map(|_| ())
            .map_err(|e| Error::io_at("copy", one, e)),
        [] => Err(Error::BuildFailed {
            output: "No compiled Go binary found after buildCommand. Ensure your command \
                     produces a Linux binary (GOOS=linux is set), or use \
                     `go build -o $VERCEL_OUTPUT_FILE`."
                .to_string(),
        }),
        many => Err(Error::BuildFailed {
            output: format!(
                "Found multiple ELF binaries after buildCommand: {}. Use \
                 `go build -o $VERCEL_OUTPUT_FILE` to specify which binary to deploy.",
                many.iter()
                    .map(|p| p.strip_prefix(work_path).unwrap_or(p).display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// ELF files written since `since`: the usual names first (module name,
/// `server`, `app`, `main`, `api`), else every such file in the work path
/// and its `bin/`.
fn find_new_binaries(
    work_path: &Path,
    module_name: Option<&str>,
    since: SystemTime,
) -> Vec<PathBuf> {
    let is_new_elf = |path: &Path| {
        std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .is_some_and(|t| t >= since)
            && is_elf(path)
    };
    let preferred = module_name
        .into_iter()
        .chain(["server", "app", "main", "api"])
        .map(|name| work_path.join(name))
        .find(|p| is_new_elf(p));
    if let Some(path) = preferred {
        return vec![path];
    }
    [work_path.to_path_buf(), work_path.join("bin")]
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(|entries| entries.flatten().map(|e| e.path()))
        .filter(|p| is_new_elf(p))
        .collect()
}

fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"\x7fELF"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_one_new_elf_or_reports_many() {
        let dir = tempfile::tempdir().unwrap();
        let since = SystemTime::now() - std::time::Duration::from_secs(1);
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        assert!(find_new_binaries(dir.path(), None, since).is_empty());
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/one"), b"\x7fELFxx").unwrap();
        assert_eq!(find_new_binaries(dir.path(), None, since).len(), 1);
        std::fs::write(dir.path().join("two"), b"\x7fELFxx").unwrap();
        assert_eq!(find_new_binaries(dir.path(), None, since).len(), 2);
        std::fs::write(dir.path().join("server"), b"\x7fELFxx").unwrap();
        assert_eq!(
            find_new_binaries(dir.path(), None, since),
            vec![dir.path().join("server")]
        );
    }
}
