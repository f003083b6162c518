//! The framing of `tf.data.FixedLengthRecordDataset`: `header_bytes` skipped, then records of
//! `record_bytes` each, then `footer_bytes` ignored. Uncompressed files are checked up front
//! (the body must be a whole number of records, TF's INVALID_ARGUMENT text); compressed ones as
//! they are inflated, keeping a footer-sized lookahead (a partial last record is TF's DATA_LOSS).
//! A single-owner reader; no shared state.
//!
//! Where TF's iterator gets OUT_OF_RANGE from its stream (a header longer than the file), this
//! reader returns that OUT_OF_RANGE error; TF's dataset layer then reports it as INTERNAL
//! (`Iterator "..." returned OutOfRange`), which is the dataset kernel's business.

use super::{Compression, InputStream, open_file, open_stream};
use ferroflow_framework::{Error, Result};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// The arguments of `FixedLengthRecordDatasetV2` that shape the framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedLengthOptions {
    pub header_bytes: i64,
    pub record_bytes: i64,
    pub footer_bytes: i64,
    /// 0: 256 KiB.
    pub buffer_size: i64,
    pub compression: Compression,
}

impl FixedLengthOptions {
    pub fn new(record_bytes: i64) -> FixedLengthOptions {
        FixedLengthOptions { header_bytes: 0, record_bytes, footer_bytes: 0, buffer_size: 0, compression: Compression::None }
    }

    /// TF's argument checks, in TF's order and words.
    pub fn validate(&self) -> Result<()> {
        if self.header_bytes < 0 {
            return Err(Error::invalid_argument("`header_bytes` must be >= 0"));
        }
        if self.record_bytes <= 0 {
            return Err(Error::invalid_argument("`record_bytes` must be > 0"));
        }
        if self.footer_bytes < 0 {
            return Err(Error::invalid_argument("`footer_bytes` must be >= 0"));
        }
        if self.buffer_size < 0 {
            return Err(Error::invalid_argument("`buffer_size` must be >= 0"));
        }
        Ok(())
    }

    fn body_error(&self, path: &Path, body: u64) -> String {
        format!(
            "Excluding the header ({} bytes) and footer ({} bytes), input file \"{}\" has body length {body} bytes, \
             which is not an exact multiple of the record length ({} bytes).",
            self.header_bytes,
            self.footer_bytes,
            path.display(),
            self.record_bytes
        )
    }
}

enum Framing {
    /// Plain file: records until `limit` (file size less footer).
    Plain { pos: u64, limit: u64 },
    /// Inflated stream: `lookahead` holds the bytes read past the last record (footer-sized).
    Inflated { pos: u64, lookahead: Vec<u8> },
}

/// Reads one file's fixed-length records.
pub struct FixedLengthRecordReader {
    stream: InputStream<BufReader<File>>,
    framing: Framing,
    options: FixedLengthOptions,
    path: std::path::PathBuf,
    done: bool,
}

impl FixedLengthRecordReader {
    /// Opens `path` and positions after its header, as TF's iterator does when it moves to a file.
    pub fn open(path: &Path, options: &FixedLengthOptions) -> Result<FixedLengthRecordReader> {
        options.validate()?;
        let capacity = super::buffer_capacity(options.buffer_size);
        let header = options.header_bytes as u64;
        let footer = options.footer_bytes as u64;
        let (mut stream, framing) = match options.compression {
            Compression::None => {
                let file = open_file(path)?;
                let size = file.metadata().map_err(|e| super::from_io(&path.display().to_string(), &e))?.len();
                // TF computes these in unsigned 64-bit arithmetic, wrapping included.
                let body = size.wrapping_sub(header.wrapping_add(footer));
                if body % options.record_bytes as u64 != 0 {
                    return Err(Error::invalid_argument(options.body_error(path, body)));
                }
                let stream = InputStream::Plain(BufReader::with_capacity(capacity, file));
                (stream, Framing::Plain { pos: 0, limit: size.saturating_sub(footer) })
            }
            c => (open_stream(path, c, capacity)?, Framing::Inflated { pos: 0, lookahead: Vec::new() }),
        };
        let eof = || Error::out_of_range(stream_eof_message(options.compression));
        if stream.skip_up_to(header)? < header {
            return Err(eof());
        }
        let framing = match framing {
            Framing::Plain { limit, .. } => Framing::Plain { pos: header, limit },
            Framing::Inflated { .. } => {
                let lookahead = stream.read_up_to(footer)?;
                if (lookahead.len() as u64) < footer {
                    return Err(eof());
                }
                Framing::Inflated { pos: header + footer, lookahead }
            }
        };
        Ok(FixedLengthRecordReader { stream, framing, options: options.clone(), path: path.to_path_buf(), done: false })
    }

    /// The next record, `None` after the last.
    pub fn read_record(&mut self) -> Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        let record_bytes = self.options.record_bytes as u64;
        match &mut self.framing {
            Framing::Plain { pos, limit } => {
                if *pos >= *limit {
                    self.done = true;
                    return Ok(None);
                }
                let record = self.stream.read_up_to(record_bytes)?;
                if (record.len() as u64) < record_bytes {
                    // The file shrank after it was measured.
                    return Err(Error::out_of_range("Read less bytes than requested"));
                }
                *pos += record_bytes;
                Ok(Some(record))
            }
            Framing::Inflated { pos, lookahead } => {
                let read = self.stream.read_up_to(record_bytes)?;
                if read.is_empty() {
                    self.done = true;
                    return Ok(None);
                }
                if (read.len() as u64) < record_bytes {
                    let header_and_footer = (self.options.header_bytes + self.options.footer_bytes) as u64;
                    let body = (*pos + read.len() as u64).wrapping_sub(header_and_footer);
                    return Err(Error::data_loss(self.options.body_error(&self.path, body)));
                }
                *pos += record_bytes;
                lookahead.extend_from_slice(&read);
                let rest = lookahead.split_off(record_bytes as usize);
                Ok(Some(std::mem::replace(lookahead, rest)))
            }
        }
    }
}

fn stream_eof_message(compression: Compression) -> &'static str {
    match compression {
        Compression::None => "Read less bytes than requested",
        _ => "EOF reached",
    }
}

impl Iterator for FixedLengthRecordReader {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Result<Vec<u8>>> {
        let item = self.read_record();
        if item.is_err() {
            self.done = true;
        }
        item.transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::DeflateWriter;
    use ferroflow_framework::Code;

    fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ferroflow-io-fixed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn read(path: &Path, header: i64, record: i64, footer: i64, compression: Compression) -> Result<Vec<Vec<u8>>> {
        let options = FixedLengthOptions { header_bytes: header, record_bytes: record, footer_bytes: footer, buffer_size: 0, compression };
        FixedLengthRecordReader::open(path, &options)?.collect()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut w = DeflateWriter::new(Vec::new(), Compression::Gzip, -1, 64).unwrap();
        w.append(bytes).unwrap();
        w.finish().unwrap();
        w.into_inner()
    }

    #[test]
    fn frames_plain_and_compressed_files_alike() {
        let bytes: Vec<u8> = (0..23).collect();
        let plain = temp_file("plain.bin", &bytes);
        let zipped = temp_file("zipped.gz", &gzip(&bytes));
        for (path, c) in [(&plain, Compression::None), (&zipped, Compression::Gzip)] {
            let records = read(path, 3, 4, 4, c).unwrap();
            assert_eq!(records, vec![vec![3, 4, 5, 6], vec![7, 8, 9, 10], vec![11, 12, 13, 14], vec![15, 16, 17, 18]]);
            assert_eq!(read(path, 0, 23, 0, c).unwrap(), vec![bytes.clone()]);
            assert_eq!(read(path, 3, 4, 20, c).unwrap(), Vec::<Vec<u8>>::new());
        }
    }

    #[test]
    fn bad_bodies_and_short_files_fail_as_tf_does() {
        let bytes: Vec<u8> = (0..23).collect();
        let plain = temp_file("plain2.bin", &bytes);
        let e = read(&plain, 20, 4, 4, Compression::None).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        let want = format!(
            "Excluding the header (20 bytes) and footer (4 bytes), input file \"{}\" has body length 18446744073709551615 bytes, which is not an exact multiple of the record length (4 bytes).",
            plain.display()
        );
        assert_eq!(e.message, want);
        assert_eq!(read(&plain, 30, 1, 0, Compression::None).unwrap_err(), Error::out_of_range("Read less bytes than requested"));
        assert!(read(&plain, 23, 1, 0, Compression::None).unwrap().is_empty());
        let zipped = temp_file("zipped2.gz", &gzip(&bytes));
        let e = read(&zipped, 3, 4, 17, Compression::Gzip).unwrap_err();
        assert_eq!(e.code, Code::DataLoss);
        assert!(e.message.contains("has body length 3 bytes"), "{}", e.message);
        assert_eq!(read(&zipped, 20, 4, 4, Compression::Gzip).unwrap_err(), Error::out_of_range("EOF reached"));
        let e = read(&plain, 0, 0, 0, Compression::None).unwrap_err();
        assert_eq!(e.message, "`record_bytes` must be > 0");
    }
}
