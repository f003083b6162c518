//! TF's ZLIB and GZIP streams: [`InflateReader`] reads as TF's `ZlibInputStream` does and
//! [`DeflateWriter`] writes as its `ZlibOutputBuffer` does (window bits 15, zlib's default level
//! unless told otherwise, `Flush` a partial flush, `Close` the end of the stream). Compressed bytes
//! are not byte-identical to TF's (a different deflate implementation), but each side reads the
//! other's. Single-owner values; no shared state.
//!
//! Reading follows TF where it matters for what a dataset yields: a stream cut short ends quietly
//! after the bytes that could be inflated; a GZIP stream may hold several members; a ZLIB stream
//! ends at its first end marker; corrupt data is DATA_LOSS `inflate() failed with error -3: <zlib's
//! reason>`.

use super::{Compression, from_io, to_io};
use ferroflow_framework::{Error, Result};
use flate2::{Compress, Decompress, FlushCompress, FlushDecompress, Status};
use std::io::{self, Read, Write};

/// zlib's return code for data errors, as TF's messages quote it.
const Z_DATA_ERROR: i32 = -3;
/// zlib's return code when a preset dictionary is needed.
const Z_NEED_DICT: i32 = 2;

fn new_decoder(compression: Compression) -> Decompress {
    match compression {
        Compression::Gzip => Decompress::new_gzip(15),
        _ => Decompress::new(true),
    }
}

/// Inflates a ZLIB or GZIP stream read from `R`.
pub struct InflateReader<R> {
    inner: R,
    compression: Compression,
    decoder: Decompress,
    input: Vec<u8>,
    in_pos: usize,
    input_eof: bool,
    /// A ZLIB stream reached its end marker: what follows is never read.
    finished: bool,
    /// The first error; every later read repeats it.
    failed: Option<Error>,
}

impl<R: Read> InflateReader<R> {
    /// A reader of `compression` (ZLIB or GZIP) data from `inner`, reading `buffer_size` compressed
    /// bytes at a time.
    pub fn new(inner: R, compression: Compression, buffer_size: usize) -> InflateReader<R> {
        InflateReader {
            inner,
            compression,
            decoder: new_decoder(compression),
            input: Vec::with_capacity(buffer_size.max(64)),
            in_pos: 0,
            input_eof: false,
            finished: false,
            failed: None,
        }
    }

    /// Moves unread input to the front and reads more behind it.
    fn refill(&mut self) -> Result<()> {
        self.input.drain(..self.in_pos);
        self.in_pos = 0;
        let start = self.input.len();
        let capacity = self.input.capacity();
        if start == capacity {
            self.input.reserve(capacity);
        }
        self.input.resize(self.input.capacity(), 0);
        let n = loop {
            match self.inner.read(&mut self.input[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.input.truncate(start);
                    return Err(from_io("", &e));
                }
            }
        };
        self.input.truncate(start + n);
        if n == 0 {
            self.input_eof = true;
        }
        Ok(())
    }

    fn inflate_some(&mut self, out: &mut [u8]) -> Result<usize> {
        loop {
            if self.finished {
                return Ok(0);
            }
            if self.in_pos == self.input.len() {
                if self.input_eof {
                    return Ok(0);
                }
                self.refill()?;
                continue;
            }
            let (in_before, out_before) = (self.decoder.total_in(), self.decoder.total_out());
            let status = self.decoder.decompress(&self.input[self.in_pos..], out, FlushDecompress::None);
            let consumed = (self.decoder.total_in() - in_before) as usize;
            let produced = (self.decoder.total_out() - out_before) as usize;
            self.in_pos += consumed;
            match status {
                Err(e) => {
                    let code = if e.needs_dictionary().is_some() { Z_NEED_DICT } else { Z_DATA_ERROR };
                    let reason = e.message().map(|m| format!(": {m}")).unwrap_or_default();
                    return Err(Error::data_loss(format!("inflate() failed with error {code}{reason}")));
                }
                Ok(Status::StreamEnd) => match self.compression {
                    // As TF: a GZIP stream restarts after each member; a ZLIB stream ends.
                    Compression::Gzip => self.decoder = new_decoder(Compression::Gzip),
                    _ => self.finished = true,
                },
                Ok(_) => {}
            }
            if produced > 0 {
                return Ok(produced);
            }
            if consumed == 0 && !self.finished {
                // No progress with what is buffered: it needs more input.
                if self.input_eof {
                    return Ok(0);
                }
                self.refill()?;
            }
        }
    }
}

impl<R: Read> Read for InflateReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(to_io(e.clone()));
        }
        if out.is_empty() {
            return Ok(0);
        }
        self.inflate_some(out).map_err(|e| {
            self.failed = Some(e.clone());
            to_io(e)
        })
    }
}

/// Compresses into a ZLIB or GZIP stream written to `W`.
pub struct DeflateWriter<W: Write> {
    inner: W,
    encoder: Compress,
    /// Compressed bytes not yet handed to `inner`; never grows past its capacity.
    out: Vec<u8>,
    finished: bool,
}

impl<W: Write> DeflateWriter<W> {
    /// A writer of `compression` (ZLIB or GZIP) data at zlib `level` (-1: zlib's default, 6; else
    /// 0..=9), buffering `buffer_size` compressed bytes.
    pub fn new(inner: W, compression: Compression, level: i32, buffer_size: usize) -> Result<DeflateWriter<W>> {
        let level = match level {
            -1 => flate2::Compression::default(),
            0..=9 => flate2::Compression::new(level as u32),
            _ => return Err(Error::invalid_argument(format!("deflateInit failed with status{}", -2))),
        };
        let encoder = match compression {
            Compression::Gzip => Compress::new_gzip(level, 15),
            Compression::Zlib => Compress::new(level, true),
            Compression::None => return Err(Error::internal("DeflateWriter needs ZLIB or GZIP compression")),
        };
        Ok(DeflateWriter { inner, encoder, out: Vec::with_capacity(buffer_size.max(64)), finished: false })
    }

    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The underlying writer (without finishing the stream).
    pub fn into_inner(self) -> W {
        self.inner
    }

    fn drain_output(&mut self) -> Result<()> {
        if !self.out.is_empty() {
            self.inner.write_all(&self.out).map_err(|e| from_io("", &e))?;
            self.out.clear();
        }
        Ok(())
    }

    /// Runs the encoder over `data` with `flush` until it has taken all input and, for a flush,
    /// written everything out.
    fn deflate(&mut self, mut data: &[u8], flush: FlushCompress) -> Result<Status> {
        loop {
            if self.out.len() == self.out.capacity() {
                self.drain_output()?;
            }
            let before = self.encoder.total_in();
            let status = self.encoder.compress_vec(data, &mut self.out, flush).map_err(|e| {
                let reason = e.message().map(|m| format!(": {m}")).unwrap_or_default();
                Error::data_loss(format!("deflate() failed with error {Z_DATA_ERROR}{reason}"))
            })?;
            data = &data[(self.encoder.total_in() - before) as usize..];
            let out_full = self.out.len() == self.out.capacity();
            let done = match flush {
                FlushCompress::None => data.is_empty(),
                FlushCompress::Finish => status == Status::StreamEnd,
                _ => data.is_empty() && !out_full,
            };
            if done {
                return Ok(status);
            }
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.finished {
            return Err(Error::failed_precondition("Writer not initialized or previously closed"));
        }
        Ok(())
    }

    /// Compresses `data` (TF's `Append`).
    pub fn append(&mut self, data: &[u8]) -> Result<()> {
        self.check_open()?;
        self.deflate(data, FlushCompress::None).map(|_| ())
    }

    /// A partial flush, then everything compressed so far goes to `inner`, which is flushed.
    pub fn flush_stream(&mut self) -> Result<()> {
        self.check_open()?;
        self.deflate(&[], FlushCompress::Partial)?;
        self.drain_output()?;
        self.inner.flush().map_err(|e| from_io("", &e))
    }

    /// Ends the stream (its trailer written and `inner` flushed); later appends fail.
    pub fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.deflate(&[], FlushCompress::Finish)?;
        self.finished = true;
        self.drain_output()?;
        self.inner.flush().map_err(|e| from_io("", &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compress(data: &[u8], compression: Compression, buffer: usize) -> Vec<u8> {
        let mut w = DeflateWriter::new(Vec::new(), compression, -1, buffer).unwrap();
        for chunk in data.chunks(7) {
            w.append(chunk).unwrap();
        }
        w.finish().unwrap();
        w.inner
    }

    fn inflate_all(data: &[u8], compression: Compression, buffer: usize) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        InflateReader::new(data, compression, buffer).read_to_end(&mut out).map_err(|e| from_io("", &e))?;
        Ok(out)
    }

    fn sample() -> Vec<u8> {
        (0..5000u32).flat_map(|i| (i % 251).to_le_bytes()).collect()
    }

    #[test]
    fn round_trips_both_formats_with_small_buffers() {
        let data = sample();
        for c in [Compression::Zlib, Compression::Gzip] {
            let z = compress(&data, c, 64);
            assert_eq!(inflate_all(&z, c, 64).unwrap(), data);
            assert_eq!(inflate_all(&z, c, 1 << 16).unwrap(), data);
        }
        let g = compress(b"x", Compression::Gzip, 64);
        assert_eq!(&g[..3], &[0x1f, 0x8b, 8], "gzip magic and deflate method");
        assert_eq!(compress(b"x", Compression::Zlib, 64)[0], 0x78, "zlib header");
    }

    #[test]
    fn gzip_members_concatenate_but_zlib_ends_at_its_first_stream() {
        let mut two = compress(b"hello ", Compression::Gzip, 64);
        two.extend(compress(b"world", Compression::Gzip, 64));
        assert_eq!(inflate_all(&two, Compression::Gzip, 64).unwrap(), b"hello world");
        let mut two = compress(b"hello ", Compression::Zlib, 64);
        two.extend(compress(b"world", Compression::Zlib, 64));
        assert_eq!(inflate_all(&two, Compression::Zlib, 64).unwrap(), b"hello ");
    }

    #[test]
    fn truncated_streams_end_quietly_and_corrupt_ones_are_data_loss() {
        let data = sample();
        let z = compress(&data, Compression::Zlib, 1 << 16);
        let cut = inflate_all(&z[..z.len() / 2], Compression::Zlib, 64).unwrap();
        assert!(!cut.is_empty() && data.starts_with(&cut));
        let e = inflate_all(b"not a zlib stream", Compression::Zlib, 64).unwrap_err();
        assert_eq!(e, Error::data_loss("inflate() failed with error -3: incorrect header check"));
        let e = inflate_all(&z, Compression::Gzip, 64).unwrap_err();
        assert_eq!(e, Error::data_loss("inflate() failed with error -3: incorrect header check"));
        assert_eq!(inflate_all(b"", Compression::Gzip, 64).unwrap(), b"");
    }

    #[test]
    fn flush_makes_everything_so_far_readable() {
        let mut w = DeflateWriter::new(Vec::new(), Compression::Gzip, -1, 64).unwrap();
        w.append(b"first part").unwrap();
        w.flush_stream().unwrap();
        assert_eq!(inflate_all(w.get_ref(), Compression::Gzip, 64).unwrap(), b"first part");
        w.finish().unwrap();
        assert_eq!(w.append(b"more").unwrap_err().code, ferroflow_framework::Code::FailedPrecondition);
    }
}
