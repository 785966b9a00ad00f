#!/usr/bin/env python3
"""Regenerate tests/configs/*.expected from the reference implementation.

Run by hand (never by `make test`), with the Python that has Supervisor 4.3.0 installed:

    /tmp/ref-venv/bin/python tests/configs/generate.py

For every tests/configs/NAME.conf this loads the file exactly as `supervisord -c FILE` does
(ServerOptions.realize) and writes NAME.expected:
  * `error: <message>` when the reference refuses the file (the text after "Error: "); the
    message is cross-checked against a real `supervisord -n -c FILE` run;
  * `ok` followed by a dump of the parsed settings otherwise.
tests/config_diff.rs produces the same dump from our loader and compares.

Machine-specific text is normalised: this directory -> @HERE@, the current directory ->
@CWD@, the default temp dir (childlogdir) -> @TMP@, `<hostname>` -> `<@HOST@>`, and ENV_*
names are dropped from "Available names" lists.

Where decisions.md rules that we differ, DIVERGENCES rewrites the reference's verdict into
ours and the .expected file says why in `#` lines (ignored by the comparison).
"""
import os
import platform
import re
import subprocess
import sys
import tempfile
from io import StringIO

from supervisor import events, loggers
from supervisor.datatypes import Automatic, RestartUnconditionally, RestartWhenExitUnexpected
from supervisor.options import EventListenerPoolConfig, FastCGIGroupConfig, ServerOptions

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SUPERVISORD = os.path.join(os.path.dirname(sys.executable), 'supervisord')


def q13(text):
    return text.replace('[program:foo] names unknown', '[group:g] names unknown')


def q14(text):
    return re.sub(r"\('([^']*)', '([^']*)'\)",
                  lambda m: m.group(1).replace('%s', m.group(2)), text)


def q23(*warnings):
    def add(text):
        return text + ''.join(line('message WARN', w) for w in warnings)
    return add


DIVERGENCES = {
    'err_group_unknown': (
        'DIVERGENCE(Q13): the reference names [program:foo] (a reused loop variable); '
        'we name the [group:g] section', q13),
    'err_fcgi_badsocket': (
        'DIVERGENCE(Q14): the reference prints the message as a Python tuple', q14),
    'err_fcgi_relsocket': (
        'DIVERGENCE(Q14): the reference prints the message as a Python tuple', q14),
    'err_unnamed_conversion': (
        'DIVERGENCE (no ruling yet): the reference formats its whole '
        'table of names into the value (`date +{...}`); we refuse a conversion without a name',
        lambda text: "error: Format string '/bin/date +%s' for 'program:x.command' is badly "
                     "formatted: a conversion without a (name) is not supported; write %% for "
                     "a literal % in section 'program:x' "
                     "(file: '@HERE@/err_unnamed_conversion.conf')\n"),
    'ok_env_split': (
        'DIVERGENCE(Q23): same result as the reference, plus a warning for each silent split',
        q23("For [program:x], environment: text after '#' was ignored as a comment; "
            "quote values that contain '#'",
            "For [program:x], environment: 'b' after A=a was taken as a separator and "
            "ignored; quote values that contain spaces or special characters",
            "For [program:x], environment: ';' after B=1 was taken as a separator and "
            "ignored; quote values that contain spaces or special characters",
            "For [program:x], environment: 'HOME' after D=$ was taken as a separator and "
            "ignored; quote values that contain spaces or special characters")),
}

LEVELS = {50: 'critical', 40: 'error', 30: 'warn', 20: 'info', 10: 'debug', 5: 'trace',
          3: 'blather'}


def b(v):
    return 'true' if v else 'false'


def opt(v):
    return 'none' if v is None else str(v)


def octal(v):
    return 'none' if v is None else oct(v)


def logfile(v):
    if v is Automatic:
        return 'auto'
    return 'none' if v is None else v


def autorestart(v):
    if v is RestartUnconditionally:
        return 'true'
    if v is RestartWhenExitUnexpected:
        return 'unexpected'
    return 'false'


def owner(v):
    return 'none' if v is None else '%d:%d' % tuple(v)


def line(key, value):
    return '%s: %s\n' % (key, str(value).replace('\n', '\\n'))


def dump(o):
    out = 'ok\n'
    s = o.configroot.supervisord
    out += line('supervisord.logfile', o.logfile)
    out += line('supervisord.logfile_maxbytes', o.logfile_maxbytes)
    out += line('supervisord.logfile_backups', o.logfile_backups)
    out += line('supervisord.loglevel', LEVELS[o.loglevel])
    out += line('supervisord.pidfile', o.pidfile)
    out += line('supervisord.umask', oct(o.umask))
    out += line('supervisord.nodaemon', b(o.nodaemon))
    out += line('supervisord.silent', b(o.silent))
    out += line('supervisord.minfds', o.minfds)
    out += line('supervisord.minprocs', o.minprocs)
    out += line('supervisord.nocleanup', b(o.nocleanup))
    childlogdir = '@TMP@' if o.childlogdir == tempfile.gettempdir() else o.childlogdir
    out += line('supervisord.childlogdir', childlogdir)
    out += line('supervisord.user', opt(o.uid))
    out += line('supervisord.directory', opt(o.directory))
    out += line('supervisord.strip_ansi', b(o.strip_ansi))
    out += line('supervisord.identifier', o.identifier)
    for k in sorted(s.environment):
        out += line('supervisord.environment', '%s=%s' % (k, s.environment[k]))
    for c in o.server_configs:
        auth = 'username=%s password=%s' % (opt(c['username']), opt(c['password']))
        if 'port' in c:
            out += line('server ' + c['section'],
                        'inet host=%s port=%d %s' % (c['host'], c['port'], auth))
        else:
            out += line('server ' + c['section'], 'unix file=%s chmod=%s chown=%d:%d %s' % (
                c['file'], oct(c['chmod']), c['chown'][0], c['chown'][1], auth))
    for g in o.process_group_configs:
        if isinstance(g, EventListenerPoolConfig):
            kind = 'eventlistener'
        elif isinstance(g, FastCGIGroupConfig):
            kind = 'fcgi'
        else:
            kind = 'program'
        out += line('group ' + g.name, 'priority=%d kind=%s' % (g.priority, kind))
        if kind == 'eventlistener':
            names = sorted(events.getEventNameByType(e) for e in g.pool_events)
            out += line('  events', ','.join(names))
            out += line('  buffer_size', g.buffer_size)
            h = g.result_handler
            out += line('  result_handler', '%s:%s' % (h.__module__, h.__name__))
        if kind == 'fcgi':
            sc = g.socket_config
            mode = octal(getattr(sc, 'mode', None))
            own = owner(getattr(sc, 'owner', None))
            out += line('  socket', '%s backlog=%d owner=%s mode=%s' % (
                sc.url, sc.get_backlog() or 4096, own, mode))
        # A group's processes form a dict in the reference; we keep them sorted.
        for p in sorted(g.process_configs):
            out += line('  process ' + p.name, p.command)
            for key in ('priority', 'startsecs', 'startretries', 'stopsignal', 'stopwaitsecs'):
                out += line('    ' + key, getattr(p, key))
            out += line('    autostart', b(p.autostart))
            out += line('    autorestart', autorestart(p.autorestart))
            out += line('    exitcodes', ','.join(str(c) for c in p.exitcodes))
            out += line('    stopasgroup', b(p.stopasgroup))
            out += line('    killasgroup', b(p.killasgroup))
            out += line('    uid', opt(p.uid))
            out += line('    redirect_stderr', b(p.redirect_stderr))
            for ch in ('stdout', 'stderr'):
                out += line('    %s_logfile' % ch, logfile(getattr(p, ch + '_logfile')))
                for key in ('logfile_maxbytes', 'logfile_backups', 'capture_maxbytes'):
                    out += line('    %s_%s' % (ch, key), getattr(p, '%s_%s' % (ch, key)))
                for key in ('events_enabled', 'syslog'):
                    out += line('    %s_%s' % (ch, key), b(getattr(p, '%s_%s' % (ch, key))))
            for k in sorted(p.environment):
                out += line('    environment', '%s=%s' % (k, p.environment[k]))
            out += line('    directory', opt(p.directory))
            out += line('    umask', octal(p.umask))
            out += line('    serverurl', opt(p.serverurl))
    for msg in o.parse_warnings:
        out += line('message WARN', msg)
    for msg in o.parse_infos:
        out += line('message INFO', msg)
    return out


def drop_env_names(text):
    def keep(m):
        names = [n for n in m.group(1).split(', ') if not (n.startswith('ENV_') and ' ' not in n)]
        return 'Available names: ' + ', '.join(names)
    return re.sub(r'Available names: (.*)', keep, text)


def normalise(text):
    # A Python format error's index counts characters of the string, which starts with this
    # directory: make it relative to the placeholder so it does not depend on the checkout.
    if HERE in text:
        text = re.sub(r'at index (\d+)',
                      lambda m: 'at index %d' % (int(m.group(1)) - len(HERE) + len('@HERE@')), text)
    text = text.replace(HERE, '@HERE@').replace(os.getcwd(), '@CWD@')
    text = text.replace('<%s>' % platform.node(), '<@HOST@>')
    return drop_env_names(text)


def error_message(stderr):
    lines = stderr.rstrip('\n').split('\n')
    assert lines[-1].startswith('For help, use '), stderr
    message = '\n'.join(lines[:-1])
    assert message.startswith('Error: '), stderr
    return message[len('Error: '):]


def verdict(path):
    o = ServerOptions()
    o.stderr = StringIO()
    o.stdout = StringIO()
    try:
        o.realize(['-c', path], doc='', progname='supervisord')
    except SystemExit as e:
        assert e.code == 2, (path, e.code)
        message = error_message(o.stderr.getvalue())
        real = subprocess.run([SUPERVISORD, '-n', '-c', path], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20,
                              universal_newlines=True)
        assert real.returncode == 2, (path, real.returncode, real.stderr)
        assert error_message(real.stderr) == message, (path, real.stderr, message)
        return 'error: %s\n' % message
    return dump(o)


def main():
    os.chdir(ROOT)
    for name in sorted(os.listdir(HERE)):
        if not name.endswith('.conf'):
            continue
        stem = name[:-len('.conf')]
        text = normalise(verdict(os.path.join(HERE, name)))
        header = ''
        if stem in DIVERGENCES:
            why, rewrite = DIVERGENCES[stem]
            header = '# %s\n' % why
            if text.startswith('error: '):
                header += ''.join('# reference: %s\n' % l for l in text.splitlines())
            text = rewrite(text)
        with open(os.path.join(HERE, stem + '.expected'), 'w') as f:
            f.write(header + text)
        print('%-32s %s' % (stem, text.splitlines()[0][:100]))


if __name__ == '__main__':
    main()
