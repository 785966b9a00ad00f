//! The daemon-wide sections: `[supervisord]`, `[unix_http_server]`, `[inet_http_server]` and
//! `[rpcinterface:x]`, and the command-line overrides of `[supervisord]` (reference §1.6–1.8,
//! §1.14, §2.1).
//!
//! Owns reading those sections into typed values with Supervisor's error texts, in
//! Supervisor's order, and completing them in the resolve pass ([`realize`],
//! [`ParsedServer::resolve`]). The reading is pure: directories, users and paths stay as
//! written, each with a [`Check`]. It does not read files or parse the command line.
//! Mirrors `options.py` `ServerOptions.read_config`, `server_configs_from_parser`,
//! `get_plugins` and `realize`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::environ;
use crate::config::expand::{expand, Names};
use crate::config::ini::{RawConfig, Section};
use crate::config::resolve::{Check, Resolver};
use crate::config::values::{self, boolean, byte_size, clamp, integer, octal};
use crate::config::{
    ConfigError, HttpServerConfig, HttpServerKind, MainLogTarget, SupervisordConfig,
};
use crate::logging::level::Level;

/// The `supervisord` command-line options that override `[supervisord]` (reference §2.1).
/// Values are already converted and checked, as the command-line parser does before the
/// file is read; `None`/`false` means "not given". Flags can only turn options on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `-n`
    pub nodaemon: bool,
    /// `-s`
    pub silent: bool,
    /// `-u`: looked up after the file is read, as the reference does.
    pub user: Option<String>,
    /// `-m`
    pub umask: Option<u32>,
    /// `-d`
    pub directory: Option<PathBuf>,
    /// `-l`: a path or `syslog`.
    pub logfile: Option<String>,
    /// `-y`
    pub logfile_maxbytes: Option<u64>,
    /// `-z`
    pub logfile_backups: Option<u32>,
    /// `-e`
    pub loglevel: Option<Level>,
    /// `-j`
    pub pidfile: Option<String>,
    /// `-i`
    pub identifier: Option<String>,
    /// `-q`
    pub childlogdir: Option<PathBuf>,
    /// `-k`
    pub nocleanup: bool,
    /// `-a`
    pub minfds: Option<u64>,
    /// `--minprocs`
    pub minprocs: Option<u64>,
    /// `-t`
    pub strip_ansi: bool,
    /// `--profile_options`: accepted for compatibility; there is no Python profiler to run.
    pub profile_options: Option<String>,
}

/// `[supervisord]` as the file says it, validated but before the command line is applied
/// and before its paths and user are looked up (they are as written).
#[derive(Debug, Clone)]
pub struct FileSettings {
    minfds: i64,
    minprocs: i64,
    directory: Option<String>,
    user: Option<String>,
    umask: u32,
    logfile: String,
    logfile_maxbytes: i64,
    logfile_backups: i64,
    loglevel: Level,
    pidfile: String,
    identifier: String,
    nodaemon: bool,
    silent: bool,
    /// `None`: the temporary directory.
    childlogdir: Option<String>,
    nocleanup: bool,
    strip_ansi: bool,
    pub environment: Vec<(String, String)>,
}

/// Reads `[supervisord]`. `env` holds the `ENV_*` names; `here` is the main file's directory.
/// The directories it names are added to `checks`.
///
/// # Errors
/// The first invalid value, with Supervisor's text (no section suffix).
pub fn read_supervisord(
    section: &Section,
    env: &BTreeMap<String, String>,
    here: &str,
    host_node_name: &str,
    messages: &mut Vec<(Level, String)>,
    checks: &mut Vec<Check>,
) -> Result<FileSettings, ConfigError> {
    let names = Names::new(env).with("here", here);
    let get = |key: &str, default: &str| -> Result<String, ConfigError> {
        let raw = section.get(key).unwrap_or(default);
        expand(raw, &names, &format!("supervisord.{key}")).map_err(ConfigError::new)
    };
    let opt = |key: &str| -> Result<Option<String>, ConfigError> {
        match section.get(key) {
            Some(raw) => expand(raw, &names, &format!("supervisord.{key}"))
                .map(Some)
                .map_err(ConfigError::new),
            None => Ok(None),
        }
    };
    let minfds = integer(&get("minfds", "1024")?)?;
    let minprocs = integer(&get("minprocs", "200")?)?;
    let directory = opt("directory")?;
    if let Some(d) = &directory {
        checks.push(Check::Directory(d.clone()));
    }
    let user = opt("user")?;
    let umask = octal(&get("umask", "022")?)?;
    let logfile = get("logfile", "supervisord.log")?;
    checks.push(dirpath(&logfile));
    let logfile_maxbytes = byte_size(&get("logfile_maxbytes", "50MB")?)?;
    let logfile_backups = integer(&get("logfile_backups", "10")?)?;
    let loglevel = Level::parse(&get("loglevel", "info")?)?;
    let pidfile = get("pidfile", "supervisord.pid")?;
    checks.push(dirpath(&pidfile));
    let identifier = get("identifier", "supervisor")?;
    let nodaemon = boolean(&get("nodaemon", "false")?)?;
    let silent = boolean(&get("silent", "false")?)?;
    let childlogdir = opt("childlogdir")?;
    checks.push(match &childlogdir {
        Some(d) => Check::Directory(d.clone()),
        None => Check::DefaultChildlogdir,
    });
    let nocleanup = boolean(&get("nocleanup", "false")?)?;
    let strip_ansi = boolean(&get("strip_ansi", "false")?)?;
    // COMPAT: 4.3.0 expands `environment=` twice (so `%%` must be written `%%%%`); the
    // second pass also knows `host_node_name`.
    let once = get("environment", "")?;
    let names = names.with("host_node_name", host_node_name);
    let twice = expand(&once, &names, "environment")?;
    let parsed = environ::parse(&twice)?;
    for note in parsed.notes {
        messages.push((
            Level::Warn,
            format!("For [supervisord], environment: {note}"),
        ));
    }
    Ok(FileSettings {
        minfds,
        minprocs,
        directory,
        user,
        umask,
        logfile,
        logfile_maxbytes,
        logfile_backups,
        loglevel,
        pidfile,
        identifier,
        nodaemon,
        silent,
        childlogdir,
        nocleanup,
        strip_ansi,
        environment: parsed.pairs,
    })
}

fn dirpath(path: &str) -> Check {
    Check::DirPath {
        path: path.to_string(),
        within: None,
    }
}

/// Applies the command line over the file and resolves the user and the paths (reference
/// §2.1: command line > file > defaults; the user is looked up last, after every other
/// check). `names` are `[supervisord]`'s expansion names (for the default `childlogdir`).
///
/// # Errors
/// `Invalid user name X` / `Invalid user id N`.
pub fn realize(
    file: FileSettings,
    cli: &Overrides,
    resolver: &mut Resolver,
    names: &Names,
) -> Result<SupervisordConfig, ConfigError> {
    let user = match cli.user.as_ref().or(file.user.as_ref()) {
        Some(name) => Some(resolver.user(name)?),
        None => None,
    };
    let directory = file
        .directory
        .map(|d| resolver.existing_directory(&d))
        .transpose()?;
    let childlogdir = match file.childlogdir {
        Some(d) => resolver.existing_directory(&d)?,
        None => resolver.default_childlogdir(names)?,
    };
    let logfile = match &cli.logfile {
        Some(cli) => cli.clone(),
        None => resolver.existing_dirpath(&file.logfile)?,
    };
    // The literal `syslog` is the syslog handler, not a file named `syslog` in the CWD.
    let logfile = if logfile == "syslog" {
        MainLogTarget::Syslog
    } else {
        MainLogTarget::File(PathBuf::from(resolver.normalize_path(&logfile)))
    };
    let pidfile = match &cli.pidfile {
        Some(cli) => cli.clone(),
        None => resolver.existing_dirpath(&file.pidfile)?,
    };
    Ok(SupervisordConfig {
        logfile,
        logfile_maxbytes: cli.logfile_maxbytes.unwrap_or(clamp(file.logfile_maxbytes)),
        logfile_backups: cli.logfile_backups.unwrap_or(clamp(file.logfile_backups)),
        loglevel: cli.loglevel.unwrap_or(file.loglevel),
        pidfile: PathBuf::from(resolver.normalize_path(&pidfile)),
        umask: cli.umask.unwrap_or(file.umask),
        nodaemon: cli.nodaemon || file.nodaemon,
        silent: cli.silent || file.silent,
        minfds: cli.minfds.unwrap_or(clamp(file.minfds)),
        minprocs: cli.minprocs.unwrap_or(clamp(file.minprocs)),
        nocleanup: cli.nocleanup || file.nocleanup,
        childlogdir: cli
            .childlogdir
            .clone()
            .unwrap_or_else(|| PathBuf::from(childlogdir)),
        user,
        directory: cli
            .directory
            .clone()
            .or_else(|| directory.map(PathBuf::from)),
        strip_ansi: cli.strip_ansi || file.strip_ansi,
        environment: file.environment,
        identifier: cli.identifier.clone().unwrap_or(file.identifier),
    })
}

/// The one rpcinterface factory this implementation provides.
const STANDARD_RPCINTERFACE: &str = "supervisor.rpcinterface:make_main_rpcinterface";

/// Checks `[rpcinterface:x]` sections; returns a warning for each that names Python code
/// other than the standard `supervisor` interface (decisions D6).
///
/// # Errors
/// `section [rpcinterface:foo] does not specify a supervisor.rpcinterface_factory`, and the
/// expansion errors of the section's values.
pub fn check_rpcinterfaces(
    raw: &RawConfig,
    env: &BTreeMap<String, String>,
) -> Result<(bool, Vec<(Level, String)>), ConfigError> {
    let names = Names::new(env);
    let mut warnings = Vec::new();
    let mut standard = false;
    for section in raw
        .sections
        .iter()
        .filter(|s| s.name.starts_with("rpcinterface:"))
    {
        let mut factory = None;
        for (key, value) in &section.options {
            let value = expand(value, &names, &format!("{}.{key}", section.name))?;
            if key == "supervisor.rpcinterface_factory" {
                factory = Some(value);
            }
        }
        let Some(factory) = factory else {
            return Err(ConfigError::new(format!(
                "section [{}] does not specify a supervisor.rpcinterface_factory",
                section.name
            )));
        };
        // The `supervisor` namespace is served whenever its section exists, even with a
        // factory we cannot run: clients need it, and a wrapper factory extends it.
        standard |= section.name == "rpcinterface:supervisor";
        if section.name != "rpcinterface:supervisor" || factory.trim() != STANDARD_RPCINTERFACE {
            // DIVERGENCE(D6): the reference imports the Python factory (and refuses to start
            // when it cannot); we serve only the built-in `supervisor` namespace.
            warnings.push((
                Level::Warn,
                format!(
                    "Ignoring section [{}]: its factory {factory} is Python code that cannot be \
                     loaded; only the built-in 'supervisor' namespace is served",
                    section.name
                ),
            ));
        }
    }
    Ok((standard, warnings))
}

/// Both-or-neither rule for HTTP credentials.
fn credentials(
    section: &Section,
    names: &Names,
) -> Result<(Option<String>, Option<String>), ConfigError> {
    let get = |key: &str| -> Result<Option<String>, ConfigError> {
        section
            .get(key)
            .map(|v| expand(v, names, &format!("{}.{key}", section.name)))
            .transpose()
            .map_err(ConfigError::new)
    };
    let username = get("username")?;
    let password = get("password")?;
    if username.is_some() != password.is_some() {
        return Err(ConfigError::new(format!(
            "Section [{}] contains incomplete authentication: If a username or a password is \
             specified, both the username and password must be specified",
            section.name
        )));
    }
    Ok((username, password))
}

/// `metrics=` of an HTTP server section (a key of ours; the reference ignores it).
fn metrics(section: &Section, names: &Names) -> Result<bool, ConfigError> {
    let Some(v) = section.get("metrics") else {
        return Ok(false);
    };
    let v = expand(v, names, &format!("{}.metrics", section.name)).map_err(ConfigError::new)?;
    values::boolean(&v)
        .map_err(|e| ConfigError::new(format!("{e} in section [{}] (metrics)", section.name)))
}

/// An HTTP server section as the parse leaves it: a unix socket's path is as written and
/// its `chown=` not looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedServer {
    config: HttpServerConfig,
    chown: Option<String>,
}

impl ParsedServer {
    /// Completes the server with the lookups (checked before).
    ///
    /// # Errors
    /// `Invalid sockchown value X`, should the system change between the two.
    pub fn resolve(self, resolver: &mut Resolver) -> Result<HttpServerConfig, ConfigError> {
        let mut config = self.config;
        if let HttpServerKind::Unix { path, chown, .. } = &mut config.kind {
            *path = PathBuf::from(resolver.normalize_path(&path.to_string_lossy()));
            if let Some(v) = self.chown {
                *chown = Some(
                    resolver
                        .user_group(&v)
                        .ok_or_else(|| ConfigError::new(format!("Invalid sockchown value {v}")))?,
                );
            }
        }
        Ok(config)
    }
}

/// Reads every `[inet_http_server*]` then every `[unix_http_server*]` section; each
/// `chown=` is added to `checks`.
///
/// # Errors
/// `section [inet_http_server] has no port value`, the port errors, `section
/// [unix_http_server] has no file value`, `Invalid sockchown value X`, `Invalid chmod value X`
/// and the incomplete-authentication error.
pub fn http_servers(
    raw: &RawConfig,
    env: &BTreeMap<String, String>,
    here: &str,
    checks: &mut Vec<Check>,
) -> Result<Vec<ParsedServer>, ConfigError> {
    let names = Names::new(env);
    let value = |section: &Section, key: &str, names: &Names| -> Result<Option<String>, String> {
        section
            .get(key)
            .map(|v| expand(v, names, &format!("{}.{key}", section.name)))
            .transpose()
    };
    let mut servers = Vec::new();
    for section in raw
        .sections
        .iter()
        .filter(|s| s.name.starts_with("inet_http_server"))
    {
        let (username, password) = credentials(section, &names)?;
        let port = value(section, "port", &names)?.ok_or_else(|| {
            ConfigError::new(format!("section [{}] has no port value", section.name))
        })?;
        let (host, port) = values::inet_address(&port)?;
        servers.push(ParsedServer {
            config: HttpServerConfig {
                section: section.name.clone(),
                kind: HttpServerKind::Inet { host, port },
                username,
                password,
                metrics: metrics(section, &names)?,
            },
            chown: None,
        });
    }
    for section in raw
        .sections
        .iter()
        .filter(|s| s.name.starts_with("unix_http_server"))
    {
        let with_here = Names::new(env).with("here", here);
        let file = value(section, "file", &with_here)?.ok_or_else(|| {
            ConfigError::new(format!("section [{}] has no file value", section.name))
        })?;
        let path = PathBuf::from(file.trim());
        let (username, password) = credentials(section, &names)?;
        let chown = value(section, "chown", &names)?;
        if let Some(v) = &chown {
            checks.push(Check::UserGroup {
                value: v.clone(),
                error: format!("Invalid sockchown value {v}"),
            });
        }
        let chmod = match value(section, "chmod", &names)? {
            Some(v) => {
                octal(&v).map_err(|_| ConfigError::new(format!("Invalid chmod value {v}")))?
            }
            None => 0o700,
        };
        servers.push(ParsedServer {
            config: HttpServerConfig {
                section: section.name.clone(),
                kind: HttpServerKind::Unix {
                    path,
                    chmod,
                    chown: None,
                },
                username,
                password,
                metrics: metrics(section, &names)?,
            },
            chown,
        });
    }
    Ok(servers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ini::from_text;
    use crate::config::resolve::tests::Fake;

    // Read with no filesystem: the lookups are answered by `Fake` (cwd `/srv`, temporary
    // directory `/tmp`, users root and app).

    fn env() -> BTreeMap<String, String> {
        BTreeMap::from([("ENV_X".to_string(), "x".to_string())])
    }

    /// The checks, as the resolve pass runs them before a parse error.
    fn run(checks: &[Check]) -> Result<(), String> {
        let env = env();
        let names = Names::new(&env).with("here", "/etc");
        let mut resolver = Resolver::new(&Fake);
        checks.iter().try_for_each(|c| resolver.check(c, &names))
    }

    fn settings(text: &str) -> Result<(FileSettings, Vec<(Level, String)>), String> {
        let raw =
            from_text(&format!("[supervisord]\n{text}"), "t.conf").map_err(|e| e.to_string())?;
        let mut messages = Vec::new();
        let mut checks = Vec::new();
        let section = raw.section("supervisord").ok_or("no section")?;
        let read = read_supervisord(section, &env(), "/etc", "box", &mut messages, &mut checks);
        run(&checks)?;
        read.map(|s| (s, messages)).map_err(|e| e.to_string())
    }

    fn realize_with_fake(file: FileSettings, cli: &Overrides) -> Result<SupervisordConfig, String> {
        let env = env();
        let names = Names::new(&env).with("here", "/etc");
        realize(file, cli, &mut Resolver::new(&Fake), &names).map_err(|e| e.to_string())
    }

    fn realized(text: &str, cli: &Overrides) -> SupervisordConfig {
        realize_with_fake(settings(text).unwrap().0, cli).unwrap()
    }

    #[test]
    fn supervisord_defaults() {
        let s = realized("", &Overrides::default());
        let cwd = PathBuf::from("/srv");
        assert_eq!(s.logfile, MainLogTarget::File(cwd.join("supervisord.log")));
        assert_eq!(s.pidfile, cwd.join("supervisord.pid"));
        assert_eq!((s.logfile_maxbytes, s.logfile_backups), (50 << 20, 10));
        assert_eq!(
            (s.loglevel, s.umask, s.minfds, s.minprocs),
            (Level::Info, 0o22, 1024, 200)
        );
        assert!(!s.nodaemon && !s.silent && !s.nocleanup && !s.strip_ansi);
        assert_eq!(s.childlogdir, PathBuf::from("/tmp"));
        assert_eq!((&s.user, &s.directory), (&None, &None));
        assert_eq!(s.identifier, "supervisor");
        assert!(s.environment.is_empty());
    }

    #[test]
    fn command_line_wins_over_the_file() {
        let file = "logfile=/tmp/file.log\nloglevel=warn\nidentifier=file\nminfds=10\numask=077\n\
                    nodaemon=false\nuser=nosuchuserxyz\n";
        let cli = Overrides {
            nodaemon: true,
            logfile: Some("syslog".into()),
            loglevel: Some(Level::Debug),
            identifier: Some("cli".into()),
            minfds: Some(99),
            umask: Some(0o2),
            user: Some("root".into()),
            pidfile: Some("rel.pid".into()),
            ..Overrides::default()
        };
        let s = realized(file, &cli);
        assert!(s.nodaemon);
        assert_eq!(s.logfile, MainLogTarget::Syslog);
        assert_eq!((s.loglevel, s.minfds, s.umask), (Level::Debug, 99, 0o2));
        assert_eq!(s.identifier, "cli");
        assert_eq!(s.user.map(|u| u.uid), Some(0));
        assert_eq!(s.pidfile, PathBuf::from("/srv/rel.pid"));
    }

    #[test]
    fn file_values() {
        let s = realized(
            "logfile=syslog\nlogfile_maxbytes=1KB\nlogfile_backups=-1\nloglevel=BLATHER\n\
             umask=0o27\nnodaemon=on\nsilent=1\nminfds=-5\nnocleanup=yes\nstrip_ansi=true\n\
             childlogdir=/tmp\ndirectory=/tmp\nidentifier=%(ENV_X)s@%(here)s\nuser=0\n",
            &Overrides::default(),
        );
        assert_eq!(s.logfile, MainLogTarget::Syslog);
        assert_eq!(
            (s.logfile_maxbytes, s.logfile_backups, s.minfds),
            (1024, 0, 0)
        );
        assert_eq!((s.loglevel, s.umask), (Level::Blather, 0o27));
        assert!(s.nodaemon && s.silent && s.nocleanup && s.strip_ansi);
        assert_eq!(s.identifier, "x@/etc");
        assert_eq!(s.user.map(|u| u.name), Some("root".to_string()));
    }

    #[test]
    fn supervisord_errors_have_no_suffix() {
        let cases = [
            ("loglevel=loud", "bad logging level name 'loud'"),
            ("umask=8x", "8x can not be converted to an octal type"),
            (
                "minfds=abc",
                "invalid literal for int() with base 10: 'abc'",
            ),
            ("nodaemon=maybe", "not a valid boolean value: 'maybe'"),
            (
                "childlogdir=/nonexistent",
                "/nonexistent is not an existing directory",
            ),
            (
                "pidfile=/nonexistent/dir/x.pid",
                "The directory named as part of the path /nonexistent/dir/x.pid does not exist",
            ),
            (
                "environment=A=1,B",
                "Unexpected end of key/value pairs in value 'A=1,B'",
            ),
        ];
        for (line, message) in cases {
            assert_eq!(settings(line).err().as_deref(), Some(message), "{line}");
        }
        let unknown = settings("identifier=%(program_name)s").err().unwrap();
        assert!(
            unknown.ends_with("Available names: ENV_X, here"),
            "{unknown}"
        );
        let user = realize_with_fake(
            settings("user=nosuchuserxyz").unwrap().0,
            &Overrides::default(),
        );
        assert_eq!(user.unwrap_err(), "Invalid user name nosuchuserxyz");
    }

    #[test]
    fn environment_is_expanded_twice() {
        // COMPAT(4.3.0): `%%%%` gives `%`, and host_node_name only exists in the second pass.
        let (s, messages) =
            settings("environment=P=\"a%%%%b\",H=%%(host_node_name)s,E=a b\n").unwrap();
        assert_eq!(
            s.environment,
            [
                ("P".into(), "a%b".into()),
                ("H".into(), "box".into()),
                ("E".into(), "a".into())
            ]
        );
        assert_eq!(
            messages,
            [(
                Level::Warn,
                "For [supervisord], environment: 'b' after E=a was taken as a separator and \
                 ignored; quote values that contain spaces or special characters"
                    .to_string()
            )]
        );
        assert!(settings("environment=H=%(host_node_name)s").is_err());
    }

    #[test]
    fn rpcinterface_sections() {
        let check = |text: &str| {
            let raw = from_text(text, "t.conf").unwrap();
            check_rpcinterfaces(&raw, &env()).map_err(|e| e.to_string())
        };
        let standard = "[rpcinterface:supervisor]\n\
                        supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n";
        assert_eq!(check(standard), Ok((true, vec![])));
        let (standard_present, foreign) = check(
            "[rpcinterface:foo]\nsupervisor.rpcinterface_factory = nosuch.module:make\nretries=1\n",
        )
        .unwrap();
        assert!(!standard_present);
        assert_eq!(foreign.len(), 1);
        assert_eq!(foreign[0].0, Level::Warn);
        assert!(foreign[0].1.contains("[rpcinterface:foo]"));
        assert!(foreign[0].1.contains("nosuch.module:make"));
        assert_eq!(
            check("[rpcinterface:foo]\nretries=1\n").unwrap_err(),
            "section [rpcinterface:foo] does not specify a supervisor.rpcinterface_factory"
        );
    }

    fn servers(text: &str) -> Result<Vec<HttpServerConfig>, String> {
        let raw = from_text(text, "t.conf").unwrap();
        let mut checks = Vec::new();
        let parsed = http_servers(&raw, &env(), "/etc", &mut checks);
        run(&checks)?;
        let mut resolver = Resolver::new(&Fake);
        parsed
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|s| s.resolve(&mut resolver).map_err(|e| e.to_string()))
            .collect()
    }

    #[test]
    fn http_server_sections() {
        let list = servers(
            "[unix_http_server]\nfile=%(here)s/../run/s.sock \nchown=root:0\nchmod=0770\n\
             [inet_http_server:x]\nport=*:9001\nusername=u\npassword={SHA}ab\n",
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].section, "inet_http_server:x");
        assert_eq!(
            list[0].kind,
            HttpServerKind::Inet {
                host: String::new(),
                port: 9001
            }
        );
        assert_eq!(list[0].password.as_deref(), Some("{SHA}ab"));
        assert!(!list[0].metrics);
        assert_eq!(
            list[1].kind,
            HttpServerKind::Unix {
                path: PathBuf::from("/run/s.sock"),
                chmod: 0o770,
                chown: Some((0, Some(0)))
            }
        );
    }

    #[test]
    fn metrics_key() {
        let list = servers("[inet_http_server]\nport=9001\nmetrics = True\n").unwrap();
        assert!(list[0].metrics);
        assert_eq!(
            servers("[unix_http_server]\nfile=/s\nmetrics=maybe\n").unwrap_err(),
            "not a valid boolean value: 'maybe' in section [unix_http_server] (metrics)"
        );
    }

    #[test]
    fn http_server_errors() {
        let cases = [
            (
                "[inet_http_server]\n",
                "section [inet_http_server] has no port value",
            ),
            (
                "[inet_http_server]\nport=127.0.0.1:99999\n",
                "99999 is above upper bound (65535)",
            ),
            (
                "[inet_http_server]\nport=abc\n",
                "not a valid port number: 'abc' ",
            ),
            (
                "[unix_http_server]\n",
                "section [unix_http_server] has no file value",
            ),
            (
                "[unix_http_server]\nfile=/s\nchmod=abc\n",
                "Invalid chmod value abc",
            ),
            (
                "[unix_http_server]\nfile=/s\nchown=nosuchuser:nosuchgroup\n",
                "Invalid sockchown value nosuchuser:nosuchgroup",
            ),
            (
                "[unix_http_server]\nfile=/s\nusername=bob\n",
                "Section [unix_http_server] contains incomplete authentication: If a username or \
                 a password is specified, both the username and password must be specified",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(servers(text).unwrap_err(), message, "{text}");
        }
        assert!(servers("[inet_http_server]\nport=%(here)s\n").is_err());
    }
}
