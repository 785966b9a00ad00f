//! Opening the HTTP servers' listening sockets, before daemonizing so errors reach the
//! terminal (reference §1.7, §1.8, §2.6).

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::config::{HttpServerConfig, HttpServerKind};

/// A bound, listening, non-blocking socket.
#[derive(Debug)]
pub enum Listener {
    Tcp(mio::net::TcpListener),
    Unix {
        listener: mio::net::UnixListener,
        path: PathBuf,
    },
}

const IN_USE: &str = "Another program is already listening on a port that one of our HTTP servers is configured to use.  Shut this program down first before starting supervisord.";

/// Binds one server's socket.
///
/// # Errors
/// Supervisor's start-up texts; `stale` receives `Unlinking stale socket <path>` notes.
pub fn open(server: &HttpServerConfig, stale: &mut Vec<String>) -> Result<Listener, String> {
    match &server.kind {
        HttpServerKind::Inet { host, port } => open_tcp(host, *port),
        HttpServerKind::Unix { path, chmod, chown } => open_unix(path, *chmod, *chown, stale),
    }
}

fn socket_error(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::AddrInUse {
        return IN_USE.into();
    }
    match e.raw_os_error() {
        Some(code) => format!(
            "Cannot open an HTTP server: socket.error reported errno.{} ({code})",
            crate::sys::errno_name(code)
        ),
        None => format!("Cannot open an HTTP server: socket.error reported {e}"),
    }
}

fn open_tcp(host: &str, port: u16) -> Result<Listener, String> {
    let host = if host.is_empty() || host == "*" {
        "0.0.0.0"
    } else {
        host
    };
    let std = std::net::TcpListener::bind((host, port)).map_err(|e| socket_error(&e))?;
    std.set_nonblocking(true).map_err(|e| socket_error(&e))?;
    Ok(Listener::Tcp(mio::net::TcpListener::from_std(std)))
}

fn open_unix(
    path: &Path,
    chmod: u32,
    chown: Option<(u32, Option<u32>)>,
    stale: &mut Vec<String>,
) -> Result<Listener, String> {
    let mut temp = path.as_os_str().to_os_string();
    temp.push(format!(".{}", std::process::id()));
    let temp = PathBuf::from(temp);
    let _ = std::fs::remove_file(&temp);
    let std = std::os::unix::net::UnixListener::bind(&temp).map_err(|e| socket_error(&e))?;
    let result = (|| {
        std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(chmod))
            .map_err(|e| socket_error(&e))?;
        for attempt in 0..2 {
            match std::fs::hard_link(&temp, path) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt == 0 => {
                    if std::os::unix::net::UnixStream::connect(path).is_ok() {
                        return Err(IN_USE.to_string());
                    }
                    stale.push(format!("Unlinking stale socket {}", path.display()));
                    let _ = std::fs::remove_file(path);
                }
                Err(e) => return Err(socket_error(&e)),
            }
        }
        Err(IN_USE.to_string())
    })();
    let _ = std::fs::remove_file(&temp);
    result?;
    if let Some((uid, gid)) = chown {
        let r = nix::unistd::chown(
            path,
            Some(nix::unistd::Uid::from_raw(uid)),
            gid.map(nix::unistd::Gid::from_raw),
        );
        if r.is_err() {
            let _ = std::fs::remove_file(path);
            let me = nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map_or_else(|| nix::unistd::getuid().to_string(), |u| u.name);
            return Err(format!(
                "Not permitted to chown {} to uid/gid ({uid}, {}); adjust \"sockchown\" value in config file or on command line to values that the current user ({me}) can successfully chown",
                path.display(),
                gid.map_or(-1, i64::from)
            ));
        }
    }
    std.set_nonblocking(true).map_err(|e| socket_error(&e))?;
    Ok(Listener::Unix {
        listener: mio::net::UnixListener::from_std(std),
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(path: &Path) -> HttpServerConfig {
        HttpServerConfig {
            section: "unix_http_server".into(),
            kind: HttpServerKind::Unix {
                path: path.to_path_buf(),
                chmod: 0o700,
                chown: None,
            },
            username: None,
            password: None,
            metrics: false,
        }
    }

    #[test]
    fn unix_socket_replaces_stale_and_refuses_live() {
        let dir = std::env::temp_dir().join(format!("listen-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("s.sock");
        std::fs::write(&sock, "stale").unwrap();
        let mut notes = vec![];
        let l = open(&unix(&sock), &mut notes).unwrap();
        assert_eq!(
            notes,
            [format!("Unlinking stale socket {}", sock.display())]
        );
        let mode = std::fs::metadata(&sock).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert_eq!(open(&unix(&sock), &mut notes).unwrap_err(), IN_USE);
        drop(l);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn tcp_port_in_use_is_reported() {
        let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        assert_eq!(open_tcp("127.0.0.1", port).unwrap_err(), IN_USE);
    }
}
