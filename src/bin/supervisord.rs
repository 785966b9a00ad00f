//! `supervisord`: parse the command line, load the configuration, run the daemon.

use std::process::ExitCode;

use supervisor::config;
use supervisor::daemon::args::{self, Command, Startup, UsageError};
use supervisor::daemon::core::Loader;
use supervisor::daemon::run::{self, StartupError};

fn main() -> ExitCode {
    supervisor::sys::fix_malloc_thresholds();
    let command = match args::parse(std::env::args_os()) {
        Ok(command) => command,
        Err(e) => return usage_error(&e),
    };
    match command {
        Command::Help(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Command::Version => {
            println!("{}", args::VERSION);
            ExitCode::SUCCESS
        }
        Command::CheckConfig(startup) => match load(&startup) {
            Ok(loaded) => {
                for warning in config::check::warnings(&startup.config, &loaded) {
                    eprintln!("Warning: {warning}");
                }
                println!("{}: OK", startup.config.display());
                ExitCode::SUCCESS
            }
            Err(e) => usage_error(&e),
        },
        Command::Run(startup) => match load(&startup) {
            Ok(config) => {
                let (path, overrides) = (startup.config.clone(), startup.overrides.clone());
                let loader: Loader =
                    Box::new(move || config::load(&path, &overrides).map_err(|e| e.to_string()));
                match run::run(config, loader) {
                    Ok(code) => code,
                    Err(StartupError(msg)) => usage_error(&UsageError::new(&startup.progname, msg)),
                }
            }
            Err(e) => usage_error(&e),
        },
    }
}

/// Prints the startup warnings, then loads the configuration.
fn load(startup: &Startup) -> Result<config::Config, UsageError> {
    for warning in &startup.warnings {
        eprintln!("{warning}");
    }
    config::load(&startup.config, &startup.overrides)
        .map_err(|e| UsageError::new(&startup.progname, e.to_string()))
}

/// Supervisor's two-line usage error, exit status 2.
fn usage_error(e: &UsageError) -> ExitCode {
    for warning in &e.warnings {
        eprintln!("{warning}");
    }
    eprintln!("{e}");
    ExitCode::from(2)
}
