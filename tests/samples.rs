//! The shipped configuration files and man pages: every file in `conf/` loads, every
//! documented option is accepted, and the man pages mention every option and key.

use std::path::{Path, PathBuf};

use supervisor::config::{self, load_ctl, Overrides};
use supervisor::daemon::args::usage;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

/// A fresh scratch directory for one test.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("svrs-samples-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The sample with its /tmp and distribution paths moved into `dir`.
fn relocated_sample(dir: &Path) -> String {
    let d = dir.display().to_string();
    read("conf/supervisord.conf")
        .replace("/tmp/supervisor", &format!("{d}/supervisor"))
        .replace("/var/log/supervisor", &d)
        .replace("/var/run", &d)
}

#[test]
fn every_conf_file_loads() {
    let dir = scratch("every");
    for entry in std::fs::read_dir(root().join("conf")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "conf") {
            continue;
        }
        let path = if path.ends_with("supervisord.conf") {
            let copy = dir.join("supervisord.conf");
            std::fs::write(&copy, relocated_sample(&dir)).unwrap();
            copy
        } else {
            path
        };
        let loaded = config::load(&path, &Overrides::default());
        assert!(
            loaded.is_ok(),
            "{}: {}",
            path.display(),
            loaded.unwrap_err()
        );
        let ctl = load_ctl(Some(&path), "supervisorctl").unwrap().unwrap();
        assert!(ctl.serverurl.starts_with("unix:///"), "{}", ctl.serverurl);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_documented_option_of_the_sample_is_accepted() {
    let dir = scratch("uncommented");
    // Uncomment every section and key, and point the example names at things that exist.
    let text: String = relocated_sample(&dir)
        .lines()
        .map(|l| {
            let l = l
                .strip_prefix(';')
                .filter(|r| r.starts_with('[') || r.starts_with(|c: char| c.is_ascii_lowercase()))
                .unwrap_or(l);
            let key = l.split('=').next().unwrap_or("");
            let l = match key {
                "user" | "chown" | "socket_owner" => format!("{key}=root"),
                "programs" => "programs=theprogramname,thefcgiprogramname".to_string(),
                _ => l.replace("/bin/eventlistener", "/bin/cat"),
            };
            l + "\n"
        })
        .collect();
    let path = dir.join("all.conf");
    std::fs::write(&path, text).unwrap();
    let c = config::load(&path, &Overrides::default());
    let _ = std::fs::remove_dir_all(&dir);
    let c = c.unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = c.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["theeventlistenername", "thegroupname"]);
    assert_eq!(c.groups[1].processes.len(), 6);
    assert!(c.http_servers.len() == 2);
}

/// Man page text with roff's escaped hyphens made plain.
fn man(rel: &str) -> String {
    read(rel).replace("\\-", "-")
}

#[test]
fn man_page_lists_every_command_line_option() {
    let page = man("man/supervisord.1");
    let text = usage("supervisord");
    let options: Vec<&str> = text
        .split_whitespace()
        .filter_map(|w| w.split('/').find(|p| p.starts_with("--")))
        .collect();
    assert!(options.len() >= 20, "{options:?}");
    for option in options {
        assert!(page.contains(option), "man/supervisord.1 lacks {option}");
    }
}

#[test]
fn man_page_lists_every_key_of_the_sample() {
    let page = man("man/supervisord.conf.5");
    let sample = read("conf/supervisord.conf");
    let mut keys = 0;
    for line in sample.lines() {
        let line = line.trim_start_matches(';');
        let Some((key, _)) = line.split_once('=') else {
            continue;
        };
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_lowercase() || "_.".contains(c))
        {
            continue;
        }
        keys += 1;
        assert!(page.contains(key), "man/supervisord.conf.5 lacks {key}");
    }
    assert!(keys >= 60, "only {keys} keys found in the sample");
}

#[test]
fn the_printed_sample_starts_as_is_for_any_user() {
    let sample = read("conf/supervisord.conf");
    let active: Vec<&str> = sample
        .lines()
        .filter(|l| !l.starts_with(';') && l.contains('/'))
        .collect();
    assert_eq!(active.len(), 4, "{active:?}");
    for line in &active {
        let path = line.split(['=', ' ']).nth(1).unwrap_or("");
        assert!(
            path.starts_with("/tmp/") || path.starts_with("unix:///tmp/"),
            "{line}"
        );
    }
    assert!(sample.contains("\n;[include]\n"));
    // As printed, it passes the check without a warning.
    let dir = scratch("asis");
    let conf = dir.join("supervisord.conf");
    let printed = std::process::Command::new(env!("CARGO_BIN_EXE_echo_supervisord_conf"))
        .output()
        .unwrap()
        .stdout;
    std::fs::write(&conf, printed).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_supervisord"))
        .args(["--check-config", "-c"])
        .arg(&conf)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn config_man_page_lists_every_event_type_state_and_variable() {
    use supervisor::events::types::EventType;
    use supervisor::states::ProcessState;
    let page = man("man/supervisord.conf.5");
    // The names of the event type table, as the source spells them.
    let source = read("src/events/types.rs");
    let table = source.split("#[cfg(test)]").next().unwrap();
    let names: Vec<&str> = table
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|n| EventType::from_name(n).is_some())
        .collect();
    assert!(names.len() >= 27, "{names:?}");
    for name in names {
        assert!(
            page.contains(name),
            "supervisord.conf(5) lacks event {name}"
        );
    }
    for state in ProcessState::ALL {
        let entry = format!(".BR {} \" ({})\"", state.name(), state.code());
        assert!(page.contains(&entry), "supervisord.conf(5) lacks {entry}");
    }
    for var in [
        "SUPERVISOR_ENABLED",
        "SUPERVISOR_PROCESS_NAME",
        "SUPERVISOR_GROUP_NAME",
        "SUPERVISOR_SERVER_URL",
    ] {
        assert!(page.contains(var), "supervisord.conf(5) lacks {var}");
    }
    assert!(page.contains(".SH EXAMPLES"));
}

#[test]
fn command_man_pages_have_examples_files_and_init_notes() {
    for page in ["man/supervisord.1", "man/supervisorctl.1"] {
        let text = man(page);
        for section in [".SH EXAMPLES", ".SH FILES", ".SH INIT SYSTEMS"] {
            assert!(text.contains(section), "{page} lacks {section}");
        }
    }
    let daemon = man("man/supervisord.1");
    for word in [
        "Type=notify",
        "READY=1",
        "RELOADING=1",
        "STOPPING=1",
        "SIGUSR2",
    ] {
        assert!(daemon.contains(word), "supervisord(1) lacks {word}");
    }
}
