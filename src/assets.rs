//! Files of `assets/` compiled into the binary. The large ones (the CJK
//! fonts, ECharts) are kept zstd-compressed (`zstd --ultra -22`: 8.2 MB
//! to 5.9 MB; the release binary 104.8 MB to 102.4 MB) and unpacked once,
//! on first use.

use std::sync::OnceLock;

/// A zstd-compressed embedded file, unpacked on first use.
#[derive(Debug)]
pub struct Packed {
    compressed: &'static [u8],
    unpacked: OnceLock<Vec<u8>>,
}

impl Packed {
    pub const fn new(compressed: &'static [u8]) -> Self {
        Self {
            compressed,
            unpacked: OnceLock::new(),
        }
    }

    /// The file's bytes. A file that does not unpack is a broken build,
    /// which the tests catch.
    pub fn bytes(&'static self) -> &'static [u8] {
        self.unpacked
            .get_or_init(|| zstd::decode_all(self.compressed).expect("an embedded asset unpacks"))
    }

    /// The file as text.
    pub fn text(&'static self) -> &'static str {
        std::str::from_utf8(self.bytes()).expect("an embedded text asset is UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SAMPLE: Packed = Packed::new(include_bytes!(
        "../assets/vendor/echarts/echarts.min.js.zst"
    ));

    #[test]
    fn packed_files_unpack_once() {
        let first = SAMPLE.text();
        assert!(first.len() > 1_000_000, "{} bytes", first.len());
        assert!(first.contains("echarts"));
        assert!(std::ptr::eq(first, SAMPLE.text()));
    }
}
