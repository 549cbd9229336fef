//! The CJK font every chart uses. The subset of Noto Sans CJK SC in
//! `assets/fonts` (GB 2312 and common symbols, SIL OFL 1.1) is embedded in
//! the binary, written once to a cache folder, and made visible to
//! fontconfig through a generated `fonts.conf` that also includes the
//! system's, so installed CJK fonts remain available for rarer characters.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The family name charts ask for.
pub const FAMILY: &str = "Yanpan Noto Sans SC";
/// Installed families tried for characters the subset lacks.
pub const FALLBACKS: &[&str] = &[
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
];

pub static REGULAR: &[u8] = include_bytes!("../../assets/fonts/YanpanNotoSansSC-Regular.otf");
pub static BOLD: &[u8] = include_bytes!("../../assets/fonts/YanpanNotoSansSC-Bold.otf");

/// The environment variable fontconfig reads its configuration from.
pub const FONTCONFIG_FILE: &str = "FONTCONFIG_FILE";

fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("yanpan")
        .join(format!("fonts-{}", env!("CARGO_PKG_VERSION")))
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path)
}

/// Writes the embedded fonts and a `fonts.conf` that adds them to the
/// system configuration; returns the path to set as `FONTCONFIG_FILE`.
pub fn prepare() -> io::Result<PathBuf> {
    let dir = cache_dir();
    fs::create_dir_all(&dir)?;
    write_if_changed(&dir.join("YanpanNotoSansSC-Regular.otf"), REGULAR)?;
    write_if_changed(&dir.join("YanpanNotoSansSC-Bold.otf"), BOLD)?;
    let system = std::env::var_os(FONTCONFIG_FILE)
        .map(PathBuf::from)
        .filter(|p| p.file_name().is_some_and(|n| n != "fonts.conf") || !p.starts_with(&dir))
        .unwrap_or_else(|| PathBuf::from("/etc/fonts/fonts.conf"));
    let conf = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n<fontconfig>\n  <include ignore_missing=\"yes\">{}</include>\n  <dir>{}</dir>\n  <cachedir>{}</cachedir>\n</fontconfig>\n",
        system.display(),
        dir.display(),
        dir.join("cache").display()
    );
    let path = dir.join("fonts.conf");
    write_if_changed(&path, conf.as_bytes())?;
    Ok(path)
}

/// Whether the subset has a glyph for every character of `text`.
pub fn covers(text: &str) -> bool {
    use std::sync::OnceLock;
    static FACE: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    match FACE.get_or_init(|| ttf_parser::Face::parse(REGULAR, 0).ok()) {
        Some(face) => text
            .chars()
            .all(|c| c.is_control() || face.glyph_index(c).is_some()),
        None => false,
    }
}
