//! `supervisorctl --json` against our daemon (D11): every document parses with a real JSON
//! parser (python3's), carries the text form's exit status, and its process records have
//! getProcessInfo's keys.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::Sandbox;

const T: Duration = Duration::from_secs(10);

/// Parses `doc` with python3 and prints `exit_status` and the sorted keys of the first
/// process record, or of the document.
fn summary(doc: &str) -> String {
    let mut py = Command::new("python3")
        .args([
            "-c",
            "import json,sys\nd=json.loads(sys.stdin.read())\n\
             p=(d.get('processes') or d.get('results') or [d])[0]\n\
             print(d['version'], d['action'], d['exit_status'], ','.join(sorted(p)))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed to check the JSON");
    py.stdin.take().unwrap().write_all(doc.as_bytes()).unwrap();
    let out = py.wait_with_output().unwrap();
    assert!(out.status.success(), "not JSON: {doc}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn json_documents_parse_and_keep_exit_statuses() {
    let d = Sandbox::start(
        "ctljson",
        "[program:up]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:idle]\ncommand=/bin/sleep 1000\nautostart=false\n",
    );
    d.wait_state("up", "RUNNING", T);
    let info_keys = "description,exitstatus,group,logfile,name,now,pid,spawnerr,start,\
                     state,statename,stderr_logfile,stdout_logfile,stop";
    let result_keys = "action,description,group,message,name,status";
    for (args, rest) in [
        (&["status"][..], format!("status 3 {info_keys}")),
        (&["status", "up"][..], format!("status 0 {info_keys}")),
        (&["pid", "all"][..], format!("pid 0 {info_keys}")),
        (&["start", "nosuch"][..], format!("start 1 {result_keys}")),
        (&["stop", "idle"][..], format!("stop 0 {result_keys}")),
        (
            &["avail"][..],
            "avail 0 action,configs,exit_status,messages,version".to_string(),
        ),
        (
            &["version"][..],
            "version 0 action,exit_status,messages,supervisor_version,version".to_string(),
        ),
        (
            &["tail", "up"][..],
            "tail 2 action,error,exit_status,messages,version".to_string(),
        ),
    ] {
        let text = d.ctl(args);
        let mut json_args = vec!["--json"];
        json_args.extend(args);
        let json = d.ctl(&json_args);
        assert_eq!(
            json.code,
            if args[0] == "tail" { 2 } else { text.code },
            "{args:?}"
        );
        assert_eq!(
            json.stdout.matches('\n').count(),
            1,
            "one line: {}",
            json.stdout
        );
        assert_eq!(summary(&json.stdout), format!("1 {rest}"), "{args:?}");
    }
}

#[test]
fn json_shell_prints_one_document_per_line_and_no_prompt() {
    let d = Sandbox::start(
        "ctljsh",
        "[program:up]\ncommand=/bin/sleep 1000\nstartsecs=0\n",
    );
    d.wait_state("up", "RUNNING", T);
    let mut ctl = Command::new(crate::util::SUPERVISORCTL)
        .arg("-c")
        .arg(&d.conf)
        .arg("-j")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    ctl.stdin
        .take()
        .unwrap()
        .write_all(b"help\nversion\n")
        .unwrap();
    let out = ctl.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    // The shell's first `status`, then each command with its own exit status.
    assert!(summary(lines[0]).starts_with("1 status 0 "), "{text}");
    assert!(summary(lines[1]).starts_with("1 help 2 "), "{text}");
    assert!(summary(lines[2]).starts_with("1 version 0 "), "{text}");
}
