//! TFRecord files, byte-compatible with TF's `RecordWriter` / `RecordReader`. Each record is
//!
//! ```text
//! uint64 length (little endian) | uint32 masked_crc32c(length) | data[length] | uint32 masked_crc32c(data)
//! ```
//!
//! optionally inside one ZLIB or GZIP stream. Uncompressed files are byte-identical to TF's.
//! Reading reports what `tf.data.TFRecordDataset` reports: a file ending inside a record's length
//! header is a normal end; one ending inside its data is DATA_LOSS `truncated record at N' failed
//! with ...`; a bad checksum is DATA_LOSS `corrupted record at N` (with TF's "(Is this even a
//! TFRecord file?)" when N is 0). Single-owner values; no shared state.

use super::{Compression, DEFAULT_BUFFER_SIZE, DeflateWriter, InputStream, from_io, open_stream};
use crate::crc;
use ferroflow_framework::{Error, Result};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

/// Bytes before a record's data: its length and the length's masked CRC.
pub const HEADER_SIZE: u64 = 12;
/// Bytes after a record's data: the data's masked CRC.
pub const FOOTER_SIZE: u64 = 4;

/// The 12-byte header TF writes before a record of `len` bytes.
pub fn record_header(len: u64) -> [u8; 12] {
    let mut header = [0u8; 12];
    header[..8].copy_from_slice(&len.to_le_bytes());
    let masked = crc::mask(crc::crc32c(&header[..8]));
    header[8..].copy_from_slice(&masked.to_le_bytes());
    header
}

/// The 4-byte footer TF writes after `data`.
pub fn record_footer(data: &[u8]) -> [u8; 4] {
    crc::mask(crc::crc32c(data)).to_le_bytes()
}

/// What `tf.io.TFRecordOptions` can say that ferroflow honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordWriterOptions {
    pub compression: Compression,
    /// zlib level for ZLIB/GZIP: -1 (zlib's default, TF's default) or 0..=9.
    pub compression_level: i32,
    /// Compressed bytes buffered before they go to the file (TF's `output_buffer_size`).
    pub buffer_size: usize,
}

impl Default for RecordWriterOptions {
    fn default() -> RecordWriterOptions {
        RecordWriterOptions { compression: Compression::None, compression_level: -1, buffer_size: DEFAULT_BUFFER_SIZE }
    }
}

impl RecordWriterOptions {
    pub fn compressed(compression: Compression) -> RecordWriterOptions {
        RecordWriterOptions { compression, ..Default::default() }
    }
}

enum Sink<W: Write> {
    Plain(W),
    Deflate(DeflateWriter<W>),
}

/// Writes TFRecord records to `W`.
pub struct RecordWriter<W: Write> {
    sink: Option<Sink<W>>,
    /// The file name, for error messages (empty for other sinks).
    name: String,
}

const CLOSED: &str = "Writer not initialized or previously closed";

impl RecordWriter<BufWriter<File>> {
    /// Creates (truncating) the file at `path`, as `tf.io.TFRecordWriter(path, options)` does.
    pub fn create(path: &Path, options: RecordWriterOptions) -> Result<RecordWriter<BufWriter<File>>> {
        let name = path.display().to_string();
        let file = File::create(path).map_err(|e| from_io(&name, &e))?;
        let mut writer = RecordWriter::new(BufWriter::new(file), options)?;
        writer.name = name;
        Ok(writer)
    }

    /// Flushes and then syncs the file to its storage (TF's `Sync`).
    pub fn sync(&mut self) -> Result<()> {
        self.flush()?;
        let file = match self.sink.as_ref() {
            Some(Sink::Plain(w)) => w.get_ref(),
            Some(Sink::Deflate(d)) => d.get_ref().get_ref(),
            None => return Err(Error::failed_precondition(CLOSED)),
        };
        file.sync_data().map_err(|e| from_io(&self.name, &e))
    }
}

impl<W: Write> RecordWriter<W> {
    pub fn new(inner: W, options: RecordWriterOptions) -> Result<RecordWriter<W>> {
        let sink = match options.compression {
            Compression::None => Sink::Plain(inner),
            c => Sink::Deflate(DeflateWriter::new(inner, c, options.compression_level, options.buffer_size)?),
        };
        Ok(RecordWriter { sink: Some(sink), name: String::new() })
    }

    fn io(&self, e: std::io::Error) -> Error {
        from_io(&self.name, &e)
    }

    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        match self.sink.as_mut() {
            Some(Sink::Plain(w)) => {
                let r = w.write_all(bytes);
                r.map_err(|e| self.io(e))
            }
            Some(Sink::Deflate(d)) => d.append(bytes),
            None => Err(Error::failed_precondition(CLOSED)),
        }
    }

    /// Appends one record.
    pub fn write_record(&mut self, data: &[u8]) -> Result<()> {
        if self.sink.is_none() {
            return Err(Error::failed_precondition(CLOSED));
        }
        self.append(&record_header(data.len() as u64))?;
        self.append(data)?;
        self.append(&record_footer(data))
    }

    /// Hands everything written so far to the underlying writer and flushes it.
    pub fn flush(&mut self) -> Result<()> {
        match self.sink.as_mut() {
            Some(Sink::Plain(w)) => {
                let r = w.flush();
                r.map_err(|e| self.io(e))
            }
            Some(Sink::Deflate(d)) => d.flush_stream(),
            None => Err(Error::failed_precondition(CLOSED)),
        }
    }

    /// Ends the file (a compressed stream gets its trailer) and returns the underlying writer.
    /// Later writes are FAILED_PRECONDITION.
    pub fn close(&mut self) -> Result<Option<W>> {
        match self.sink.take() {
            Some(Sink::Plain(mut w)) => {
                w.flush().map_err(|e| self.io(e))?;
                Ok(Some(w))
            }
            Some(Sink::Deflate(mut d)) => {
                d.finish()?;
                Ok(Some(d.into_inner()))
            }
            None => Ok(None),
        }
    }
}

impl<W: Write> Drop for RecordWriter<W> {
    /// As TF's destructor: closes, so a compressed file still gets its trailer.
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::error!("Could not finish writing file: {e}");
        }
    }
}

/// Reads TFRecord records from a stream.
pub struct RecordReader<R: Read> {
    stream: InputStream<R>,
    /// Offset of the next record in the (uncompressed) stream.
    offset: u64,
    /// The first error; every later read repeats it.
    failed: Option<Error>,
    eof: bool,
}

impl RecordReader<BufReader<File>> {
    /// Opens `path` as `tf.data.TFRecordDataset(path, compression_type, buffer_size)` reads it
    /// (`buffer_size` 0 or negative: 256 KiB).
    pub fn open(path: &Path, compression: Compression, buffer_size: i64) -> Result<RecordReader<BufReader<File>>> {
        let stream = open_stream(path, compression, super::buffer_capacity(buffer_size))?;
        Ok(RecordReader { stream, offset: 0, failed: None, eof: false })
    }
}

impl<R: Read> RecordReader<R> {
    pub fn new(inner: R, compression: Compression) -> RecordReader<R> {
        RecordReader { stream: InputStream::new(inner, compression, DEFAULT_BUFFER_SIZE), offset: 0, failed: None, eof: false }
    }

    /// Offset of the next record, in uncompressed bytes from the start of the stream.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next record, `None` at the end of the stream.
    pub fn read_record(&mut self) -> Result<Option<Vec<u8>>> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.eof {
            return Ok(None);
        }
        match self.read_next() {
            Ok(None) => {
                self.eof = true;
                Ok(None)
            }
            Ok(Some(r)) => Ok(Some(r)),
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    fn read_next(&mut self) -> Result<Option<Vec<u8>>> {
        let offset = self.offset;
        let suffix = if offset == 0 { " (Is this even a TFRecord file?)" } else { "" };
        let header = self.stream.read_up_to(HEADER_SIZE)?;
        if (header.len() as u64) < HEADER_SIZE {
            // TF's reader reports a short header as the end of the file.
            return Ok(None);
        }
        let (len_bytes, crc_bytes) = header.split_at(8);
        if crc::unmask(u32::from_le_bytes(crc_bytes.try_into().unwrap())) != crc::crc32c(len_bytes) {
            return Err(Error::data_loss(format!("corrupted record at {offset}{suffix}")));
        }
        let length = u64::from_le_bytes(len_bytes.try_into().unwrap());
        if length >= usize::MAX as u64 - FOOTER_SIZE {
            return Err(Error::data_loss("record size too large"));
        }
        let mut data = self.stream.read_up_to(length + FOOTER_SIZE)?;
        if (data.len() as u64) < length + FOOTER_SIZE {
            let why = self.stream.short_read_message();
            return Err(Error::data_loss(format!("truncated record at {offset}' failed with {why}")));
        }
        let footer = data.split_off(length as usize);
        if crc::unmask(u32::from_le_bytes(footer[..4].try_into().unwrap())) != crc::crc32c(&data) {
            return Err(Error::data_loss(format!("corrupted record at {}", offset + HEADER_SIZE)));
        }
        self.offset = offset + HEADER_SIZE + length + FOOTER_SIZE;
        Ok(Some(data))
    }
}

impl<R: Read> Iterator for RecordReader<R> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Result<Vec<u8>>> {
        if self.failed.is_some() && self.eof {
            return None;
        }
        match self.read_record() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => None,
            Err(e) => {
                // An iterator yields an error once, then ends.
                self.eof = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroflow_framework::Code;

    fn write(records: &[&[u8]], compression: Compression) -> Vec<u8> {
        let mut w = RecordWriter::new(Vec::new(), RecordWriterOptions::compressed(compression)).unwrap();
        for r in records {
            w.write_record(r).unwrap();
        }
        w.close().unwrap().unwrap()
    }

    fn read(bytes: &[u8], compression: Compression) -> Result<Vec<Vec<u8>>> {
        RecordReader::new(bytes, compression).collect()
    }

    /// What TF 2.21's `tf.io.TFRecordWriter` wrote for [b"hello", b"", b"world!!"].
    const TF_BYTES: &str = "0500000000000000eab2043e68656c6c6fbb1f1c19000000000000000029039807d8ea82a20700000000000000bbd79f11776f726c6421217754cd5a";

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn uncompressed_files_are_byte_identical_to_tf() {
        let ours = write(&[b"hello", b"", b"world!!"], Compression::None);
        assert_eq!(ours, unhex(TF_BYTES));
        assert_eq!(read(&ours, Compression::None).unwrap(), vec![b"hello".to_vec(), vec![], b"world!!".to_vec()]);
    }

    #[test]
    fn compressed_files_round_trip() {
        for c in [Compression::Zlib, Compression::Gzip] {
            let bytes = write(&[b"a", b"bb", &[7u8; 1000]], c);
            assert_eq!(read(&bytes, c).unwrap(), vec![b"a".to_vec(), b"bb".to_vec(), vec![7u8; 1000]]);
        }
    }

    #[test]
    fn truncation_and_corruption_are_reported_as_tf_does() {
        let bytes = unhex(TF_BYTES);
        // Cut inside the last record's header: the end of the file.
        for cut in [37, 40, 48] {
            assert_eq!(read(&bytes[..cut], Compression::None).unwrap().len(), 2, "cut at {cut}");
        }
        // Cut inside its data: DATA_LOSS naming the record's offset.
        for cut in [49, 55, 59] {
            let e = read(&bytes[..cut], Compression::None).unwrap_err();
            assert_eq!(e, Error::data_loss("truncated record at 37' failed with Read less bytes than requested"));
        }
        let mut bad = bytes.clone();
        bad[20] ^= 1;
        assert_eq!(read(&bad, Compression::None).unwrap_err(), Error::data_loss("corrupted record at 12"));
        let mut bad = bytes.clone();
        bad[0] ^= 1;
        let e = read(&bad, Compression::None).unwrap_err();
        assert_eq!(e, Error::data_loss("corrupted record at 0 (Is this even a TFRecord file?)"));
        let mut bad = bytes.clone();
        bad[21] ^= 1;
        assert_eq!(read(&bad, Compression::None).unwrap_err(), Error::data_loss("corrupted record at 21"));
    }

    #[test]
    fn a_huge_length_with_a_valid_checksum_allocates_nothing_it_cannot_fill() {
        let mut bytes = record_header(1 << 50).to_vec();
        bytes.extend_from_slice(b"short");
        let e = read(&bytes, Compression::None).unwrap_err();
        assert_eq!(e.message, "truncated record at 0' failed with Read less bytes than requested");
        let e = read(&record_header(u64::MAX), Compression::None).unwrap_err();
        assert_eq!(e, Error::data_loss("record size too large"));
    }

    #[test]
    fn compressed_truncation_says_eof_reached() {
        let bytes = write(&[&[1u8; 40]], Compression::Zlib);
        let mut plain = record_header(40).to_vec();
        plain.extend_from_slice(&[1u8; 10]);
        let mut w = DeflateWriter::new(Vec::new(), Compression::Zlib, -1, 64).unwrap();
        w.append(&plain).unwrap();
        w.finish().unwrap();
        let e = read(w.get_ref(), Compression::Zlib).unwrap_err();
        assert_eq!(e, Error::data_loss("truncated record at 0' failed with EOF reached"));
        assert_eq!(read(&bytes, Compression::Zlib).unwrap().len(), 1);
        assert_eq!(read(&bytes, Compression::None).unwrap_err().code, Code::DataLoss);
    }

    #[test]
    fn errors_repeat_and_closed_writers_refuse_writes() {
        let mut r = RecordReader::new(&[0u8; 20][..], Compression::None);
        let first = r.read_record().unwrap_err();
        assert_eq!(r.read_record().unwrap_err(), first);
        let mut w = RecordWriter::new(Vec::new(), RecordWriterOptions::default()).unwrap();
        w.close().unwrap();
        assert_eq!(w.write_record(b"x").unwrap_err().code, Code::FailedPrecondition);
    }
}
