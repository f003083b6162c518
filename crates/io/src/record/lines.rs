//! The line framing of `tf.data.TextLineDataset` (TF's `BufferedInputStream::ReadLine`): a line
//! ends at `\n`; every `\r` is dropped (so `\r\n` ends a line too); a last line without `\n` is
//! a line unless nothing but `\r`s remain. Lines may come from a ZLIB or GZIP stream. A
//! single-owner reader; no shared state.

use super::{Compression, InputStream, from_io, open_stream};
use ferroflow_framework::{Error, Result};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Reads lines as `TextLineDataset` yields them.
pub struct LineReader<R: Read> {
    stream: BufReader<InputStream<R>>,
    failed: Option<Error>,
}

impl LineReader<BufReader<File>> {
    /// Opens `path` as `tf.data.TextLineDataset(path, compression_type, buffer_size)` reads it
    /// (`buffer_size` 0: 256 KiB; negative: TF's INVALID_ARGUMENT).
    pub fn open(path: &Path, compression: Compression, buffer_size: i64) -> Result<LineReader<BufReader<File>>> {
        if buffer_size < 0 {
            return Err(Error::invalid_argument("`buffer_size` must be >= 0 (0 == default)"));
        }
        let capacity = super::buffer_capacity(buffer_size);
        Ok(LineReader { stream: BufReader::with_capacity(capacity, open_stream(path, compression, capacity)?), failed: None })
    }
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R, compression: Compression) -> LineReader<R> {
        let capacity = super::DEFAULT_BUFFER_SIZE;
        LineReader { stream: BufReader::with_capacity(capacity, InputStream::new(inner, compression, capacity)), failed: None }
    }

    /// The next line without its end (`\n`, `\r`s), `None` at the end of the stream. An error
    /// (corrupt compressed data) comes after the lines before it, and then repeats.
    pub fn read_line(&mut self) -> Result<Option<Vec<u8>>> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let mut line = Vec::new();
        loop {
            let buf = match self.stream.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let e = from_io("", &e);
                    self.failed = Some(e.clone());
                    return Err(e);
                }
            };
            if buf.is_empty() {
                return Ok(if line.is_empty() { None } else { Some(line) });
            }
            let (chunk, used, ended) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            line.extend(chunk.iter().copied().filter(|&b| b != b'\r'));
            self.stream.consume(used);
            if ended {
                return Ok(Some(line));
            }
        }
    }
}

impl<R: Read> Iterator for LineReader<R> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Result<Vec<u8>>> {
        if self.failed.is_some() {
            return None;
        }
        self.read_line().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::DeflateWriter;

    fn lines(bytes: &[u8], compression: Compression) -> Vec<Vec<u8>> {
        LineReader::new(bytes, compression).collect::<Result<_>>().unwrap()
    }

    #[test]
    fn frames_lines_as_text_line_dataset() {
        // TF 2.21 yields [b'a', b'bc', b'', b'', b'last'] for this file.
        let text = b"a\r\nb\rc\n\n\r\nlast\r";
        let want: Vec<Vec<u8>> = vec![b"a".to_vec(), b"bc".to_vec(), vec![], vec![], b"last".to_vec()];
        assert_eq!(lines(text, Compression::None), want);
        // ... and [b'x'] for this one: a trailing lone `\r` is no line.
        assert_eq!(lines(b"x\n\r", Compression::None), vec![b"x".to_vec()]);
        assert!(lines(b"", Compression::None).is_empty());
        let mut w = DeflateWriter::new(Vec::new(), Compression::Gzip, -1, 64).unwrap();
        w.append(text).unwrap();
        w.finish().unwrap();
        assert_eq!(lines(w.get_ref(), Compression::Gzip), want);
    }

    #[test]
    fn corrupt_compressed_input_fails_after_the_lines_before_it() {
        let mut r = LineReader::new(&b"plain text\n"[..], Compression::Zlib);
        let e = r.read_line().unwrap_err();
        assert_eq!(e, Error::data_loss("inflate() failed with error -3: incorrect header check"));
        assert_eq!(r.read_line().unwrap_err(), e);
    }
}
