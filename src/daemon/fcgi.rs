//! `[fcgi-program:x]` listening sockets: created by supervisord, shared by every process of
//! the program as its fd 0, reference-counted by running process (reference §1.13, §3.5).
//!
//! A socket is created when the group is instantiated (to fail early, then closed again),
//! before the first spawn, and closed when the last of its processes has exited.

use std::collections::HashMap;
use std::net::ToSocketAddrs;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::PermissionsExt;

use nix::sys::socket::{
    bind, listen, setsockopt, socket, sockopt, AddressFamily, Backlog, SockFlag, SockType,
    SockaddrStorage, UnixAddr,
};

use crate::config::{FcgiSocketConfig, SocketUrl};

#[derive(Debug)]
struct Shared {
    fd: OwnedFd,
    refs: usize,
}

/// The open sockets, by group name.
#[derive(Debug, Default)]
pub struct FcgiSockets {
    open: HashMap<String, Shared>,
}

/// What acquiring did, for the activity log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquired {
    /// The socket had to be created (`Creating socket <url>`).
    Created(RawFd),
    Shared(RawFd),
}

impl FcgiSockets {
    /// A reference to the group's socket, creating it if no process holds one.
    ///
    /// # Errors
    /// `Could not create FastCGI socket <url>: <reason>`.
    pub fn acquire(&mut self, group: &str, cfg: &FcgiSocketConfig) -> Result<Acquired, String> {
        if let Some(shared) = self.open.get_mut(group) {
            shared.refs += 1;
            return Ok(Acquired::Shared(shared.fd.as_raw_fd()));
        }
        let fd =
            create(cfg).map_err(|e| format!("Could not create FastCGI socket {}: {e}", cfg.url))?;
        let raw = fd.as_raw_fd();
        self.open.insert(group.to_string(), Shared { fd, refs: 1 });
        Ok(Acquired::Created(raw))
    }

    /// Drops one reference; `true` when that closed the socket.
    pub fn release(&mut self, group: &str) -> bool {
        let Some(shared) = self.open.get_mut(group) else {
            return false;
        };
        shared.refs = shared.refs.saturating_sub(1);
        if shared.refs == 0 {
            self.open.remove(group);
            return true;
        }
        false
    }
}

/// Creates, binds and listens (blocking, close-on-exec; the child gets it as fd 0).
///
/// # Errors
/// The OS error, in words.
pub fn create(cfg: &FcgiSocketConfig) -> Result<OwnedFd, String> {
    let backlog = Backlog::new(cfg.backlog.clamp(1, libc::SOMAXCONN)).unwrap_or(Backlog::MAXCONN);
    match &cfg.url {
        SocketUrl::Tcp { host, port } => {
            let addr = (host.as_str(), *port)
                .to_socket_addrs()
                .map_err(|e| e.to_string())?
                .next()
                .ok_or_else(|| format!("cannot resolve {host}"))?;
            let family = if addr.is_ipv4() {
                AddressFamily::Inet
            } else {
                AddressFamily::Inet6
            };
            let fd = socket(family, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)
                .map_err(|e| e.desc().to_string())?;
            setsockopt(&fd, sockopt::ReuseAddr, &true).map_err(|e| e.desc().to_string())?;
            bind(fd.as_raw_fd(), &SockaddrStorage::from(addr)).map_err(|e| e.desc().to_string())?;
            listen(&fd, backlog).map_err(|e| e.desc().to_string())?;
            Ok(fd)
        }
        SocketUrl::Unix { path } => {
            if path.exists() {
                let _ = std::fs::remove_file(path);
            }
            let fd = socket(
                AddressFamily::Unix,
                SockType::Stream,
                SockFlag::SOCK_CLOEXEC,
                None,
            )
            .map_err(|e| e.desc().to_string())?;
            let addr = UnixAddr::new(path).map_err(|e| e.desc().to_string())?;
            let prepared = bind(fd.as_raw_fd(), &addr)
                .map_err(|e| e.desc().to_string())
                .and_then(|()| match cfg.owner {
                    Some((uid, gid)) => nix::unistd::chown(
                        path,
                        Some(nix::unistd::Uid::from_raw(uid)),
                        gid.map(nix::unistd::Gid::from_raw),
                    )
                    .map_err(|e| {
                        format!("Could not change ownership of socket file: {}", e.desc())
                    }),
                    None => Ok(()),
                })
                .and_then(|()| {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(cfg.mode))
                        .map_err(|e| format!("Could not change permissions of socket file: {e}"))
                })
                .and_then(|()| listen(&fd, backlog).map_err(|e| e.desc().to_string()));
            if let Err(e) = prepared {
                let _ = std::fs::remove_file(path);
                return Err(e);
            }
            Ok(fd)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp() -> FcgiSocketConfig {
        FcgiSocketConfig {
            url: SocketUrl::Tcp {
                host: "127.0.0.1".into(),
                port: 0,
            },
            backlog: 5,
            owner: None,
            mode: 0o700,
        }
    }

    #[test]
    fn shared_by_reference_count() {
        let mut s = FcgiSockets::default();
        let first = s.acquire("g", &tcp()).unwrap();
        let Acquired::Created(fd) = first else {
            panic!("{first:?}")
        };
        assert_eq!(s.acquire("g", &tcp()).unwrap(), Acquired::Shared(fd));
        assert!(!s.release("g"));
        assert!(s.release("g"));
        assert!(!s.release("g"));
    }

    #[test]
    fn unix_socket_gets_its_mode_and_errors_are_named() {
        let dir = std::env::temp_dir().join(format!("fcgi-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.sock");
        let cfg = FcgiSocketConfig {
            url: SocketUrl::Unix { path: path.clone() },
            backlog: 5,
            owner: None,
            mode: 0o660,
        };
        let fd = create(&cfg).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o660
        );
        drop(fd);
        let bad = FcgiSocketConfig {
            url: SocketUrl::Unix {
                path: dir.join("no/such/dir.sock"),
            },
            ..cfg
        };
        let err = FcgiSockets::default().acquire("g", &bad).unwrap_err();
        assert!(
            err.starts_with("Could not create FastCGI socket unix://"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
