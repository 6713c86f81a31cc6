//! The `aellm` command line.

mod cli;
mod exit;

use clap::Parser;

// Peak memory is measured by counting allocations; without this the harness
// could only estimate it from tensor sizes.
#[global_allocator]
static ALLOC: aellm::harness::metrics::CountingAllocator =
    aellm::harness::metrics::CountingAllocator;

/// Runs the command; an error is printed as one line (its causes joined,
/// never a stack trace, whatever `RUST_BACKTRACE` says) and becomes the
/// exit code that `exit` documents.
fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli::Cli::parse().run() {
        Ok(()) => std::process::ExitCode::from(exit::OK),
        Err(e) => {
            eprintln!("aellm: error: {e:#}");
            std::process::ExitCode::from(exit::code(&e))
        }
    }
}
