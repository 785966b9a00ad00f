//! The `supervisord` and `echo_supervisord_conf` binaries: help, version, `--check-config`
//! and the two-line error format.

use std::path::Path;
use std::process::{Command, Output};

const SUPERVISORD: &str = env!("CARGO_BIN_EXE_supervisord");

fn supervisord(args: &[&str]) -> Output {
    Command::new(SUPERVISORD)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn version_and_help() {
    let v = supervisord(&["-v"]);
    assert_eq!(v.status.code(), Some(0));
    assert_eq!(
        text(&v.stdout),
        format!("{}\n", supervisor::daemon::args::VERSION)
    );
    let h = supervisord(&["--help"]);
    assert_eq!(h.status.code(), Some(0));
    assert!(text(&h.stdout).contains(&format!("Usage: {SUPERVISORD} [options]")));
}

#[test]
fn command_line_errors_are_two_lines_and_exit_2() {
    let out = supervisord(&["--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!("Error: option --bogus not recognized\nFor help, use {SUPERVISORD} -h\n")
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn check_config() {
    let ok = supervisord(&["--check-config", "-c", "conf/demo.conf"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert_eq!(text(&ok.stdout), "conf/demo.conf: OK\n");

    let bad = supervisord(&["--check-config", "-c", "tests/configs/err_badbool.conf"]);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        text(&bad.stderr),
        format!(
            "Error: not a valid boolean value: 'maybe' in section 'program:x' (file: \
             'tests/configs/err_badbool.conf')\nFor help, use {SUPERVISORD} -h\n"
        )
    );

    let missing = supervisord(&["-c", "/nonexistent.conf"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).starts_with("Error: could not find config file /nonexistent.conf\n")
    );
}

#[test]
fn echo_supervisord_conf_prints_the_sample() {
    let out = Command::new(env!("CARGO_BIN_EXE_echo_supervisord_conf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let sample =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("conf/supervisord.conf")).unwrap();
    assert_eq!(out.stdout, sample);
    assert!(text(&out.stdout).starts_with("; Sample supervisor config file.\n"));
}
