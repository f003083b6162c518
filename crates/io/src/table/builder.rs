//! Writing a table as TF's `TableBuilder` does: data blocks of about `block_size` bytes, an empty
//! metaindex block, an index block holding for each data block a short separator key and its
//! handle, then the footer. Same inputs give TF's bytes exactly. Single-threaded; owns its sink.

use super::block::BlockBuilder;
use super::format::{BlockHandle, Compression, Footer, block_trailer};
use ferroflow_framework::{Error, Result};
use std::io::Write;

/// How a table is laid out; the defaults are TF's.
#[derive(Debug, Clone, Copy)]
pub struct TableOptions {
    /// Approximate uncompressed bytes of entries per data block.
    pub block_size: usize,
    /// Entries between restart points (full keys) in data blocks.
    pub restart_interval: usize,
    /// How blocks are stored; TF writes tensor bundles uncompressed.
    pub compression: Compression,
}

impl Default for TableOptions {
    fn default() -> TableOptions {
        TableOptions { block_size: 262_144, restart_interval: 16, compression: Compression::None }
    }
}

/// Builds a table into `W` from entries added in strictly increasing key order.
pub struct TableBuilder<W: Write> {
    options: TableOptions,
    out: W,
    offset: u64,
    data_block: BlockBuilder,
    index_block: BlockBuilder,
    last_key: Vec<u8>,
    num_entries: u64,
    /// The handle of the last data block written, whose index entry waits for the next key.
    pending_handle: Option<BlockHandle>,
}

/// The shortest key `>= start` and `< limit`, as TF's comparator shortens index keys.
fn shortest_separator(start: &mut Vec<u8>, limit: &[u8]) {
    let diff = start.iter().zip(limit).take_while(|(a, b)| a == b).count();
    if diff < start.len().min(limit.len()) {
        let byte = start[diff];
        if byte < 0xff && byte + 1 < limit[diff] {
            start[diff] += 1;
            start.truncate(diff + 1);
        }
    }
}

/// The shortest key `>= key`.
fn short_successor(key: &mut Vec<u8>) {
    if let Some(i) = key.iter().position(|&b| b != 0xff) {
        key[i] += 1;
        key.truncate(i + 1);
    }
}

impl<W: Write> TableBuilder<W> {
    pub fn new(out: W, options: TableOptions) -> TableBuilder<W> {
        TableBuilder {
            options,
            out,
            offset: 0,
            data_block: BlockBuilder::new(options.restart_interval),
            index_block: BlockBuilder::new(1),
            last_key: Vec::new(),
            num_entries: 0,
            pending_handle: None,
        }
    }

    pub fn add(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        if self.num_entries > 0 {
            if key <= self.last_key.as_slice() {
                return Err(Error::invalid_argument(format!(
                    "table keys must be added in increasing order: {:?} after {:?}",
                    String::from_utf8_lossy(key),
                    String::from_utf8_lossy(&self.last_key)
                )));
            }
            if key.len() + value.len() >= 2 * self.options.block_size {
                self.flush()?;
            }
        }
        if value.len() > u32::MAX as usize || key.len() > u32::MAX as usize {
            return Err(Error::invalid_argument("table entries are limited to 4 GiB keys and values"));
        }
        if let Some(handle) = self.pending_handle.take() {
            shortest_separator(&mut self.last_key, key);
            let mut encoded = Vec::new();
            handle.encode_to(&mut encoded);
            self.index_block.add(&self.last_key, &encoded);
        }
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.num_entries += 1;
        self.data_block.add(key, value);
        if self.data_block.size_estimate() >= self.options.block_size {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.data_block.is_empty() {
            return Ok(());
        }
        let raw = self.data_block.finish();
        self.pending_handle = Some(self.write_block(&raw, self.options.compression)?);
        Ok(())
    }

    /// Writes a block (compressing it when asked and worth it) with its trailer.
    fn write_block(&mut self, raw: &[u8], compression: Compression) -> Result<BlockHandle> {
        let packed;
        let (contents, kind) = match compression {
            Compression::Snappy => {
                packed = snap::raw::Encoder::new().compress_vec(raw).ok();
                match &packed {
                    Some(p) if p.len() < raw.len() - raw.len() / 8 => (p.as_slice(), Compression::Snappy),
                    _ => (raw, Compression::None),
                }
            }
            Compression::None => (raw, Compression::None),
        };
        let handle = BlockHandle { offset: self.offset, size: contents.len() as u64 };
        self.write(contents)?;
        self.write(&block_trailer(contents, kind))?;
        Ok(handle)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(|e| Error::unknown(format!("writing a table: {e}")))?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Writes the last data block, the metaindex and index blocks and the footer; returns the sink.
    pub fn finish(mut self) -> Result<W> {
        self.flush()?;
        let metaindex = self.write_block(&BlockBuilder::new(self.options.restart_interval).finish(), self.options.compression)?;
        if let Some(handle) = self.pending_handle.take() {
            short_successor(&mut self.last_key);
            let mut encoded = Vec::new();
            handle.encode_to(&mut encoded);
            self.index_block.add(&self.last_key, &encoded);
        }
        let raw_index = self.index_block.finish();
        let index = self.write_block(&raw_index, self.options.compression)?;
        self.write(&Footer { metaindex, index }.encode())?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_short_and_between_their_neighbours() {
        let mut k = b"the quick brown fox".to_vec();
        shortest_separator(&mut k, b"the who");
        assert_eq!(k, b"the r");
        let mut k = b"abc".to_vec();
        shortest_separator(&mut k, b"abcd");
        assert_eq!(k, b"abc");
        let mut k = b"ab".to_vec();
        shortest_separator(&mut k, b"ac");
        assert_eq!(k, b"ab");
        let mut k = b"x".to_vec();
        short_successor(&mut k);
        assert_eq!(k, b"y");
        let mut k = vec![0xff, 0xff, 3];
        short_successor(&mut k);
        assert_eq!(k, vec![0xff, 0xff, 4]);
        let mut k = vec![0xff, 0xff];
        short_successor(&mut k);
        assert_eq!(k, vec![0xff, 0xff]);
    }

    #[test]
    fn keys_out_of_order_are_refused() {
        let mut b = TableBuilder::new(Vec::new(), TableOptions::default());
        b.add(b"b", b"1").unwrap();
        assert!(b.add(b"a", b"2").is_err());
        assert!(b.add(b"b", b"2").is_err());
    }
}
