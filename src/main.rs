//! `futbr`: the command-line face of Predictor Fut BR. Thin wiring over the library crates.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

/// Exit status of an error: 4 the run lease is held by another run (or was lost to one), 5 the
/// store failed or cannot be reached, 3 anything else.
fn exit_code(error: &anyhow::Error) -> u8 {
    use futbr_lake::LakeError;
    use futbr_pipeline::PipelineError;
    for cause in error.chain() {
        let lake = match cause.downcast_ref::<PipelineError>() {
            Some(PipelineError::Busy { .. }) => return 4,
            Some(PipelineError::RecordNotSaved { .. }) => return 5,
            Some(PipelineError::Lake(e)) => Some(e),
            _ => cause.downcast_ref::<LakeError>(),
        };
        match lake {
            Some(LakeError::Fenced { .. }) => return 4,
            Some(
                LakeError::Store { .. }
                | LakeError::Unreachable { .. }
                | LakeError::NoBucket { .. }
                | LakeError::NoCredentials { .. }
                | LakeError::NoSpace { .. }
                | LakeError::Io { .. },
            ) => return 5,
            _ => {}
        }
    }
    3
}

fn main() -> ExitCode {
    // `futbr runs list | head`: a closed pipe ends the process quietly, as for any Unix tool,
    // instead of a panic in println!.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(cli.log_level()));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match cli.log_format() {
        futbr_server::LogFormat::Json => logs.json().init(),
        // Colour only on a terminal: log files and collectors get plain text.
        futbr_server::LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit_code(&error))
        }
    }
}
