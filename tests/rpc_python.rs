//! The XML-RPC surface through an independent client: python3's standard `xmlrpc.client`,
//! over the unix socket and over TCP (`[inet_http_server]`), with basic authentication
//! (plain and `{SHA}` passwords) `<i8>` integers (D6) and control characters in logs (D5). Skipped, saying so, when python3
//! is not installed.

use std::process::Command;
use std::time::Duration;

use crate::rpc::sandbox;
use crate::util::{p, script, wait_for, Sandbox};

const T: Duration = Duration::from_secs(10);

/// `proxy(url, auth)`: an `xmlrpc.client.ServerProxy` for `unix://PATH` or `http://HOST:PORT`,
/// with `user:password@` credentials when `auth` is not empty; `show` prints one labelled
/// result (or fault) per line.
const PRELUDE: &str = r#"
import http.client, socket, sys, xmlrpc.client

class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__('localhost')
        self.unix_path = path
    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.unix_path)
        self.sock = sock

class UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path):
        super().__init__()
        self.unix_path = path
    def make_connection(self, host):
        # As the base class does: credentials in the URL become an Authorization header.
        _, self._extra_headers, _ = self.get_host_info(host)
        return UnixConnection(self.unix_path)

def proxy(url, auth=''):
    if url.startswith('unix://'):
        return xmlrpc.client.ServerProxy('http://%slocalhost/RPC2' % auth,
                                         transport=UnixTransport(url[len('unix://'):]))
    return xmlrpc.client.ServerProxy(url.replace('http://', 'http://' + auth, 1) + '/RPC2')

def show(label, fn, *args):
    try:
        value = fn(*args)
    except xmlrpc.client.Fault as e:
        value = ('FAULT', e.faultCode, e.faultString)
    except xmlrpc.client.ProtocolError as e:
        value = ('HTTP', e.errcode, e.headers.get('WWW-Authenticate'))
    print(label, repr(value))
"#;

/// The battery run over each transport; it leaves the daemon as it found it.
const BATTERY: &str = r#"
s = proxy(sys.argv[1], sys.argv[2])
sup = s.supervisor
show('api', sup.getAPIVersion)
show('version', sup.getVersion)
show('supervisor_version', sup.getSupervisorVersion)
show('identification', sup.getIdentification)
show('state', lambda: sorted(sup.getState().items()))
show('pid', sup.getPID)
names = s.system.listMethods()
show('methods', lambda: (len(names), names[0], names[-1], names == sorted(names)))
show('signature', s.system.methodSignature, 'supervisor.readProcessStdoutLog')
show('help', lambda: '@return' in s.system.methodHelp('supervisor.getPID'))
info = sup.getProcessInfo('sleeper')
show('info_keys', lambda: sorted(info))
show('info', lambda: (info['name'], info['group'], info['statename'], info['state'],
                      info['description'].startswith('pid %d, uptime ' % info['pid'])))
show('all', lambda: [(i['group'], i['name'], i['statename']) for i in sup.getAllProcessInfo()])
show('config', lambda: [(c['name'], c['inuse'], c['autorestart'], c['stdout_logfile_maxbytes'])
                        for c in sup.getAllConfigInfo()])
show('bad_name', sup.getProcessInfo, 'nosuch')
show('already_started', sup.startProcess, 'sleeper')
show('not_running', sup.stopProcess, 'manual')
show('bad_signal', sup.signalProcess, 'sleeper', 'NOPE')
show('no_file', sup.startProcess, 'badcmd')
show('bad_arguments', sup.readLog, -4, 2)
show('unknown_method', s.bogus.x)
show('incorrect_parameters', sup.getPID, 1)
show('signature_unsupported', s.system.methodHelp, 'x.y')
show('already_added', sup.addProcessGroup, 'sleeper')
show('still_running', sup.removeProcessGroup, 'sleeper')
show('signal', sup.signalProcess, 'sleeper', 'CONT')
show('stop', sup.stopProcess, 'sleeper')
show('start', sup.startProcess, 'sleeper')
show('start_group', sup.startProcess, 'manual:*')
show('stop_group', sup.stopProcessGroup, 'manual')
show('read', sup.readProcessStdoutLog, 'talk', 0, 0)
show('read_cut', sup.readProcessStdoutLog, 'talk', 0, 12)
show('read_stderr', sup.readProcessStderrLog, 'talk', 0, 0)
show('tail', sup.tailProcessStdoutLog, 'talk', 0, 100)
show('tail_cut', sup.tailProcessStdoutLog, 'talk', 0, 5)
show('color', sup.readProcessStdoutLog, 'color', 0, 0)
show('tail_i8', sup.tailProcessStdoutLog, 'big', 0, 9)
show('stdin', sup.sendProcessStdin, 'cat', 'hi\n')
show('comm', sup.sendRemoteCommEvent, 'type', 'data')
show('reload', sup.reloadConfig)
show('clear', sup.clearProcessLogs, 'manual')
show('multicall', s.system.multicall, [
    {'methodName': 'supervisor.getAPIVersion', 'params': []},
    {'methodName': 'supervisor.getProcessInfo', 'params': ['nosuch']},
    {'methodName': 'system.multicall', 'params': [[]]},
])
"#;

/// Runs `python3 -c PRELUDE+body args...`; `None` when python3 is missing.
fn python(body: &str, args: &[&str]) -> Option<String> {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIPPED: python3 is not installed; the stock-client checks did not run");
        return None;
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!("{PRELUDE}{body}"))
        .args(args)
        .env("PYTHONIOENCODING", "utf-8")
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python3 failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(stdout)
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[track_caller]
fn assert_lines(got: &str, expected: &[String]) {
    let got: Vec<&str> = got.lines().collect();
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (g, e) in got.iter().zip(expected) {
        assert_eq!(g, e);
    }
}

#[test]
fn stock_python_client_over_unix_socket_and_tcp() {
    let port = free_port();
    let d = sandbox("py", |d| {
        let big = d.path("big.log");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(3 << 30)
            .unwrap();
        let talk = script(
            d,
            "talk.sh",
            "printf 'hello cat\\nh\\303\\251llo\\n'\nprintf 'err\\377x\\n' >&2\nexec sleep 1000",
        );
        let tail_end = script(d, "big.sh", "echo tail-end\nexec sleep 1000");
        let color = script(
            d,
            "color.sh",
            "printf '\\033[31mred\\033[0m\\n'\nexec sleep 1000",
        );
        format!(
            "[inet_http_server]\nport=127.0.0.1:{port}\n\
             [program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\nautorestart=true\n\
             [program:manual]\ncommand=/bin/sleep 1000\nautostart=false\n\
             [program:badcmd]\ncommand=/nonexistent/cmd\nautostart=false\n\
             [program:cat]\ncommand=/bin/cat\nstartsecs=0\n\
             [program:talk]\ncommand=/bin/sh {}\nstartsecs=0\n\
             [program:color]\ncommand=/bin/sh {}\nstartsecs=0\n\
             [program:big]\ncommand=/bin/sh {}\nstartsecs=0\nstdout_logfile={}\n\
             stdout_logfile_maxbytes=4GB\n",
            p(&talk),
            p(&color),
            p(&tail_end),
            p(&big)
        )
    });
    for name in ["sleeper", "cat", "talk", "big", "color"] {
        d.wait_state(name, "RUNNING", T);
    }
    wait_for(T, "the logs to be written", || {
        let out = std::fs::metadata(crate::util::text(&d.info("talk"), "stdout_logfile")).ok()?;
        let big = std::fs::metadata(d.path("big.log")).ok()?;
        let color =
            std::fs::metadata(crate::util::text(&d.info("color"), "stdout_logfile")).ok()?;
        (out.len() == 17 && big.len() == (3 << 30) + 9 && color.len() == 13).then_some(())
    });
    let pid = d.pid();
    let version = env!("CARGO_PKG_VERSION");
    let expected: Vec<String> = [
        "api '3.0'".to_string(),
        "version '3.0'".into(),
        format!("supervisor_version '{version}'"),
        "identification 'supervisor'".into(),
        "state [('statecode', 1), ('statename', 'RUNNING')]".into(),
        format!("pid {pid}"),
        "methods (44, 'supervisor.addProcessGroup', 'system.multicall', True)".into(),
        "signature ['string', 'string', 'int', 'int']".into(),
        "help True".into(),
        "info_keys ['description', 'exitstatus', 'group', 'logfile', 'name', 'now', 'pid', \
         'spawnerr', 'start', 'state', 'statename', 'stderr_logfile', 'stdout_logfile', 'stop']"
            .into(),
        "info ('sleeper', 'sleeper', 'RUNNING', 20, True)".into(),
        "all [('badcmd', 'badcmd', 'STOPPED'), ('big', 'big', 'RUNNING'), ('cat', 'cat', \
         'RUNNING'), ('color', 'color', 'RUNNING'), ('manual', 'manual', 'STOPPED'), ('sleeper', 'sleeper', 'RUNNING'), \
         ('talk', 'talk', 'RUNNING')]"
            .into(),
        "config [('badcmd', True, 'unexpected', 52428800), ('big', True, 'unexpected', \
         4294967296), ('cat', True, 'unexpected', 52428800), ('color', True, 'unexpected', \
         52428800), ('manual', True, 'unexpected', \
         52428800), ('sleeper', True, 'true', 52428800), ('talk', True, 'unexpected', 52428800)]"
            .into(),
        "bad_name ('FAULT', 10, 'BAD_NAME: nosuch')".into(),
        "already_started ('FAULT', 60, 'ALREADY_STARTED: sleeper')".into(),
        "not_running ('FAULT', 70, 'NOT_RUNNING: manual')".into(),
        "bad_signal ('FAULT', 11, 'BAD_SIGNAL: NOPE')".into(),
        "no_file ('FAULT', 20, \"NO_FILE: can't find command '/nonexistent/cmd'\")".into(),
        "bad_arguments ('FAULT', 3, 'BAD_ARGUMENTS')".into(),
        "unknown_method ('FAULT', 1, 'UNKNOWN_METHOD')".into(),
        "incorrect_parameters ('FAULT', 2, 'INCORRECT_PARAMETERS')".into(),
        "signature_unsupported ('FAULT', 4, 'SIGNATURE_UNSUPPORTED')".into(),
        "already_added ('FAULT', 90, 'ALREADY_ADDED: sleeper')".into(),
        "still_running ('FAULT', 91, 'STILL_RUNNING: sleeper')".into(),
        "signal True".into(),
        "stop True".into(),
        "start True".into(),
        "start_group [{'description': 'OK', 'group': 'manual', 'name': 'manual', 'status': 80}]"
            .into(),
        "stop_group [{'description': 'OK', 'group': 'manual', 'name': 'manual', 'status': 80}]"
            .into(),
        "read 'hello cat\\nh\u{e9}llo\\n'".into(),
        "read_cut 'hello cat\\nh\u{fffd}'".into(),
        "read_stderr 'err\u{fffd}x\\n'".into(),
        "tail ['hello cat\\nh\u{e9}llo\\n', 17, False]".into(),
        "tail_cut ['\u{fffd}llo\\n', 17, True]".into(),
        "color '\u{fffd}[31mred\u{fffd}[0m\\n'".into(),
        "tail_i8 ['tail-end\\n', 3221225481, True]".into(),
        "stdin True".into(),
        "comm True".into(),
        "reload [[[], [], []]]".into(),
        "clear True".into(),
        "multicall ['3.0', {'faultCode': 10, 'faultString': 'BAD_NAME: nosuch'}, {'faultCode': \
         2, 'faultString': 'INCORRECT_PARAMETERS: Recursive system.multicall forbidden'}]"
            .into(),
    ]
    .to_vec();
    let unix = format!("unix://{}", p(&d.sock));
    let tcp = format!("http://127.0.0.1:{port}");
    for url in [&unix, &tcp] {
        let Some(out) = python(BATTERY, &[url, ""]) else {
            return;
        };
        assert_lines(&out, &expected);
    }
}

/// Basic authentication on both servers: a plain password on the socket, a `{SHA}` one on TCP.
const AUTH: &str = r#"
unix, tcp = sys.argv[1], sys.argv[2]
show('unix_ok', proxy(unix, 'user:123@').supervisor.getAPIVersion)
show('unix_none', proxy(unix).supervisor.getAPIVersion)
show('unix_wrong', proxy(unix, 'user:124@').supervisor.getAPIVersion)
show('unix_user', proxy(unix, 'admin:123@').supervisor.getAPIVersion)
show('tcp_ok', proxy(tcp, 'admin:thepassword@').supervisor.getAPIVersion)
show('tcp_hash', proxy(tcp, 'admin:82ab876d1387bfafe46cc1c8a2ef074eae50cb1d@').supervisor.getAPIVersion)
show('tcp_none', proxy(tcp).supervisor.getAPIVersion)
host, port = tcp[len('http://'):].split(':')
for path in ['/RPC2', '/logtail/sleeper', '/mainlogtail', '/', '/nosuch']:
    c = http.client.HTTPConnection(host, int(port))
    c.request('GET', path)
    r = c.getresponse()
    print('get', path, r.status, r.getheader('WWW-Authenticate'), r.getheader('Connection'))
    c.close()
c = http.client.HTTPConnection(host, int(port))
c.request('GET', '/ok.html', headers={'Authorization': 'Basic abc'})
print('undecodable', c.getresponse().status)
"#;

#[test]
fn stock_python_client_with_basic_auth() {
    let port = free_port();
    let mut d = Sandbox::new("pyauth");
    let dir = p(&d.dir);
    let conf = format!(
        "[unix_http_server]\nfile={dir}/s.sock\nusername=user\npassword=123\n\
         [inet_http_server]\nport=127.0.0.1:{port}\nusername=admin\n\
         password={{SHA}}82ab876d1387bfafe46cc1c8a2ef074eae50cb1d\n\
         [supervisord]\nlogfile={dir}/supervisord.log\npidfile={dir}/supervisord.pid\n\
         childlogdir={dir}\nnodaemon=true\n\
         [rpcinterface:supervisor]\n\
         supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
         [program:sleeper]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    );
    std::fs::write(&d.conf, conf).unwrap();
    d.server.username = Some("user".into());
    d.server.password = Some("123".into());
    d.launch();
    let unix = format!("unix://{}", p(&d.sock));
    let tcp = format!("http://127.0.0.1:{port}");
    let Some(out) = python(AUTH, &[&unix, &tcp]) else {
        return;
    };
    let challenge = "('HTTP', 401, 'Basic realm=\"default\"')";
    let expected: Vec<String> = vec![
        "unix_ok '3.0'".into(),
        format!("unix_none {challenge}"),
        format!("unix_wrong {challenge}"),
        format!("unix_user {challenge}"),
        "tcp_ok '3.0'".into(),
        format!("tcp_hash {challenge}"),
        format!("tcp_none {challenge}"),
        "get /RPC2 401 Basic realm=\"default\" close".into(),
        "get /logtail/sleeper 401 Basic realm=\"default\" close".into(),
        "get /mainlogtail 401 Basic realm=\"default\" close".into(),
        "get / 401 Basic realm=\"default\" close".into(),
        "get /nosuch 401 Basic realm=\"default\" close".into(),
        "undecodable 400".into(),
    ];
    assert_lines(&out, &expected);
}
