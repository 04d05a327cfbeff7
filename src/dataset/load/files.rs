//! The input files: found under the paths given (folders walked) or built into the binary.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::jsonl::read_file;

pub(super) static BUILTIN_QUESTIONS: include_dir::Dir<'_> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/questions");
pub(super) static BUILTIN_RUBRICS: include_dir::Dir<'_> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/rubrics");

/// One input file's bytes, whether from disk or built into the binary.
pub(super) struct InputFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Lists the files with the given extensions under the given files and folders (folders
/// recursively, sorted). Symbolic links are followed, but every folder is entered once and every
/// file listed once, by its real location: a link back to a parent cannot loop, and a file
/// reached by two ways is not read twice.
pub fn expand_paths(paths: &[PathBuf], extensions: &[&str]) -> Result<Vec<PathBuf>> {
    let mut walk = Walk {
        extensions,
        dirs: HashSet::new(),
        files: HashSet::new(),
    };
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::unreadable(p, e))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk.dir(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else if walk.first_visit_of_file(p) {
            out.push(p.clone());
        }
    }
    Ok(out)
}

struct Walk<'a> {
    extensions: &'a [&'a str],
    /// Real paths of the folders entered so far.
    dirs: HashSet<PathBuf>,
    /// Real paths of the files listed so far.
    files: HashSet<PathBuf>,
}

impl Walk<'_> {
    fn first_visit_of_file(&mut self, p: &Path) -> bool {
        let real = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        self.files.insert(real)
    }

    fn dir(&mut self, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let real = std::fs::canonicalize(dir).map_err(|e| Error::unreadable(dir, e))?;
        if !self.dirs.insert(real) {
            return Ok(());
        }
        let entries = std::fs::read_dir(dir).map_err(|e| Error::unreadable(dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::unreadable(dir, e))?;
            let path = entry.path();
            let wanted = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| self.extensions.contains(&e));
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                // A dangling link that looks like an input file is an input that cannot be read;
                // any other unreadable entry is not ours to read.
                Err(e) if wanted => return Err(Error::unreadable(&path, e)),
                Err(_) => continue,
            };
            if meta.is_dir() {
                self.dir(&path, out)?;
            } else if wanted && self.first_visit_of_file(&path) {
                out.push(path);
            }
        }
        Ok(())
    }
}

/// The `.jsonl` files of a folder built into the binary, named `<built-in>/{name}/…`, sorted.
pub(super) fn builtin(dir: &include_dir::Dir<'_>, name: &str) -> Vec<InputFile> {
    let mut files: Vec<InputFile> = dir
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "jsonl"))
        .map(|f| InputFile {
            path: Path::new("<built-in>").join(name).join(f.path()),
            bytes: f.contents().to_vec(),
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// Reads the `.jsonl` files under the given paths; none at all is a usage error.
pub(super) fn from_disk(paths: &[PathBuf], what: &str) -> Result<Vec<InputFile>> {
    let files = expand_paths(paths, &["jsonl"])?;
    if files.is_empty() && !paths.is_empty() {
        // A folder with nothing to read is a mistake (a wrong path, or files named .json), not a
        // valid empty set.
        return Err(Error::Usage(format!(
            "no .jsonl {what} files found in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    files
        .into_iter()
        .map(|path| {
            Ok(InputFile {
                bytes: read_file(&path)?,
                path,
            })
        })
        .collect()
}
