//! systemd's readiness protocol (`sd_notify(3)`) without libsystemd: one datagram per state
//! change, sent to the unix socket `$NOTIFY_SOCKET` names, for a `Type=notify` unit.
//!
//! `READY=1` once the HTTP servers listen and the autostart programs are launched (again
//! after each reload), `RELOADING=1` when a reload starts stopping everything, `STOPPING=1`
//! when a shutdown starts. Without `$NOTIFY_SOCKET` every send does nothing.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};

use crate::daemon::core::Daemon;
use crate::logging::level::Level;

/// Where notifications go, if systemd asked for them.
#[derive(Debug, Default)]
pub struct SdNotify {
    target: Option<(UnixDatagram, SocketAddr)>,
}

impl SdNotify {
    /// Reads `$NOTIFY_SOCKET` and removes it from the environment, as `sd_notify` does
    /// with `unset_environment`.
    /// DIVERGENCE(new): children must not speak to systemd in our name (the reference
    /// passes the variable on to them).
    ///
    /// # Errors
    /// The variable names something that is not a socket address, or no socket could be
    /// made; the text is for the activity log.
    pub fn from_env() -> Result<SdNotify, String> {
        let Some(name) = std::env::var_os("NOTIFY_SOCKET") else {
            return Ok(SdNotify::default());
        };
        std::env::remove_var("NOTIFY_SOCKET");
        let fail = |e: io::Error| format!("NOTIFY_SOCKET={}: {e}", name.to_string_lossy());
        let addr =
            address(std::os::unix::ffi::OsStrExt::as_bytes(name.as_os_str())).map_err(fail)?;
        let socket = UnixDatagram::unbound().map_err(fail)?;
        socket.set_nonblocking(true).map_err(fail)?;
        Ok(SdNotify {
            target: Some((socket, addr)),
        })
    }

    /// Sends one notification (`KEY=value` lines).
    ///
    /// # Errors
    /// The datagram could not be sent (systemd gone, socket buffer full).
    pub fn send(&self, state: &str) -> io::Result<()> {
        match &self.target {
            Some((socket, addr)) => socket.send_to_addr(state.as_bytes(), addr).map(drop),
            None => Ok(()),
        }
    }
}

/// An absolute path, or `@name` for a Linux abstract socket (systemd's two forms).
fn address(name: &[u8]) -> io::Result<SocketAddr> {
    match name.split_first() {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        Some((b'@', abstract_name)) => {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(abstract_name)
        }
        Some((b'/', _)) => {
            use std::os::unix::ffi::OsStrExt;
            SocketAddr::from_pathname(std::ffi::OsStr::from_bytes(name))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not an absolute path nor an @abstract name",
        )),
    }
}

impl Daemon {
    /// Tells systemd about a state change; a failure is logged and changes nothing else.
    pub fn notify_systemd(&mut self, state: &str) {
        if let Err(e) = self.sd_notify.send(state) {
            self.model.log.log(
                Level::Warn,
                &format!("could not notify systemd ({state}): {e}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let path = address(b"/run/systemd/notify").unwrap();
        assert_eq!(
            path.as_pathname(),
            Some(std::path::Path::new("/run/systemd/notify"))
        );
        #[cfg(target_os = "linux")]
        {
            use std::os::linux::net::SocketAddrExt;
            let abs = address(b"@sd-test").unwrap();
            assert_eq!(abs.as_abstract_name(), Some(&b"sd-test"[..]));
        }
        assert!(address(b"relative/path").is_err());
        assert!(address(b"").is_err());
    }

    #[test]
    fn sends_one_datagram_per_state() {
        let dir = std::env::temp_dir().join(format!("svrs-sdnotify-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify");
        let server = UnixDatagram::bind(&path).unwrap();
        let client = SdNotify {
            target: Some((
                UnixDatagram::unbound().unwrap(),
                SocketAddr::from_pathname(&path).unwrap(),
            )),
        };
        client.send("READY=1").unwrap();
        client.send("STOPPING=1").unwrap();
        let mut buf = [0u8; 64];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1");
        assert!(SdNotify::default().send("READY=1").is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
