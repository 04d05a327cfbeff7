//! The `kasauti` binary: a thin shell around the library.

fn main() {
    std::process::exit(kasauti::cli::run(std::env::args_os()));
}
