//! The parse and resolve stages on their own: texts and an environment in, no filesystem, no
//! user database (the lookups are answered by `resolve::tests::Fake`: users root (0) and
//! app (1000, the daemon's own uid), group staff (50), current directory `/srv`, temporary
//! directory `/tmp`, and the directories `/`, `/etc`, `/var/log`, `/home/app`, `/srv`, `/tmp`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::resolve::tests::Fake;
use super::resolve::Check;
use super::source::Sources;
use super::*;

fn sources(text: &str) -> Sources {
    let env = BTreeMap::from([("ENV_HOME".to_string(), "/home/app".to_string())]);
    Sources::from_text(text, "t.conf", "/etc", env, "box").unwrap()
}

fn load(text: &str, cli: &Overrides) -> Result<Config, String> {
    resolve(parse(sources(text)), cli, &Fake).map_err(|e| e.to_string())
}

fn error(text: &str) -> String {
    load(text, &Overrides::default()).unwrap_err()
}

#[test]
fn parse_leaves_names_and_paths_with_their_checks() {
    let parsed = parse(sources(
        "[supervisord]\nlogfile=~/s.log\nuser=app\n\
         [unix_http_server]\nfile=run/s.sock\nchown=app:staff\n\
         [program:x]\ncommand=/bin/true\nuser=root\nstdout_logfile=/var/log/%(program_name)s\n",
    ));
    let within = Some("in section 'program:x' (file: 't.conf')".to_string());
    assert_eq!(
        parsed.checks,
        [
            Check::DirPath {
                path: "~/s.log".into(),
                within: None
            },
            Check::DirPath {
                path: "supervisord.pid".into(),
                within: None
            },
            Check::DefaultChildlogdir,
            Check::User {
                name: "root".into(),
                within: within.clone()
            },
            Check::DirPath {
                path: "/var/log/x".into(),
                within
            },
            Check::UserGroup {
                value: "app:staff".into(),
                error: "Invalid sockchown value app:staff".into()
            },
        ]
    );
    let c = resolve(parsed, &Overrides::default(), &Fake).unwrap();
    assert_eq!(c.source, PathBuf::from("/srv/t.conf"));
    let s = &c.supervisord;
    assert_eq!(
        s.logfile,
        MainLogTarget::File(PathBuf::from("/home/app/s.log"))
    );
    assert_eq!(s.pidfile, PathBuf::from("/srv/supervisord.pid"));
    assert_eq!(s.childlogdir, PathBuf::from("/tmp"));
    assert_eq!(s.user.as_ref().map(|u| (u.uid, u.gid)), Some((1000, 1000)));
    assert_eq!(
        c.http_servers[0].kind,
        HttpServerKind::Unix {
            path: PathBuf::from("/srv/run/s.sock"),
            chmod: 0o700,
            chown: Some((1000, Some(50)))
        }
    );
    let p = &c.groups[0].processes[0];
    assert_eq!(p.user.as_ref().map(|u| u.name.as_str()), Some("root"));
    assert_eq!(p.stdout.logfile, LogTarget::File("/var/log/x".into()));
}

#[test]
fn log_paths_get_their_home_in_the_resolve_pass() {
    let c = load(
        "[supervisord]\n[program:x]\ncommand=/bin/true\nstdout_logfile=~/x.log\n\
         stderr_logfile=~root/e.log\n",
        &Overrides::default(),
    );
    let root_has_no_directory = c.unwrap_err();
    assert_eq!(
        root_has_no_directory,
        "The directory named as part of the path ~root/e.log does not exist in section \
         'program:x' (file: 't.conf')"
    );
    let c = load(
        "[supervisord]\n[program:x]\ncommand=/bin/true\nstdout_logfile=~/x.log\n",
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(
        c.groups[0].processes[0].stdout.logfile,
        LogTarget::File("/home/app/x.log".into())
    );
}

#[test]
fn fcgi_socket_owner_is_the_programs_user_unless_it_is_ours() {
    let socket = |user: &str| {
        let c = load(
            &format!(
                "[supervisord]\n[fcgi-program:f]\ncommand=/bin/cat\nsocket=unix:///run/f.sock\n\
                 user={user}\n"
            ),
            &Overrides::default(),
        )
        .unwrap();
        c.groups[0].processes[0].fcgi.clone().unwrap()
    };
    assert_eq!(socket("root").owner, Some((0, Some(0))));
    assert_eq!(socket("app").owner, None);
    assert_eq!(
        error("[supervisord]\n[fcgi-program:f]\ncommand=/bin/cat\nsocket=unix:///f\nuser=bob\n"),
        "Invalid user name bob"
    );
}

/// Supervisor reads and looks up in one sweep: whichever comes first in its order is the
/// error, whether a lookup or a bad value.
#[test]
fn errors_keep_supervisors_order_across_the_stages() {
    // [supervisord] reads directory before umask, whatever the order in the file.
    for text in [
        "[supervisord]\ndirectory=/nonexistent\numask=8x\n",
        "[supervisord]\numask=8x\ndirectory=/nonexistent\n",
    ] {
        assert_eq!(error(text), "/nonexistent is not an existing directory");
    }
    assert_eq!(
        error("[supervisord]\numask=8x\nchildlogdir=/nonexistent\n"),
        "8x can not be converted to an octal type"
    );
    let x = "[supervisord]\n[program:x]\ncommand=/bin/true\n";
    let at = " in section 'program:x' (file: 't.conf')";
    // user= is read after autostart= and before umask=.
    assert_eq!(
        error(&format!("{x}user=bob\numask=999\n")),
        format!("Invalid user name bob{at}")
    );
    assert_eq!(
        error(&format!("{x}user=bob\nautostart=maybe\n")),
        format!("not a valid boolean value: 'maybe'{at}")
    );
    // A log directory comes before the values read after it, and before later sections.
    assert_eq!(
        error(&format!(
            "{x}stdout_logfile=/no/x.log\nstdout_logfile_maxbytes=x\n[program:y]\npriority=z\n"
        )),
        format!("The directory named as part of the path /no/x.log does not exist{at}")
    );
    // Groups are read before the HTTP servers, and dependencies checked in between.
    assert_eq!(
        error(&format!("{x}user=bob\n[inet_http_server]\n")),
        format!("Invalid user name bob{at}")
    );
    assert_eq!(
        error(&format!(
            "{x}depends_on=nosuch\n[unix_http_server]\nfile=/s\nchown=bob\n"
        )),
        error(&format!("{x}depends_on=nosuch\n"))
    );
    assert_eq!(
        error("[supervisord]\n[unix_http_server]\nfile=/s\nchown=bob\n[inet_http_server]\n"),
        "section [inet_http_server] has no port value"
    );
    // [supervisord] user= (or -u) is looked up after everything else.
    assert_eq!(
        error(&format!(
            "[supervisord]\nuser=bob\n{}autostart=maybe\n",
            &x[14..]
        )),
        format!("not a valid boolean value: 'maybe'{at}")
    );
    let cli = Overrides {
        user: Some("bob".into()),
        ..Overrides::default()
    };
    assert_eq!(
        load("[supervisord]\n", &cli).unwrap_err(),
        "Invalid user name bob"
    );
}

#[test]
fn a_refused_file_reports_no_lookup_after_its_error() {
    let parsed = parse(sources(
        "[supervisord]\n[program:x]\ncommand=/bin/true\nautostart=maybe\nuser=bob\n",
    ));
    // The user check was never recorded: the parse stopped at autostart=.
    assert_eq!(parsed.checks.len(), 3);
    assert!(parsed.outcome.is_err());
}

/// Every question a load asks, as `Fake` answers it.
#[derive(Default)]
struct Counting(std::cell::RefCell<Vec<String>>);

impl Counting {
    fn ask<T>(&self, question: String, answer: T) -> T {
        self.0.borrow_mut().push(question);
        answer
    }
}

impl Lookups for Counting {
    fn user_by_name(&self, name: &str) -> Option<resolve::Passwd> {
        self.ask(format!("user {name}"), Fake.user_by_name(name))
    }
    fn user_by_uid(&self, uid: u32) -> Option<resolve::Passwd> {
        self.ask(format!("uid {uid}"), Fake.user_by_uid(uid))
    }
    fn group_by_name(&self, name: &str) -> Option<u32> {
        self.ask(format!("group {name}"), Fake.group_by_name(name))
    }
    fn group_by_gid(&self, gid: u32) -> Option<u32> {
        self.ask(format!("gid {gid}"), Fake.group_by_gid(gid))
    }
    fn home(&self) -> Option<String> {
        Fake.home()
    }
    fn current_dir(&self) -> String {
        self.ask("cwd".into(), Fake.current_dir())
    }
    fn current_uid(&self) -> u32 {
        Fake.current_uid()
    }
    fn is_dir(&self, path: &str) -> bool {
        self.ask(format!("dir {path}"), Fake.is_dir(path))
    }
    fn temp_dir(&self) -> String {
        self.ask("tmp".into(), Fake.temp_dir())
    }
}

#[test]
fn a_load_asks_each_question_once() {
    let text = "[supervisord]\nlogfile=/var/log/s.log\nuser=app\n\
         [unix_http_server]\nfile=/srv/s.sock\nchown=app:staff\n\
         [fcgi-program:f]\ncommand=/bin/cat\nsocket=unix:///srv/f.sock\nsocket_owner=app:50\n\
         user=root\nnumprocs=2\nprocess_name=f%(process_num)d\n\
         [program:x]\ncommand=/bin/true\nuser=root\nstdout_logfile=/var/log/x.log\n\
         [program:y]\ncommand=/bin/true\nuser=app\nstdout_logfile=/var/log/y.log\n";
    let system = Counting::default();
    resolve(parse(sources(text)), &Overrides::default(), &system).unwrap();
    let mut asked = system.0.take();
    assert!(asked.contains(&"group staff".to_string()), "{asked:?}");
    assert!(asked.contains(&"gid 50".to_string()), "{asked:?}");
    asked.sort();
    let mut once = asked.clone();
    once.dedup();
    assert_eq!(asked, once);
}
