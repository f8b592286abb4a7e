//! A small ZIP writer for inline function source: local file headers, deflated data, a central
//! directory and the end record (PKWARE APPNOTE 4.3), in memory. No zip64: inline source is
//! bounded far below 4 GiB (see [`MAX_INLINE_BYTES`]).
//!
//! Not the `zip` crate: it turns on zeroize's derive feature, which recompiles every SDK crate.

use std::io::Write;

use flate2::{Compression, write::DeflateEncoder};

/// The most bytes of inline source (all files together) the server zips.
pub const MAX_INLINE_BYTES: usize = 4 * 1024 * 1024;

/// A fixed modification time (1980-01-01 00:00, the DOS epoch), so the same source always
/// zips to the same bytes and Lambda's CodeSha256 does not change without a change of code.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;

/// Zips `files` (path, content) with deflate. Paths use `/` and must be relative.
pub fn zip(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        check_path(name)?;
        let crc = crc32fast::hash(data);
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).map_err(|e| e.to_string())?;
        let packed = enc.finish().map_err(|e| e.to_string())?;
        let size = u32::try_from(data.len()).map_err(|_| "a file is over 4 GiB")?;
        let csize = u32::try_from(packed.len()).map_err(|_| "a file is over 4 GiB")?;
        let offset = u32::try_from(out.len()).map_err(|_| "the archive is over 4 GiB")?;
        let name_len = u16::try_from(name.len()).map_err(|_| "a path is too long")?;

        // Local file header.
        put32(&mut out, 0x0403_4b50);
        put16(&mut out, 20); // version needed: 2.0 (deflate)
        put16(&mut out, 0x0800); // flags: UTF-8 names
        put16(&mut out, 8); // method: deflate
        put16(&mut out, DOS_TIME);
        put16(&mut out, DOS_DATE);
        put32(&mut out, crc);
        put32(&mut out, csize);
        put32(&mut out, size);
        put16(&mut out, name_len);
        put16(&mut out, 0); // extra length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&packed);

        // Central directory entry.
        put32(&mut central, 0x0201_4b50);
        put16(&mut central, (3 << 8) | 20); // made by: Unix, 2.0
        put16(&mut central, 20);
        put16(&mut central, 0x0800);
        put16(&mut central, 8);
        put16(&mut central, DOS_TIME);
        put16(&mut central, DOS_DATE);
        put32(&mut central, crc);
        put32(&mut central, csize);
        put32(&mut central, size);
        put16(&mut central, name_len);
        put16(&mut central, 0); // extra length
        put16(&mut central, 0); // comment length
        put16(&mut central, 0); // disk number
        put16(&mut central, 0); // internal attributes
        put32(&mut central, 0o100644 << 16); // external: a regular file, rw-r--r--
        put32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let count = u16::try_from(files.len()).map_err(|_| "too many files")?;
    let cd_offset = u32::try_from(out.len()).map_err(|_| "the archive is over 4 GiB")?;
    let cd_size = u32::try_from(central.len()).map_err(|_| "the archive is over 4 GiB")?;
    out.extend_from_slice(&central);
    // End of central directory record.
    put32(&mut out, 0x0605_4b50);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, count);
    put16(&mut out, count);
    put32(&mut out, cd_size);
    put32(&mut out, cd_offset);
    put16(&mut out, 0);
    Ok(out)
}

/// A relative path inside the archive: no leading `/`, no `..`, no backslashes.
pub fn check_path(name: &str) -> Result<(), String> {
    let bad = name.is_empty()
        || name.len() > 255
        || name.starts_with('/')
        || name.contains('\\')
        || name.split('/').any(|p| p.is_empty() || p == "..");
    if bad {
        Err(format!(
            "'{name}' is not a relative file path (like index.py or lib/util.py)"
        ))
    } else {
        Ok(())
    }
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::DeflateDecoder;

    use super::*;

    fn u16_at(b: &[u8], i: usize) -> u16 {
        u16::from_le_bytes([b[i], b[i + 1]])
    }

    fn u32_at(b: &[u8], i: usize) -> u32 {
        u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
    }

    /// Reads the archive back through its central directory, as unzip does.
    #[test]
    fn what_is_written_reads_back() {
        let files = vec![
            (
                "index.py".to_string(),
                b"def handler(e, c):\n    return 1\n".to_vec(),
            ),
            ("lib/data.txt".to_string(), vec![b'x'; 10_000]),
            ("empty".to_string(), Vec::new()),
        ];
        let z = zip(&files).unwrap();
        let end = z.len() - 22;
        assert_eq!(u32_at(&z, end), 0x0605_4b50);
        assert_eq!(u16_at(&z, end + 10), 3);
        let mut at = u32_at(&z, end + 16) as usize;
        for (name, data) in &files {
            assert_eq!(u32_at(&z, at), 0x0201_4b50);
            let csize = u32_at(&z, at + 20) as usize;
            assert_eq!(u32_at(&z, at + 24) as usize, data.len());
            let nlen = u16_at(&z, at + 28) as usize;
            assert_eq!(&z[at + 46..at + 46 + nlen], name.as_bytes());
            let local = u32_at(&z, at + 42) as usize;
            assert_eq!(u32_at(&z, local), 0x0403_4b50);
            let start = local + 30 + u16_at(&z, local + 26) as usize;
            let mut back = Vec::new();
            DeflateDecoder::new(&z[start..start + csize])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(&back, data);
            assert_eq!(u32_at(&z, at + 16), crc32fast::hash(data));
            at += 46 + nlen;
        }
        // The same source zips to the same bytes.
        assert_eq!(zip(&files).unwrap(), z);
    }

    #[test]
    fn paths_are_relative() {
        assert!(check_path("index.js").is_ok());
        assert!(check_path("a/b.py").is_ok());
        for bad in ["", "/etc/passwd", "../x", "a//b", "a\\b", "a/../b"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
