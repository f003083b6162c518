//! TF's record-oriented input formats, framed exactly as TF 2.21 frames them:
//!
//! - [`tfrecord`]: TFRecord files (`tf.io.TFRecordWriter`, `tf.data.TFRecordDataset`): each record
//!   is its length, the masked CRC-32C of the length, the data and the masked CRC-32C of the data.
//! - [`lines`]: the line framing of `tf.data.TextLineDataset`.
//! - [`fixed_length`]: the framing of `tf.data.FixedLengthRecordDataset` (header, records, footer).
//! - [`zlib`]: TF's ZLIB and GZIP streams (`ZlibInputStream` / `ZlibOutputBuffer`), which all three
//!   formats may be wrapped in.
//!
//! Readers and writers are plain single-owner values working on the caller's thread (`Send` when
//! their stream is); nothing here spawns threads or shares state. Lengths read from files are never
//! trusted for allocation: buffers grow only with bytes actually read.

pub mod fixed_length;
pub mod lines;
pub mod tfrecord;
pub mod zlib;

use ferroflow_framework::{Code, Error, Result};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

pub use fixed_length::{FixedLengthOptions, FixedLengthRecordReader};
pub use lines::LineReader;
pub use tfrecord::{RecordReader, RecordWriter, RecordWriterOptions};
pub use zlib::{DeflateWriter, InflateReader};

/// The default buffer size of TF's record readers and zlib streams (256 KiB).
pub const DEFAULT_BUFFER_SIZE: usize = 256 << 10;

/// Largest buffer a caller-chosen `buffer_size` gets: the size only tunes I/O, so a huge request
/// (an op input) is capped instead of allocated.
const MAX_BUFFER_SIZE: usize = 16 << 20;

/// The buffer actually used for a requested `buffer_size` (0 or negative: TF's default).
pub(crate) fn buffer_capacity(requested: i64) -> usize {
    if requested <= 0 { DEFAULT_BUFFER_SIZE } else { (requested as u64).min(MAX_BUFFER_SIZE as u64) as usize }
}

/// How a file's bytes are compressed, as the `compression_type` strings of TF's datasets name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// `""`: plain bytes.
    #[default]
    None,
    /// `"ZLIB"`: one zlib stream (RFC 1950).
    Zlib,
    /// `"GZIP"`: gzip members (RFC 1952), concatenated members read as one stream.
    Gzip,
}

impl Compression {
    /// Parses `compression_type` as `TextLineDataset` and `FixedLengthRecordDataset` do: `""`,
    /// `"ZLIB"` or `"GZIP"`, anything else INVALID_ARGUMENT `Unsupported compression_type.`.
    pub fn parse(compression_type: &str) -> Result<Compression> {
        match compression_type {
            "" => Ok(Compression::None),
            "ZLIB" => Ok(Compression::Zlib),
            "GZIP" => Ok(Compression::Gzip),
            _ => Err(Error::invalid_argument("Unsupported compression_type.")),
        }
    }

    /// Parses `compression_type` as TF's record reader and writer options do: unknown names mean
    /// no compression (TF only logs them). `"SNAPPY"`, which TF reads and writes, is UNIMPLEMENTED.
    pub fn parse_for_records(compression_type: &str) -> Result<Compression> {
        match compression_type {
            "SNAPPY" => Err(Error::unimplemented("ferroflow does not support SNAPPY compressed TFRecord files")),
            other => Ok(Compression::parse(other).unwrap_or(Compression::None)),
        }
    }

    /// TF's name of the compression (`""`, `"ZLIB"`, `"GZIP"`).
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Zlib => "ZLIB",
            Compression::Gzip => "GZIP",
        }
    }
}

/// A byte stream as TF's record readers see a file: the bytes themselves or their inflated form.
pub enum InputStream<R: Read> {
    Plain(R),
    Inflate(Box<InflateReader<R>>),
}

impl<R: Read> InputStream<R> {
    pub fn new(inner: R, compression: Compression, buffer_size: usize) -> InputStream<R> {
        match compression {
            Compression::None => InputStream::Plain(inner),
            c => InputStream::Inflate(Box::new(InflateReader::new(inner, c, buffer_size))),
        }
    }

    /// The message TF's input stream gives when fewer bytes remain than were asked for.
    pub fn short_read_message(&self) -> &'static str {
        match self {
            InputStream::Plain(_) => "Read less bytes than requested",
            InputStream::Inflate(_) => "EOF reached",
        }
    }

    /// Reads up to `n` bytes; fewer only at the end of the stream. The buffer grows with the bytes
    /// that arrive, so an `n` taken from a corrupt file allocates nothing it does not fill.
    pub fn read_up_to(&mut self, n: u64) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        buf.try_reserve(n.min(64 << 10) as usize)
            .map_err(|_| Error::resource_exhausted(format!("Out of memory reading {n} bytes")))?;
        self.by_ref().take(n).read_to_end(&mut buf).map_err(|e| from_io("", &e))?;
        Ok(buf)
    }

    /// Skips up to `n` bytes, returning how many were skipped.
    pub fn skip_up_to(&mut self, n: u64) -> Result<u64> {
        std::io::copy(&mut self.by_ref().take(n), &mut std::io::sink()).map_err(|e| from_io("", &e))
    }
}

impl<R: Read> Read for InputStream<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            InputStream::Plain(r) => r.read(buf),
            InputStream::Inflate(r) => r.read(buf),
        }
    }
}

/// Opens `path` for reading as TF's `NewRandomAccessFile` does, with TF's error codes and texts.
pub fn open_file(path: &Path) -> Result<File> {
    let file = File::open(path).map_err(|e| from_io(&path.display().to_string(), &e))?;
    // TF fails on the first read of a directory (EISDIR); opening one succeeds on Linux.
    match file.metadata() {
        Ok(m) if m.is_dir() => Err(Error::failed_precondition(format!("{}; Is a directory", path.display()))),
        _ => Ok(file),
    }
}

/// Opens `path` as a buffered stream, inflated when `compression` says so.
pub fn open_stream(path: &Path, compression: Compression, buffer_size: usize) -> Result<InputStream<BufReader<File>>> {
    let file = BufReader::with_capacity(buffer_size, open_file(path)?);
    Ok(InputStream::new(file, compression, buffer_size))
}

/// Wraps an error as an `io::Error` that [`from_io`] turns back into the same error.
pub(crate) fn to_io(e: Error) -> std::io::Error {
    std::io::Error::other(e)
}

/// TF's error for a failed file operation: `"<context>; <strerror>"` with the code TF maps the
/// errno to (`ENOENT` NOT_FOUND, `EACCES` PERMISSION_DENIED, ...). Errors made by [`to_io`] come
/// back unchanged.
pub fn from_io(context: &str, e: &std::io::Error) -> Error {
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
        return inner.clone();
    }
    let text = match e.raw_os_error() {
        Some(_) => {
            let s = e.to_string();
            match s.rfind(" (os error ") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
        None => e.to_string(),
    };
    let message = if context.is_empty() { text } else { format!("{context}; {text}") };
    Error::new(errno_code(e.raw_os_error().unwrap_or(0), e.kind()), message)
}

/// TF's mapping of an errno to an error code (`ErrnoToCode` in TSL).
fn errno_code(errno: i32, kind: std::io::ErrorKind) -> Code {
    use libc::*;
    match errno {
        EINVAL | ENAMETOOLONG | E2BIG | EDESTADDRREQ | EDOM | EFAULT | EILSEQ | ENOPROTOOPT | ENOSTR | ENOTSOCK
        | ENOTTY | EPROTOTYPE | ESPIPE => Code::InvalidArgument,
        ETIMEDOUT | ETIME => Code::DeadlineExceeded,
        ENODEV | ENOENT | ENXIO | ESRCH => Code::NotFound,
        EEXIST | EADDRNOTAVAIL | EALREADY => Code::AlreadyExists,
        EPERM | EACCES | EROFS => Code::PermissionDenied,
        ENOTEMPTY | EISDIR | ENOTDIR | EADDRINUSE | EBADF | EBUSY | ECHILD | EISCONN | ENOTBLK | ENOTCONN | EPIPE
        | ESHUTDOWN | ETXTBSY => Code::FailedPrecondition,
        ENOSPC | EMFILE | EMLINK | ENFILE | ENOBUFS | ENODATA | ENOMEM | ENOSR | EUSERS => Code::ResourceExhausted,
        EFBIG | EOVERFLOW | ERANGE => Code::OutOfRange,
        ENOSYS | ENOTSUP | EAFNOSUPPORT | EPFNOSUPPORT | EPROTONOSUPPORT | ESOCKTNOSUPPORT | EXDEV => Code::Unimplemented,
        EAGAIN | ECONNREFUSED | ECONNABORTED | ECONNRESET | EINTR | EHOSTDOWN | EHOSTUNREACH | ENETDOWN | ENETRESET
        | ENETUNREACH | ENOLCK | ENOLINK | ENONET => Code::Unavailable,
        EDEADLK | ESTALE => Code::Aborted,
        ECANCELED => Code::Cancelled,
        0 if kind == std::io::ErrorKind::UnexpectedEof => Code::OutOfRange,
        _ => Code::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_names_parse_as_tf_does() {
        assert_eq!(Compression::parse("").unwrap(), Compression::None);
        assert_eq!(Compression::parse("GZIP").unwrap(), Compression::Gzip);
        assert_eq!(Compression::parse("ZLIB").unwrap(), Compression::Zlib);
        let e = Compression::parse("gzip").unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (Code::InvalidArgument, "Unsupported compression_type."));
        assert_eq!(Compression::parse_for_records("BOGUS").unwrap(), Compression::None);
        assert_eq!(Compression::parse_for_records("SNAPPY").unwrap_err().code, Code::Unimplemented);
    }

    #[test]
    fn file_errors_carry_tf_codes_and_texts() {
        let dir = std::env::temp_dir();
        let missing = dir.join("ferroflow-io-no-such-file");
        let e = open_file(&missing).unwrap_err();
        assert_eq!(e.code, Code::NotFound);
        assert_eq!(e.message, format!("{}; No such file or directory", missing.display()));
        let e = open_file(&dir).unwrap_err();
        assert_eq!(e.code, Code::FailedPrecondition);
        assert!(e.message.ends_with("; Is a directory"), "{}", e.message);
        let wrapped = from_io("ignored", &to_io(Error::data_loss("x")));
        assert_eq!(wrapped, Error::data_loss("x"));
    }

    #[test]
    fn buffer_sizes_are_capped() {
        assert_eq!(buffer_capacity(0), DEFAULT_BUFFER_SIZE);
        assert_eq!(buffer_capacity(-1), DEFAULT_BUFFER_SIZE);
        assert_eq!(buffer_capacity(10), 10);
        assert_eq!(buffer_capacity(1 << 40), MAX_BUFFER_SIZE);
    }
}
