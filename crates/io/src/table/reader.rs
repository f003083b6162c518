//! Reading a table as TF's `Table` does: the footer locates the index block, whose entries map
//! separator keys to data block handles. Blocks are read and checksummed when first needed. The
//! table is an immutable view of the file's bytes, shareable between threads.

use super::block::{Block, BlockIter};
use super::format::{BlockHandle, FOOTER_LEN, Footer, read_block};
use bytes::Bytes;
use ferroflow_framework::{Error, Result};
use std::borrow::Cow;

/// An opened table over the whole file's bytes.
#[derive(Debug, Clone)]
pub struct Table {
    file: Bytes,
    index: Block,
}

impl Table {
    /// Opens a table: checks the footer and reads the index block.
    pub fn open(file: Bytes) -> Result<Table> {
        if file.len() < FOOTER_LEN {
            return Err(Error::data_loss("file is too short to be an sstable"));
        }
        let footer = Footer::decode(&file[file.len() - FOOTER_LEN..])?;
        let index = read_block_bytes(&file, &footer.index)?;
        Ok(Table { index: Block::new(index)?, file })
    }

    fn data_block(&self, index_value: &[u8]) -> Result<Block> {
        // Extra bytes after the handle are allowed, as TF allows them for future use.
        let mut input = index_value;
        let handle = BlockHandle::decode_from(&mut input)?;
        Block::new(read_block_bytes(&self.file, &handle)?)
    }

    /// All entries in key order; an error (a corrupt block) ends the iteration.
    pub fn iter(&self) -> TableIter<'_> {
        TableIter { table: self, index: self.index.iter(), block: None, failed: false }
    }

    /// The value stored under exactly `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Bytes>> {
        let Some((_, handle)) = self.index.seek(key)? else {
            return Ok(None);
        };
        Ok(self.data_block(&handle)?.seek(key)?.filter(|(k, _)| k == key).map(|(_, v)| v))
    }
}

fn read_block_bytes(file: &Bytes, handle: &BlockHandle) -> Result<Bytes> {
    Ok(match read_block(file, handle)? {
        Cow::Borrowed(contents) => file.slice_ref(contents),
        Cow::Owned(contents) => Bytes::from(contents),
    })
}

/// Iterator over a table's entries, block by block.
pub struct TableIter<'t> {
    table: &'t Table,
    index: BlockIter,
    block: Option<BlockIter>,
    failed: bool,
}

impl Iterator for TableIter<'_> {
    type Item = Result<(Vec<u8>, Bytes)>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.failed {
            if let Some(entry) = self.block.as_mut().and_then(|b| b.next()) {
                self.failed = entry.is_err();
                return Some(entry);
            }
            let step = match self.index.next()? {
                Ok((_, handle)) => self.table.data_block(&handle).map(|b| self.block = Some(b.iter())),
                Err(e) => Err(e),
            };
            if let Err(e) = step {
                self.failed = true;
                return Some(Err(e));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::builder::{TableBuilder, TableOptions};
    use super::super::format::Compression;
    use super::*;
    use ferroflow_framework::Code;

    fn build(n: usize, options: TableOptions) -> Vec<u8> {
        let mut b = TableBuilder::new(Vec::new(), options);
        for i in 0..n {
            b.add(format!("key{i:05}").as_bytes(), format!("value {i} ").repeat(i % 7).as_bytes()).unwrap();
        }
        b.finish().unwrap()
    }

    #[test]
    fn many_blocks_iterate_in_order_and_look_up() {
        for compression in [Compression::None, Compression::Snappy] {
            let options = TableOptions { block_size: 256, restart_interval: 4, compression };
            let table = Table::open(Bytes::from(build(500, options))).unwrap();
            let entries: Vec<_> = table.iter().map(|e| e.unwrap()).collect();
            assert_eq!(entries.len(), 500);
            for (i, (k, v)) in entries.iter().enumerate() {
                assert_eq!(k, format!("key{i:05}").as_bytes());
                assert_eq!(v, format!("value {i} ").repeat(i % 7).as_bytes());
            }
            assert_eq!(table.get(b"key00321").unwrap().unwrap(), "value 321 ".repeat(321 % 7).as_bytes());
            assert!(table.get(b"key00321x").unwrap().is_none());
            assert!(table.get(b"zzz").unwrap().is_none());
            assert!(table.get(b"").unwrap().is_none());
        }
    }

    #[test]
    fn an_empty_table_has_no_entries() {
        let table = Table::open(Bytes::from(build(0, TableOptions::default()))).unwrap();
        assert!(table.iter().next().is_none());
        assert!(table.get(b"a").unwrap().is_none());
    }

    #[test]
    fn oversized_values_get_blocks_of_their_own() {
        let options = TableOptions { block_size: 64, ..TableOptions::default() };
        let mut b = TableBuilder::new(Vec::new(), options);
        b.add(b"a", b"small").unwrap();
        b.add(b"b", &[7u8; 200]).unwrap();
        b.add(b"c", b"small").unwrap();
        let table = Table::open(Bytes::from(b.finish().unwrap())).unwrap();
        assert_eq!(table.index.iter().count(), 3);
        assert_eq!(table.get(b"b").unwrap().unwrap().len(), 200);
    }

    #[test]
    fn damage_anywhere_is_data_loss() {
        let file = build(300, TableOptions { block_size: 512, ..TableOptions::default() });
        let e = Table::open(Bytes::from(file[..40].to_vec())).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (Code::DataLoss, "file is too short to be an sstable"));
        let e = Table::open(Bytes::from(file[..file.len() - 1].to_vec())).unwrap_err();
        assert_eq!(e.message, "not an sstable (bad magic number)");
        // Every flipped byte is caught (by a block checksum, a handle or the magic), except in the
        // footer's padding and in the metaindex block and its handle, which TF never reads either.
        let footer_at = file.len() - FOOTER_LEN;
        let footer = Footer::decode(&file[footer_at..]).unwrap();
        let mut handles = Vec::new();
        footer.metaindex.encode_to(&mut handles);
        let meta_handle = footer_at..footer_at + handles.len();
        footer.index.encode_to(&mut handles);
        let meta = footer.metaindex.offset as usize..(footer.metaindex.offset + footer.metaindex.size) as usize + 5;
        let ignored = |pos: usize| (footer_at + handles.len()..file.len() - 8).contains(&pos) || meta.contains(&pos) || meta_handle.contains(&pos);
        let read_all = |bytes: Vec<u8>| Table::open(Bytes::from(bytes)).and_then(|t| t.iter().collect::<Result<Vec<_>>>());
        let intact = read_all(file.clone()).unwrap();
        for pos in 0..file.len() {
            let mut bad = file.clone();
            bad[pos] ^= 0x10;
            match read_all(bad) {
                Ok(entries) => assert!(ignored(pos) && entries == intact, "flipped byte {pos} went unnoticed"),
                Err(e) => assert_eq!(e.code, Code::DataLoss, "flipped byte {pos}: {e}"),
            }
        }
    }
}
