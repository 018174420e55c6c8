//! Errors as values, all the way up to the one place (`main`) that prints them.
//!
//! Every variant renders as one line that names the problem. [`Error::exit_code`] maps
//! input problems to exit code 2 (usage), runtime failures (I/O, numerical) to 3, and a closed output
//! pipe to 0; exit code 1 is kept for "a verdict differs" (decided by the commands, not an error).

use std::fmt;

/// Everything that can go wrong when parsing, evaluating or differentiating a formula.
#[derive(Debug, Clone, PartialEq)]
pub enum FormulaError {
    /// Malformed text; `column` is 1-based (in characters).
    Syntax { source: String, column: usize, message: String },
    /// A call to a function outside the whitelist (`allowed` lists it).
    UnknownFunction { name: String, allowed: &'static str },
    /// `eval` found no value for a variable the formula uses.
    UnknownVariable { name: String, formula: String },
    /// The derivative needs an operation that has none (e.g. `abs`).
    NotDifferentiable { formula: String, variable: String, reason: String },
    /// exmex failed (or arguments did not fit it); one line.
    Backend(String),
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax { source, column, message } => {
                write!(f, "syntax error at column {column} of {source:?}: {message}")
            }
            Self::UnknownFunction { name, allowed } => {
                write!(f, "unknown function '{name}'; allowed functions: {allowed}")
            }
            Self::UnknownVariable { name, formula } => {
                write!(f, "no value given for variable '{name}' of formula {formula:?}")
            }
            Self::NotDifferentiable { formula, variable, reason } => {
                write!(f, "cannot differentiate {formula:?} with respect to '{variable}': {reason}")
            }
            Self::Backend(msg) => write!(f, "formula back-end error: {msg}"),
        }
    }
}

impl std::error::Error for FormulaError {}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in tlcheck.
#[derive(Debug)]
pub enum Error {
    /// A parameter value, setting or command-line argument is outside its domain or malformed.
    Input(String),
    /// A printed formula could not be parsed, evaluated or differentiated.
    Formula(FormulaError),
    /// A theorem file is missing, unreadable or inconsistent.
    Theorem { file: String, message: String },
    /// A simulation or solver failed (no convergence, singular system, ...).
    Numerical(String),
    /// Reading or writing a file failed.
    Io { path: String, source: std::io::Error },
    /// Standard output was closed by its reader (e.g. `tlcheck list --json | head -1`): not a failure;
    /// the process stops writing and exits quietly.
    ClosedOutput,
}

impl Error {
    /// Shorthand for an input error.
    pub fn input(message: impl Into<String>) -> Self {
        Error::Input(message.into())
    }

    /// Shorthand for a numerical failure.
    pub fn numerical(message: impl Into<String>) -> Self {
        Error::Numerical(message.into())
    }

    /// Process exit code: 2 for problems with what the user gave us, 3 for failed I/O or computations,
    /// 0 for a closed output pipe.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Formula(_) | Error::Theorem { .. } => 2,
            Error::Numerical(_) | Error::Io { .. } => 3,
            Error::ClosedOutput => 0,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(m) => write!(f, "invalid input: {m}"),
            Error::Formula(e) => write!(f, "formula: {e}"),
            Error::Theorem { file, message } => write!(f, "theorem file {file}: {message}"),
            Error::Numerical(m) => write!(f, "numerical failure: {m}"),
            Error::Io { path, source } => write!(f, "{path}: {source}"),
            Error::ClosedOutput => write!(f, "standard output was closed"),
        }
    }
}

impl std::error::Error for Error {}

impl From<FormulaError> for Error {
    fn from(e: FormulaError) -> Self {
        Error::Formula(e)
    }
}
