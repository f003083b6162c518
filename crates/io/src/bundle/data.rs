//! The bytes of one tensor in a bundle's data file, as TF's `tensor_bundle.cc` writes them:
//! fixed-size elements as their raw little-endian bytes, checksummed as written; strings as
//! `varint64 len0 .. lenN-1`, a masked CRC-32C of the lengths (taken over each length as a
//! little-endian u32, or u64 past 4 GiB), then the string bytes; the entry's CRC covers the lengths
//! (as checksummed), the length checksum and the bytes. Pure functions over buffers.

use crate::crc;
use crate::table::format::{get_varint64, put_varint64};
use bytes::Bytes;
use ferroflow_framework::{DType, Error, Result, Tensor, TensorShape};
use std::io::Write;

/// Extends `crc` over a string length the way TF checksums it.
fn extend_with_length(crc: u32, len: u64, big_endian: bool) -> u32 {
    match (u32::try_from(len), big_endian) {
        (Ok(l), false) => crc::extend(crc, &l.to_le_bytes()),
        (Ok(l), true) => crc::extend(crc, &l.to_be_bytes()),
        (Err(_), false) => crc::extend(crc, &len.to_le_bytes()),
        (Err(_), true) => crc::extend(crc, &len.to_be_bytes()),
    }
}

/// Writes `t`'s stored form to `out`; returns the bytes written and the entry's (unmasked) CRC.
/// Resource tensors have no stored form (the writer refuses them before calling this).
pub fn write_tensor(t: &Tensor, out: &mut impl Write) -> std::io::Result<(u64, u32)> {
    if let Ok(strings) = t.strings() {
        let mut lengths = Vec::with_capacity(strings.len());
        let mut crc = 0;
        for s in strings {
            put_varint64(&mut lengths, s.len() as u64);
            crc = extend_with_length(crc, s.len() as u64, false);
        }
        let length_checksum = crc::mask(crc).to_le_bytes();
        crc = crc::extend(crc, &length_checksum);
        out.write_all(&lengths)?;
        out.write_all(&length_checksum)?;
        let mut written = lengths.len() as u64 + 4;
        for s in strings {
            out.write_all(s)?;
            crc = crc::extend(crc, s);
            written += s.len() as u64;
        }
        return Ok((written, crc));
    }
    let Some(bytes) = t.raw_bytes() else {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{} tensors have no stored form", t.dtype())));
    };
    out.write_all(bytes)?;
    Ok((bytes.len() as u64, crc::crc32c(bytes)))
}

/// Where a stored tensor came from, for error messages.
pub struct Stored {
    /// The entry's first byte in its data file.
    pub offset: u64,
    /// Whether the file holds big-endian data (the machine that wrote it was).
    pub big_endian: bool,
}

/// Decodes the `region` (exactly the entry's bytes) holding a `dtype` tensor of `shape`; returns
/// the tensor and the CRC TF computes over it. Sizes were checked against the entry beforehand.
pub fn read_tensor(dtype: DType, shape: TensorShape, region: Vec<u8>, at: &Stored) -> Result<(Tensor, u32)> {
    if dtype == DType::String {
        return read_strings(shape, &region, at);
    }
    let crc = crc::crc32c(&region);
    let mut bytes = region;
    let width = dtype.size().unwrap_or(1);
    if at.big_endian && width > 1 {
        bytes.chunks_exact_mut(width).for_each(|e| e.reverse());
    }
    Ok((Tensor::from_bytes(dtype, shape, Bytes::from(bytes))?, crc))
}

fn read_strings(shape: TensorShape, region: &[u8], at: &Stored) -> Result<(Tensor, u32)> {
    let n = shape.num_elements();
    if region.is_empty() {
        // TF reads nothing for an empty entry, leaving the strings empty.
        return Ok((Tensor::from_strings(shape, vec![Bytes::new(); n])?, 0));
    }
    let end = at.offset + region.len() as u64;
    let too_long = || Error::data_loss(format!("String lengths longer than expected offset {end}"));
    let mut input = region;
    // Each length takes at least one byte, and `n <= region.len()` was checked, so this is bounded.
    let mut lengths = Vec::with_capacity(n);
    let mut crc = 0;
    for _ in 0..n {
        let len = get_varint64(&mut input).ok_or_else(too_long)?;
        crc = extend_with_length(crc, len, at.big_endian);
        lengths.push(len);
    }
    let Some((raw_checksum, rest)) = input.split_first_chunk::<4>() else {
        return Err(too_long());
    };
    let stored = if at.big_endian { u32::from_be_bytes(*raw_checksum) } else { u32::from_le_bytes(*raw_checksum) };
    if crc::unmask(stored) != crc {
        return Err(Error::data_loss(format!(
            "The length checksum does not match: expected {:08} but actual is {crc:08}",
            crc::unmask(stored)
        )));
    }
    crc = crc::extend(crc, raw_checksum);
    let total: u64 = lengths.iter().try_fold(0u64, |acc, &l| acc.checked_add(l)).unwrap_or(u64::MAX);
    if total > rest.len() as u64 {
        return Err(Error::data_loss(format!(
            "String bytes longer than expected offset {end}: {total} bytes of strings, {} stored",
            rest.len()
        )));
    }
    let mut strings = Vec::with_capacity(n);
    let mut input = rest;
    for len in lengths {
        let (s, tail) = input.split_at(len as usize);
        crc = crc::extend(crc, s);
        strings.push(Bytes::copy_from_slice(s));
        input = tail;
    }
    Ok((Tensor::from_strings(shape, strings)?, crc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroflow_framework::Code;

    const AT: Stored = Stored { offset: 12, big_endian: false };

    #[test]
    fn strings_are_stored_as_tensorflow_stores_them() {
        // Bytes TF 2.21 wrote for tf.constant(["ab", "c"]) (entry crc 0xd830d55f masked).
        let t = Tensor::from_strings(vec![2], vec![Bytes::from_static(b"ab"), Bytes::from_static(b"c")]).unwrap();
        let mut out = Vec::new();
        let (n, crc) = write_tensor(&t, &mut out).unwrap();
        assert_eq!(out, [0x02, 0x01, 0x03, 0x71, 0x7c, 0x67, b'a', b'b', b'c']);
        assert_eq!((n, crc::mask(crc)), (9, 0x5fd8_30d5));
        let (back, crc2) = read_tensor(DType::String, TensorShape::vector(2), out.clone(), &AT).unwrap();
        assert_eq!(crc2, crc);
        assert!(back.same_contents(&t));
    }

    #[test]
    fn numbers_are_raw_bytes_and_big_endian_files_are_swapped() {
        let t = Tensor::from_vec(vec![3], vec![1.0f32, 2.0, 3.0]).unwrap();
        let mut out = Vec::new();
        let (n, crc) = write_tensor(&t, &mut out).unwrap();
        assert_eq!((n, crc::mask(crc)), (12, 0x7189_5b73));
        let be: Vec<u8> = [1.0f32, 2.0, 3.0].iter().flat_map(|v| v.to_be_bytes()).collect();
        let at = Stored { big_endian: true, ..AT };
        let (back, _) = read_tensor(DType::Float, TensorShape::vector(3), be, &at).unwrap();
        assert_eq!(back.to_vec::<f32>().unwrap(), [1.0, 2.0, 3.0]);
    }

    #[test]
    fn damaged_strings_are_data_loss() {
        let t = Tensor::from_strings(vec![2], vec![Bytes::from_static(b"ab"), Bytes::from_static(b"c")]).unwrap();
        let mut good = Vec::new();
        write_tensor(&t, &mut good).unwrap();
        let mut bad = good.clone();
        bad[0] = 0x03;
        let e = read_tensor(DType::String, TensorShape::vector(2), bad, &AT).unwrap_err();
        assert_eq!(e.code, Code::DataLoss);
        assert!(e.message.starts_with("The length checksum does not match: expected "), "{}", e.message);
        let e = read_tensor(DType::String, TensorShape::vector(2), good[..5].to_vec(), &AT).unwrap_err();
        assert_eq!(e.message, "String lengths longer than expected offset 17");
        let e = read_tensor(DType::String, TensorShape::vector(2), good[..8].to_vec(), &AT).unwrap_err();
        assert!(e.message.starts_with("String bytes longer than expected offset 20"), "{}", e.message);
        let e = read_tensor(DType::String, TensorShape::vector(3), vec![0x80, 0x80, 0x80], &AT).unwrap_err();
        assert_eq!(e.code, Code::DataLoss);
    }
}
