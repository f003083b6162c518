//! Blocks of a table: sorted key/value entries with prefix-compressed keys and a trailing array of
//! restart points (offsets of entries stored with their whole key), as TF's `block_builder.cc` and
//! `block.cc` define them. An entry is `varint32 shared, varint32 unshared, varint32 value_len,
//! key[shared..], value`. Plain data; a `Block` is immutable and may be shared between threads.

use super::format::{decode_fixed32, get_varint32, put_varint32};
use bytes::Bytes;
use ferroflow_framework::{Error, Result};

/// Builds one block's bytes from keys added in strictly increasing order.
#[derive(Debug)]
pub struct BlockBuilder {
    restart_interval: usize,
    buffer: Vec<u8>,
    restarts: Vec<u32>,
    counter: usize,
    last_key: Vec<u8>,
}

impl BlockBuilder {
    pub fn new(restart_interval: usize) -> BlockBuilder {
        BlockBuilder { restart_interval: restart_interval.max(1), buffer: Vec::new(), restarts: vec![0], counter: 0, last_key: Vec::new() }
    }

    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    /// The size of the block if it were finished now.
    pub fn size_estimate(&self) -> usize {
        self.buffer.len() + self.restarts.len() * 4 + 4
    }

    /// Appends an entry; the caller guarantees `key` sorts after the previous one.
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        let mut shared = 0;
        if self.counter < self.restart_interval {
            shared = self.last_key.iter().zip(key).take_while(|(a, b)| a == b).count();
        } else {
            self.restarts.push(self.buffer.len() as u32);
            self.counter = 0;
        }
        put_varint32(&mut self.buffer, shared as u32);
        put_varint32(&mut self.buffer, (key.len() - shared) as u32);
        put_varint32(&mut self.buffer, value.len() as u32);
        self.buffer.extend_from_slice(&key[shared..]);
        self.buffer.extend_from_slice(value);
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.counter += 1;
    }

    /// The finished block (entries, restart array, restart count); the builder starts over empty.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buffer);
        for r in &self.restarts {
            out.extend_from_slice(&r.to_le_bytes());
        }
        out.extend_from_slice(&(self.restarts.len() as u32).to_le_bytes());
        self.restarts = vec![0];
        self.counter = 0;
        self.last_key.clear();
        out
    }
}

/// A parsed block over its contents (a cheap, shareable view).
#[derive(Debug, Clone)]
pub struct Block {
    data: Bytes,
    /// Offset of the restart array: entries occupy `data[..restart_offset]`.
    restart_offset: usize,
    num_restarts: usize,
}

fn corruption() -> Error {
    Error::data_loss("bad entry in block")
}

/// One decoded entry: how many key bytes it shares with the previous key, the rest of its key,
/// where its value lies and where the next entry starts.
struct RawEntry<'a> {
    shared: usize,
    delta: &'a [u8],
    value: std::ops::Range<usize>,
}

impl Block {
    pub fn new(data: Bytes) -> Result<Block> {
        if data.len() < 4 {
            return Err(Error::data_loss("bad block contents"));
        }
        let num_restarts = decode_fixed32(&data[data.len() - 4..]) as usize;
        if num_restarts > (data.len() - 4) / 4 {
            return Err(Error::data_loss("bad block contents"));
        }
        let restart_offset = data.len() - (1 + num_restarts) * 4;
        Ok(Block { data, restart_offset, num_restarts })
    }

    fn restart_point(&self, i: usize) -> usize {
        decode_fixed32(&self.data[self.restart_offset + 4 * i..]) as usize
    }

    /// Decodes the entry at `offset`, within the entry area only.
    fn decode_entry(&self, offset: usize) -> Result<RawEntry<'_>> {
        let limit = self.restart_offset;
        let mut p = self.data.get(offset..limit).ok_or_else(corruption)?;
        let shared = get_varint32(&mut p).ok_or_else(corruption)? as usize;
        let unshared = get_varint32(&mut p).ok_or_else(corruption)? as usize;
        let value_len = get_varint32(&mut p).ok_or_else(corruption)? as usize;
        if p.len() < unshared + value_len {
            return Err(corruption());
        }
        let delta_at = limit - p.len();
        let value_at = delta_at + unshared;
        Ok(RawEntry { shared, delta: &p[..unshared], value: value_at..value_at + value_len })
    }

    /// Entries in key order, each `(key, value)`; an error ends the iteration.
    pub fn iter(&self) -> BlockIter {
        BlockIter { block: self.clone(), offset: 0, key: Vec::new(), failed: self.num_restarts == 0 }
    }

    /// The first entry whose key is `>= target`, if any: binary search over the restart points,
    /// then a scan within the chosen restart interval.
    pub fn seek(&self, target: &[u8]) -> Result<Option<(Vec<u8>, Bytes)>> {
        if self.num_restarts == 0 {
            return Ok(None);
        }
        let (mut left, mut right) = (0, self.num_restarts - 1);
        while left < right {
            let mid = left + (right - left).div_ceil(2);
            let entry = self.decode_entry(self.restart_point(mid))?;
            if entry.shared != 0 {
                return Err(corruption());
            }
            if entry.delta < target {
                left = mid;
            } else {
                right = mid - 1;
            }
        }
        let it = BlockIter { block: self.clone(), offset: self.restart_point(left), key: Vec::new(), failed: false };
        for entry in it {
            let (key, value) = entry?;
            if key.as_slice() >= target {
                return Ok(Some((key, value)));
            }
        }
        Ok(None)
    }
}

/// Iterator over a block's entries, owning a view of the block.
pub struct BlockIter {
    block: Block,
    offset: usize,
    key: Vec<u8>,
    failed: bool,
}

impl Iterator for BlockIter {
    type Item = Result<(Vec<u8>, Bytes)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.offset >= self.block.restart_offset {
            return None;
        }
        let step = match self.block.decode_entry(self.offset) {
            Ok(e) if e.shared <= self.key.len() => {
                self.key.truncate(e.shared);
                self.key.extend_from_slice(e.delta);
                self.offset = e.value.end;
                Ok((self.key.clone(), self.block.data.slice(e.value)))
            }
            Ok(_) => Err(corruption()),
            Err(e) => Err(e),
        };
        self.failed = step.is_err();
        Some(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(keys: &[&str], interval: usize) -> Vec<u8> {
        let mut b = BlockBuilder::new(interval);
        for k in keys {
            b.add(k.as_bytes(), format!("v-{k}").as_bytes());
        }
        b.finish()
    }

    #[test]
    fn keys_share_prefixes_between_restarts() {
        let data = build(&["apple", "applesauce", "apply", "banana"], 2);
        // Restart points at entries 0 and 2; entry 1 shares "apple", entry 3 (after "apply") none.
        assert_eq!(&data[..3], &[0, 5, 7]);
        assert_eq!(decode_fixed32(&data[data.len() - 4..]), 2);
        let block = Block::new(Bytes::from(data.clone())).unwrap();
        let entries: Vec<_> = block.iter().map(|e| e.unwrap()).collect();
        let keys: Vec<_> = entries.iter().map(|(k, _)| String::from_utf8(k.clone()).unwrap()).collect();
        assert_eq!(keys, ["apple", "applesauce", "apply", "banana"]);
        assert_eq!(&entries[1].1[..], b"v-applesauce");
    }

    #[test]
    fn seek_finds_the_first_key_at_or_after_the_target() {
        let keys: Vec<String> = (0..40).map(|i| format!("k{:03}", i * 2)).collect();
        let refs: Vec<&str> = keys.iter().map(|s| s.as_str()).collect();
        let data = build(&refs, 16);
        let block = Block::new(Bytes::from(data.clone())).unwrap();
        assert_eq!(block.seek(b"k010").unwrap().unwrap().0, b"k010");
        assert_eq!(block.seek(b"k011").unwrap().unwrap().0, b"k012");
        assert_eq!(block.seek(b"").unwrap().unwrap().0, b"k000");
        assert!(block.seek(b"k999").unwrap().is_none());
    }

    #[test]
    fn corrupt_blocks_are_data_loss() {
        assert_eq!(Block::new(Bytes::from_static(&[1, 0])).unwrap_err().message, "bad block contents");
        assert_eq!(Block::new(Bytes::from_static(&[9, 0, 0, 0])).unwrap_err().message, "bad block contents");
        let mut data = build(&["a", "b"], 16);
        data[1] = 60; // unshared length past the end of the entries
        let block = Block::new(Bytes::from(data.clone())).unwrap();
        let first = block.iter().next().unwrap().unwrap_err();
        assert_eq!(first.message, "bad entry in block");
        let mut data = build(&["a", "b"], 16);
        data[7] = 3; // the second entry claims to share 3 bytes of a 1-byte key
        let block = Block::new(Bytes::from(data.clone())).unwrap();
        let results: Vec<_> = block.iter().collect();
        assert_eq!(results.len(), 2);
        assert!(results[1].is_err());
        assert!(Block::new(Bytes::from_static(&[0, 0, 0, 0])).unwrap().iter().next().is_none());
    }
}
