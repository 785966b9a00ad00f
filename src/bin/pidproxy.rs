fn main() -> std::process::ExitCode {
    eprintln!("Error: pidproxy is not built yet");
    std::process::ExitCode::from(2)
}
