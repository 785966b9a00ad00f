//! `supervisorctl`: see [`supervisor::ctl`].

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(supervisor::ctl::main(std::env::args_os().collect()))
}
