//! The stylesheet, script and images, compiled into the binary (our own work, D8), with
//! their content types and validators.
//!
//! Pages link them with `?v=<etag>`, so a new build is fetched at once while an unchanged one
//! is served from the browser's cache for a day, then revalidated with `If-None-Match`.

/// One static file.
#[derive(Debug)]
pub struct Asset {
    /// The request path (the reference's places for the stylesheet and the images).
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
    /// FNV-1a of the body, computed at compile time.
    pub hash: u64,
}

impl Asset {
    /// The entity tag, quoted as sent.
    pub fn etag(&self) -> String {
        format!("\"{:016x}\"", self.hash)
    }

    /// True when an `If-None-Match` value names this version (or is `*`).
    pub fn not_modified(&self, if_none_match: Option<&str>) -> bool {
        let tag = self.etag();
        if_none_match.is_some_and(|h| {
            h.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == tag || t == "*")
        })
    }
}

/// How long a browser may use its copy before asking again.
pub const CACHE_CONTROL: &str = "public, max-age=86400";

const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut rest = bytes;
    while let [byte, tail @ ..] = rest {
        hash ^= *byte as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        rest = tail;
    }
    hash
}

macro_rules! asset {
    ($path:literal, $type:literal, $file:literal) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!($file),
            hash: fnv1a(include_bytes!($file)),
        }
    };
}

pub static STYLESHEET: &Asset = &asset!(
    "/stylesheets/supervisor.css",
    "text/css; charset=utf-8",
    "assets/supervisor.css"
);
pub static SCRIPT: &Asset = &asset!(
    "/scripts/supervisor.js",
    "text/javascript; charset=utf-8",
    "assets/supervisor.js"
);
pub static LOGO: &Asset = &asset!("/images/logo.svg", "image/svg+xml", "assets/logo.svg");
pub static ICON: &Asset = &asset!("/images/icon.png", "image/png", "assets/icon.png");

static ALL: [&Asset; 4] = [STYLESHEET, SCRIPT, LOGO, ICON];

/// The asset served at `path`.
pub fn find(path: &str) -> Option<&'static Asset> {
    ALL.iter().copied().find(|a| a.path == path)
}

/// The relative link a page uses for `asset` (relative, so the pages also work behind a
/// proxy that mounts them under a prefix).
pub fn link(asset: &Asset) -> String {
    format!(
        "{}?v={:016x}",
        asset.path.trim_start_matches('/'),
        asset.hash
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_found_by_its_path() {
        for a in ALL {
            assert!(std::ptr::eq(find(a.path).unwrap(), a));
            assert!(!a.body.is_empty());
        }
        assert!(find("/stylesheets/other.css").is_none());
        assert!(ICON.body.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(LOGO.body.starts_with(b"<svg"));
    }

    #[test]
    fn etags_validate() {
        let tag = STYLESHEET.etag();
        assert!(STYLESHEET.not_modified(Some(&tag)));
        assert!(STYLESHEET.not_modified(Some(&format!("\"x\", W/{tag}"))));
        assert!(STYLESHEET.not_modified(Some("*")));
        assert!(!STYLESHEET.not_modified(Some("\"0\"")));
        assert!(!STYLESHEET.not_modified(None));
        assert_ne!(STYLESHEET.etag(), SCRIPT.etag());
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
