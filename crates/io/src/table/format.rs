//! The fixed parts of the table format: varints, block handles, the 48-byte footer and the 5-byte
//! block trailer (compression type + masked CRC-32C), as TF's `tsl/lib/io/format.cc` lays them out.
//! Pure functions over byte slices; every read is bounds-checked and fails with TF's DATA_LOSS texts.

use crate::crc;
use ferroflow_framework::{Error, Result};
use std::borrow::Cow;

/// The table magic number (leading 64 bits of `sha1("http://code.google.com/p/leveldb/")`).
pub const TABLE_MAGIC: u64 = 0xdb47_7524_8b80_fb57;
/// Most bytes a varint64-encoded block handle (offset + size) takes.
pub const MAX_HANDLE_LEN: usize = 20;
/// Bytes of the footer: two padded block handles and the magic number.
pub const FOOTER_LEN: usize = 2 * MAX_HANDLE_LEN + 8;
/// Bytes after each block: its compression type and the masked CRC of contents + type.
pub const BLOCK_TRAILER_LEN: usize = 5;

/// How a block's contents are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Compression {
    None = 0,
    Snappy = 1,
}

pub fn put_varint32(dst: &mut Vec<u8>, v: u32) {
    put_varint64(dst, u64::from(v));
}

pub fn put_varint64(dst: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        dst.push((v as u8) | 0x80);
        v >>= 7;
    }
    dst.push(v as u8);
}

/// Reads a varint64 from the front of `input`, advancing it; `None` if truncated or over 10 bytes.
pub fn get_varint64(input: &mut &[u8]) -> Option<u64> {
    let mut result = 0u64;
    for (i, &byte) in input.iter().enumerate().take(10) {
        result |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *input = &input[i + 1..];
            return Some(result);
        }
    }
    None
}

/// Reads a varint32 (at most 5 bytes) from the front of `input`, advancing it.
pub fn get_varint32(input: &mut &[u8]) -> Option<u32> {
    let mut result = 0u32;
    for (i, &byte) in input.iter().enumerate().take(5) {
        result |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *input = &input[i + 1..];
            return Some(result);
        }
    }
    None
}

pub fn decode_fixed32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Where a block lives in the file (its size excludes the trailer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockHandle {
    pub offset: u64,
    pub size: u64,
}

impl BlockHandle {
    pub fn encode_to(&self, dst: &mut Vec<u8>) {
        put_varint64(dst, self.offset);
        put_varint64(dst, self.size);
    }

    pub fn decode_from(input: &mut &[u8]) -> Result<BlockHandle> {
        match (get_varint64(input), get_varint64(input)) {
            (Some(offset), Some(size)) => Ok(BlockHandle { offset, size }),
            _ => Err(Error::data_loss("bad block handle")),
        }
    }
}

/// The table's tail: handles of the metaindex and index blocks, padded, then the magic number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    pub metaindex: BlockHandle,
    pub index: BlockHandle,
}

impl Footer {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FOOTER_LEN);
        self.metaindex.encode_to(&mut out);
        self.index.encode_to(&mut out);
        out.resize(2 * MAX_HANDLE_LEN, 0);
        out.extend_from_slice(&((TABLE_MAGIC & 0xffff_ffff) as u32).to_le_bytes());
        out.extend_from_slice(&((TABLE_MAGIC >> 32) as u32).to_le_bytes());
        out
    }

    /// Decodes the last `FOOTER_LEN` bytes of a table (`footer` must be exactly that long).
    pub fn decode(footer: &[u8]) -> Result<Footer> {
        debug_assert_eq!(footer.len(), FOOTER_LEN);
        let lo = u64::from(decode_fixed32(&footer[FOOTER_LEN - 8..]));
        let hi = u64::from(decode_fixed32(&footer[FOOTER_LEN - 4..]));
        if (hi << 32) | lo != TABLE_MAGIC {
            return Err(Error::data_loss("not an sstable (bad magic number)"));
        }
        let mut input = &footer[..FOOTER_LEN - 8];
        let metaindex = BlockHandle::decode_from(&mut input)?;
        let index = BlockHandle::decode_from(&mut input)?;
        Ok(Footer { metaindex, index })
    }
}

/// The trailer written after `contents` stored with `compression`.
pub fn block_trailer(contents: &[u8], compression: Compression) -> [u8; BLOCK_TRAILER_LEN] {
    let kind = compression as u8;
    let crc = crc::mask(crc::extend(crc::crc32c(contents), &[kind]));
    let c = crc.to_le_bytes();
    [kind, c[0], c[1], c[2], c[3]]
}

/// Snappy never expands data by more than this factor (a 3-byte copy yields at most 64 bytes);
/// a block claiming more is corrupt, and is refused before anything is allocated for it.
const MAX_SNAPPY_EXPANSION: usize = 22;

/// The contents of the block at `handle` in `file` (the whole table), checksum verified and
/// decompressed: borrowed from `file` when stored uncompressed.
pub fn read_block<'a>(file: &'a [u8], handle: &BlockHandle) -> Result<Cow<'a, [u8]>> {
    let n = usize::try_from(handle.size).map_err(|_| Error::data_loss("handle.size() too big"))?;
    let total = n.checked_add(BLOCK_TRAILER_LEN).ok_or_else(|| Error::data_loss("handle.size() too big"))?;
    let start = usize::try_from(handle.offset).ok().filter(|&s| s <= file.len());
    let Some(data) = start.and_then(|s| file.get(s..s.checked_add(total)?)) else {
        return Err(Error::data_loss("truncated block read"));
    };
    let stored = crc::unmask(decode_fixed32(&data[n + 1..]));
    if crc::crc32c(&data[..n + 1]) != stored {
        return Err(Error::data_loss("block checksum mismatch"));
    }
    let contents = &data[..n];
    match data[n] {
        0 => Ok(Cow::Borrowed(contents)),
        1 => {
            let corrupted = || Error::data_loss("corrupted compressed block contents");
            let len = snap::raw::decompress_len(contents).map_err(|_| corrupted())?;
            if len > contents.len().saturating_mul(MAX_SNAPPY_EXPANSION).saturating_add(64) {
                return Err(corrupted());
            }
            let mut out = Vec::new();
            out.try_reserve_exact(len).map_err(|_| corrupted())?;
            out.resize(len, 0);
            let written = snap::raw::Decoder::new().decompress(contents, &mut out).map_err(|_| corrupted())?;
            out.truncate(written);
            Ok(Cow::Owned(out))
        }
        _ => Err(Error::data_loss("bad block type")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroflow_framework::Code;

    #[test]
    fn varints_round_trip_and_reject_truncation() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut buf = Vec::new();
            put_varint64(&mut buf, v);
            let mut input = &buf[..];
            assert_eq!(get_varint64(&mut input), Some(v));
            assert!(input.is_empty());
            let mut cut = &buf[..buf.len() - 1];
            assert_eq!(get_varint64(&mut cut), None);
        }
        let mut too_long: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(get_varint32(&mut too_long), None);
    }

    #[test]
    fn footer_round_trips_and_checks_the_magic() {
        let f = Footer { metaindex: BlockHandle { offset: 62, size: 8 }, index: BlockHandle { offset: 75, size: 14 } };
        let bytes = f.encode();
        assert_eq!(bytes.len(), FOOTER_LEN);
        // As TF writes it: handles, zero padding, magic 0xdb4775248b80fb57 little-endian by halves.
        assert_eq!(&bytes[..4], &[0x3e, 0x08, 0x4b, 0x0e]);
        assert_eq!(&bytes[40..], &[0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]);
        assert_eq!(Footer::decode(&bytes).unwrap(), f);
        let mut bad = bytes.clone();
        bad[47] ^= 1;
        let e = Footer::decode(&bad).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (Code::DataLoss, "not an sstable (bad magic number)"));
    }

    #[test]
    fn blocks_are_checksummed_and_typed() {
        let mut file = b"hello".to_vec();
        file.extend_from_slice(&block_trailer(b"hello", Compression::None));
        let h = BlockHandle { offset: 0, size: 5 };
        assert_eq!(&*read_block(&file, &h).unwrap(), b"hello");
        let past = BlockHandle { offset: 1, size: 5 };
        assert_eq!(read_block(&file, &past).unwrap_err().message, "truncated block read");
        let huge = BlockHandle { offset: u64::MAX, size: u64::MAX };
        assert_eq!(read_block(&file, &huge).unwrap_err().code, Code::DataLoss);
        file[1] ^= 0x20;
        assert_eq!(read_block(&file, &h).unwrap_err().message, "block checksum mismatch");
        let mut typed = b"x".to_vec();
        typed.extend_from_slice(&block_trailer(b"x", Compression::None));
        typed[1] = 7;
        let crc = crc::mask(crc::crc32c(&typed[..2]));
        typed[2..].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(read_block(&typed, &BlockHandle { offset: 0, size: 1 }).unwrap_err().message, "bad block type");
    }

    #[test]
    fn snappy_blocks_are_decompressed_and_lying_lengths_refused() {
        let raw = b"abcabcabcabcabcabcabcabcabcabcabcabc".repeat(4);
        let packed = snap::raw::Encoder::new().compress_vec(&raw).unwrap();
        let mut file = packed.clone();
        file.extend_from_slice(&block_trailer(&packed, Compression::Snappy));
        let h = BlockHandle { offset: 0, size: packed.len() as u64 };
        assert_eq!(&*read_block(&file, &h).unwrap(), &raw[..]);
        // A header claiming 2^32 bytes from a few bytes of input.
        let liar = [0x80, 0x80, 0x80, 0x80, 0x10, 0x00];
        let mut file = liar.to_vec();
        file.extend_from_slice(&block_trailer(&liar, Compression::Snappy));
        let e = read_block(&file, &BlockHandle { offset: 0, size: liar.len() as u64 }).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (Code::DataLoss, "corrupted compressed block contents"));
    }
}
