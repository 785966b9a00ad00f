//! `supervisord --check-config` as an admin uses it before a reload: the reference's errors
//! (exit 2) and our warnings (stderr, exit 0) for typos, missing commands and directories.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SUPERVISORD: &str = env!("CARGO_BIN_EXE_supervisord");

/// A scratch dir removed on drop, holding `supervisord.conf`.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("svrs-check-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    /// Writes the configuration (`@` stands for this dir) and checks it.
    fn check(&self, sections: &str) -> (Option<i32>, String, String) {
        let d = self.0.display().to_string();
        let text =
            format!("[supervisord]\nlogfile=@/s.log\npidfile=@/s.pid\nchildlogdir=@\n{sections}")
                .replace('@', &d);
        let conf = self.0.join("supervisord.conf");
        std::fs::write(&conf, text).unwrap();
        let out: Output = Command::new(SUPERVISORD)
            .args(["--check-config", "-c"])
            .arg(&conf)
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).replace(&d, "@");
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_clean_file_has_no_warning() {
    let dir = Dir::new("clean");
    let (code, out, err) = dir.check(
        "[program:x]\ncommand=sh -c 'exec sleep 1'\ndirectory=/tmp\nstdout_logfile=@/x.log\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=\
         supervisor.rpcinterface:make_main_rpcinterface\nretries=3\n\
         [DEFAULT]\nmyname=value\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "@/supervisord.conf: OK\n");
    assert_eq!(err, "");
}

#[test]
fn warnings_for_typos_commands_and_directories() {
    let dir = Dir::new("warn");
    let plain = dir.path().join("plain.sh");
    std::fs::write(&plain, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, out, err) = dir.check(
        "autorestart=true\n\
         [program:x]\ncommand=no-such-program-xyz --flag\nautorestrat=true\n\
         stdout_logfil=@/x.log\ndirectory=@/missing\nnumprocs=2\n\
         process_name=%(program_name)s_%(process_num)d\n\
         [program:y]\ncommand=@/plain.sh\ndirectory=@/plain.sh\n\
         [programs:z]\ncommand=/bin/true\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "@/supervisord.conf: OK\n");
    let f = "(file: '@/supervisord.conf')";
    let expected = [
        format!("Warning: unknown key 'autorestart' in section 'supervisord' {f}"),
        format!("Warning: unknown key 'autorestrat' in section 'program:x' {f}; did you mean 'autorestart'?"),
        format!("Warning: unknown key 'stdout_logfil' in section 'program:x' {f}; did you mean 'stdout_logfile'?"),
        format!("Warning: section [programs:z] is not read by supervisord or supervisorctl {f}"),
        format!("Warning: can't find command 'no-such-program-xyz' in section 'program:x' {f}"),
        format!("Warning: directory '@/missing' does not exist in section 'program:x' {f}"),
        format!("Warning: command at '@/plain.sh' is not executable in section 'program:y' {f}"),
        format!("Warning: directory '@/plain.sh' is not a directory in section 'program:y' {f}"),
    ];
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines, expected, "{err}");
}

#[test]
fn included_files_are_named_in_warnings() {
    let dir = Dir::new("include");
    std::fs::create_dir(dir.path().join("conf.d")).unwrap();
    std::fs::write(
        dir.path().join("conf.d/a.conf"),
        "[eventlistener:l]\ncommand=/bin/cat\nevents=TICK_5\nbufer_size=3\n",
    )
    .unwrap();
    let (code, _, err) = dir.check("[include]\nfiles=conf.d/*.conf\n");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        err,
        "Warning: unknown key 'bufer_size' in section 'eventlistener:l' (file: \
         '@/conf.d/a.conf'); did you mean 'buffer_size'?\n"
    );
}

#[test]
fn errors_still_exit_2() {
    let dir = Dir::new("errors");
    // An unknown user is an error, as in the reference, not just a warning.
    let (code, out, err) = dir.check("[program:x]\ncommand=/bin/true\nuser=no-such-user-xyz\n");
    assert_eq!(code, Some(2));
    assert_eq!(out, "");
    assert!(
        err.starts_with(
            "Error: Invalid user name no-such-user-xyz in section 'program:x' (file: \
             '@/supervisord.conf')\n"
        ),
        "{err}"
    );
    // DIVERGENCE(new): the reference reads `[program:x` as a key of [supervisord].
    let (code, _, err) = dir.check("[program:x\ncommand=/bin/true\n");
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with(
            "Error: Source contains parsing errors: '@/supervisord.conf'\n\t[line  5]: \
             '[program:x\\n'\n"
        ),
        "{err}"
    );
}
