fn main() -> std::process::ExitCode {
    eprintln!("Error: supervisorctl is not built yet");
    std::process::ExitCode::from(2)
}
