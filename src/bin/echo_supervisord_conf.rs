fn main() -> std::process::ExitCode {
    eprintln!("Error: echo_supervisord_conf is not built yet");
    std::process::ExitCode::from(2)
}
