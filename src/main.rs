//! The `tlcheck` binary: everything lives in the library; see `tlcheck --help`.

fn main() {
    std::process::exit(tlcheck::cli::main());
}
