//! Errors of the benchmark suite (host errors; guest failures are data in the results).

/// What can go wrong running, reading, comparing or merging benchmarks.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {err}")]
    Read {
        /// The path.
        path: String,
        /// Host error (in the message, not chained, so it is printed once).
        err: std::io::Error,
    },
    /// A file or directory could not be written.
    #[error("cannot write {path}: {err}")]
    Write {
        /// The path.
        path: String,
        /// Host error (in the message, not chained).
        err: std::io::Error,
    },
    /// A results file is not valid JSON of the expected shape.
    #[error("{path}: not an mkjit bench results file: {msg}")]
    Parse {
        /// The path.
        path: String,
        /// What is wrong.
        msg: String,
    },
    /// A results file of another schema version.
    #[error("{path}: results schema version {found}; this mkjit reads version {expected}")]
    SchemaVersion {
        /// The path.
        path: String,
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// A command-line value is malformed or names something unknown (exit code 1, as
    /// for other bad option values of `mkjit`).
    #[error("{0}")]
    Usage(String),
    /// A cost model could not be loaded or changed.
    #[error(transparent)]
    Cost(#[from] mkjit_runtime::cost::CostError),
    /// Shards or results that cannot be combined.
    #[error("cannot merge: {0}")]
    Merge(String),
    /// A histogram could not be encoded or decoded.
    #[error("histogram: {0}")]
    Histogram(String),
}

/// Reads a file as text, mapping the error.
pub fn read_text(path: &std::path::Path) -> Result<String, BenchError> {
    std::fs::read_to_string(path).map_err(|err| BenchError::Read { path: path.display().to_string(), err })
}

/// Writes a file, creating its parent directories.
pub fn write_file(path: &std::path::Path, contents: impl AsRef<[u8]>) -> Result<(), BenchError> {
    let err = |err| BenchError::Write { path: path.display().to_string(), err };
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
    }
    std::fs::write(path, contents).map_err(err)
}
