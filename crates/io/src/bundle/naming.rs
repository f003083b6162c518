//! Names in and of a tensor bundle: its files (`PREFIX.index`, `PREFIX.data-00000-of-00001`), the
//! sharded names the `ShardedFilename`/`ShardedFilespec` ops produce, and the index key of a stored
//! slice (TF's `checkpoint::EncodeTensorNameSlice`, an order-preserving "ordered code" encoding of
//! `0, name, rank, start0, length0, ...`). Pure functions.

use super::slice::TensorSlice;

/// The index (metadata) file of the bundle at `prefix`.
pub fn meta_filename(prefix: &str) -> String {
    format!("{prefix}.index")
}

/// Data file `shard` of `num_shards` of the bundle at `prefix`.
pub fn data_filename(prefix: &str, shard: i32, num_shards: i32) -> String {
    format!("{prefix}.data-{shard:05}-of-{num_shards:05}")
}

/// `%s-%05d-of-%05d`, as the `ShardedFilename` op names shard files.
pub fn sharded_filename(base: &str, shard: i32, num_shards: i32) -> String {
    format!("{base}-{shard:05}-of-{num_shards:05}")
}

/// `%s-?????-of-%05d`, the glob the `ShardedFilespec` op gives for all shards.
pub fn sharded_filespec(base: &str, num_shards: i32) -> String {
    format!("{base}-?????-of-{num_shards:05}")
}

/// Ordered code of an unsigned number: a length byte, then the big-endian bytes without leading zeros.
fn write_num_increasing(dst: &mut Vec<u8>, v: u64) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    dst.push((8 - skip) as u8);
    dst.extend_from_slice(&bytes[skip..]);
}

/// Ordered code of a string: `\0` becomes `\0\xff`, `\xff` becomes `\xff\0`, then `\0\x01` ends it.
fn write_string(dst: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        match b {
            0x00 => dst.extend_from_slice(&[0x00, 0xff]),
            0xff => dst.extend_from_slice(&[0xff, 0x00]),
            _ => dst.push(b),
        }
    }
    dst.extend_from_slice(&[0x00, 0x01]);
}

/// Ordered code of a signed number: the value's big-endian two's complement bytes, with leading
/// sign bits replaced by a header (the sign bit, then one bit per extra byte, then a delimiter bit),
/// 1 to 10 bytes in all.
fn write_signed_num_increasing(dst: &mut Vec<u8>, v: i64) {
    let magnitude = if v < 0 { !v } else { v } as u64;
    // Bits needed besides the sign: the encoding of n bytes carries 7n - 1 of them.
    let bits = 64 - magnitude.leading_zeros() as usize;
    let len = bits / 7 + 1;
    let mut buf = [if v < 0 { 0xffu8 } else { 0 }; 10];
    buf[2..].copy_from_slice(&v.to_be_bytes());
    let begin = &mut buf[10 - len..];
    // Header bits for lengths 1..=10, over the first two bytes.
    const HEADER: [[u8; 2]; 11] = [
        [0, 0],
        [0x80, 0],
        [0xc0, 0],
        [0xe0, 0],
        [0xf0, 0],
        [0xf8, 0],
        [0xfc, 0],
        [0xfe, 0],
        [0xff, 0],
        [0xff, 0x80],
        [0xff, 0xc0],
    ];
    begin[0] ^= HEADER[len][0];
    if len > 1 {
        begin[1] ^= HEADER[len][1];
    }
    dst.extend_from_slice(begin);
}

/// The index key under which slice `slice` of tensor `name` is stored.
pub fn encode_tensor_name_slice(name: &str, slice: &TensorSlice) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.len() + 4 + 4 * slice.rank());
    write_num_increasing(&mut key, 0);
    write_string(&mut key, name.as_bytes());
    write_num_increasing(&mut key, slice.rank() as u64);
    for d in 0..slice.rank() {
        write_signed_num_increasing(&mut key, slice.start(d));
        write_signed_num_increasing(&mut key, slice.length(d));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(v: i64) -> Vec<u8> {
        let mut out = Vec::new();
        write_signed_num_increasing(&mut out, v);
        out
    }

    #[test]
    fn file_names_are_tensorflows() {
        assert_eq!(meta_filename("/d/ckpt-7"), "/d/ckpt-7.index");
        assert_eq!(data_filename("/d/ckpt-7", 1, 2), "/d/ckpt-7.data-00001-of-00002");
        assert_eq!(sharded_filename("/d/part", 3, 12), "/d/part-00003-of-00012");
        assert_eq!(sharded_filespec("/d/part", 12), "/d/part-?????-of-00012");
    }

    #[test]
    fn signed_numbers_follow_tensorflows_examples_and_sort_as_numbers() {
        // From TF's ordered_code.cc: 0x424242 -> f0 42 42 42, -0x800 -> 38 00.
        assert_eq!(signed(0x424242), [0xf0, 0x42, 0x42, 0x42]);
        assert_eq!(signed(-0x800), [0x38, 0x00]);
        assert_eq!(signed(0), [0x80]);
        assert_eq!(signed(-1), [0x7f]);
        assert_eq!(signed(63), [0xbf]);
        assert_eq!(signed(64), [0xc0, 0x40]);
        assert_eq!(signed(-64), [0x40]);
        assert_eq!(signed(i64::MAX).len(), 10);
        assert_eq!(signed(i64::MIN).len(), 10);
        let values = [i64::MIN, -1 << 40, -70000, -65, -64, -1, 0, 1, 63, 64, 8191, 8192, 1 << 40, i64::MAX];
        let encoded: Vec<Vec<u8>> = values.iter().map(|&v| signed(v)).collect();
        assert!(encoded.windows(2).all(|w| w[0] < w[1]), "{encoded:x?}");
    }

    #[test]
    fn slice_keys_escape_the_name() {
        let key = encode_tensor_name_slice("a\0b\u{ff}", &TensorSlice::parse("0,2:-").unwrap());
        // 0 | "a" \0\xff "b" then U+00FF's UTF-8 bytes (c3 bf) | sep | rank 2 | 0, 2 | 0, -1
        assert_eq!(key, [0x00, b'a', 0x00, 0xff, b'b', 0xc3, 0xbf, 0x00, 0x01, 0x01, 0x02, 0x80, 0x82, 0x80, 0x7f]);
        let mut s = Vec::new();
        write_string(&mut s, &[0xff]);
        assert_eq!(s, [0xff, 0x00, 0x00, 0x01]);
    }
}
