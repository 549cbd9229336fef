//! Content hashes: what the ingest state, the manifest and the sample
//! list record of a file.

use std::fs;
use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Lower-case hex SHA-256 of a file, read a megabyte at a time (an export
/// of hundreds of megabytes is never held whole just to be hashed).
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = io::BufReader::with_capacity(1 << 20, fs::File::open(path)?);
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_hashed_in_pieces_has_the_hash_of_its_bytes() {
        // Over 2 MB: more than one read of the hasher's buffer.
        let bytes: Vec<u8> = (0..2_500_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let path = std::env::temp_dir().join(format!("yanpan-sha-{}.bin", std::process::id()));
        fs::write(&path, &bytes).expect("write");
        let streamed = sha256_file(&path).expect("hash");
        fs::remove_file(&path).expect("remove");
        assert_eq!(streamed, sha256_hex(&bytes));
        // SHA-256 of "abc" (FIPS 180-2).
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
