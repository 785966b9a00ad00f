//! The web interface in a real browser (D8): Debian's headless Chromium driven through its
//! chromedriver by Selenium (`make browser-deps` installs them; `.ci/run` does so first).
//! `tests/web_browser.py` clicks Stop and Start, sees the table change without a reload,
//! watches the tail page follow new output, and uses a form with scripts disabled; this test
//! checks the daemon agrees.
//!
//! Without the browser the test is skipped with a message on a developer's machine, and
//! fails under `CI=true`.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{script, text, Sandbox};

const T: Duration = Duration::from_secs(15);
/// The whole browser run, start-up included, on a loaded machine.
const BROWSER_LIMIT: Duration = Duration::from_secs(240);

struct Tools {
    python: PathBuf,
    chromium: PathBuf,
    chromedriver: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
}

/// The browser and driver, or why not.
fn tools() -> Result<Tools, String> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-browser/bin/python");
    let selenium = Command::new(&python)
        .args(["-c", "import selenium"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !selenium {
        return Err(format!("no Selenium in {}", python.display()));
    }
    let chromium = on_path("chromium").ok_or("no chromium on PATH")?;
    let chromedriver = on_path("chromedriver").ok_or("no chromedriver on PATH")?;
    Ok(Tools {
        python,
        chromium,
        chromedriver,
    })
}

#[test]
fn status_and_tail_pages_work_in_headless_chromium() {
    let tools = match tools() {
        Ok(t) => t,
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("the browser test cannot run under CI: {why} (run `make browser-deps`)")
        }
        Err(why) => {
            eprintln!("SKIPPED the browser test: {why}; `make browser-deps` installs it");
            return;
        }
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut d = Sandbox::new("wbrowser");
    let talk = script(
        &d,
        "talk.sh",
        "i=0; while :; do i=$((i+1)); echo \"line $i\"; sleep 0.2; done",
    );
    d.write_conf(&format!(
        "[inet_http_server]\nport=127.0.0.1:{port}\n\
         [program:alpha]\ncommand=/bin/sleep 1000\nstartsecs=0\n\
         [program:beta]\ncommand=/bin/sleep 1000\nstartsecs=0\nautostart=false\n\
         [program:talker]\ncommand=/bin/sh {}\nstartsecs=0\n",
        talk.display()
    ));
    d.launch();
    d.wait_state("alpha", "RUNNING", T);
    d.wait_state("talker", "RUNNING", T);
    let out = d.path("browser");
    std::fs::create_dir_all(&out).unwrap();

    let started = Instant::now();
    let mut child = Command::new(&tools.python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/web_browser.py"))
        .arg("--url")
        .arg(format!("http://127.0.0.1:{port}/"))
        .arg("--out")
        .arg(&out)
        .arg("--chromium")
        .arg(&tools.chromium)
        .arg("--chromedriver")
        .arg(&tools.chromedriver)
        .env("SE_OFFLINE", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: the driver and the browser go with it, whatever happens.
        .process_group(0)
        .spawn()
        .expect("run the browser script");
    let group = -(child.id() as i32);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > BROWSER_LIMIT {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = supervisor::sys::kill(group, libc::SIGKILL);
    let _ = child.wait();
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    eprintln!(
        "browser step: {:.1} s ({})",
        started.elapsed().as_secs_f64(),
        stdout.trim()
    );
    let driver_log = std::fs::read_to_string(out.join("chromedriver.log")).unwrap_or_default();
    let status = status.unwrap_or_else(|| {
        panic!("the browser script ran over {BROWSER_LIMIT:?}\n{stderr}\n{driver_log}")
    });
    assert!(
        status.success(),
        "the browser script failed ({status}):\n{stdout}\n{stderr}"
    );

    // What the browser did is what the daemon did.
    assert_eq!(text(&d.info("alpha"), "statename"), "RUNNING");
    assert_eq!(text(&d.info("beta"), "statename"), "STOPPED");
    for shot in ["status.png", "tail.png"] {
        let png = std::fs::read(out.join(shot)).unwrap_or_default();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{shot} is not a PNG");
        assert!(png.len() > 10_000, "{shot} is suspiciously small");
    }
    if let Some(keep) = std::env::var_os("WEB_SCREENSHOTS") {
        for shot in ["status.png", "tail.png"] {
            std::fs::copy(out.join(shot), Path::new(&keep).join(shot)).unwrap();
        }
    }
}
