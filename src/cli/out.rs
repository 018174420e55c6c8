//! Everything the commands print goes through [`write`]: a reader that closes the pipe early (`| head`)
//! ends the command quietly ([`Error::ClosedOutput`], exit code 0) instead of a panic.

use std::io::Write;

use crate::error::{Error, Result};

/// Writes `text` to standard output.
pub fn write(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => Error::ClosedOutput,
        _ => Error::Io { path: "standard output".into(), source: e },
    })
}

/// `print!` through [`write`]; evaluates to a `Result`.
macro_rules! out {
    ($($t:tt)*) => { $crate::cli::out::write(&format!($($t)*)) };
}

/// `println!` through [`write`]; evaluates to a `Result`.
macro_rules! outln {
    ($($t:tt)*) => { $crate::cli::out::write(&format!("{}\n", format_args!($($t)*))) };
}

pub(crate) use {out, outln};
