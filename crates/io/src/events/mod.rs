//! Event files, as TF's `EventsWriter` writes them and `summary_iterator` reads them: TFRecord
//! files of serialized `Event`s named `<prefix>.out.tfevents.<seconds, 10 digits>.<hostname><suffix>`,
//! whose first record is `file_version: "brain.Event:2"` with the creation time in whole seconds
//! and `source_metadata.writer` `tensorflow.core.util.events_writer`.
//!
//! - [`EventsWriter`]: one file; a single-owner value (wrap it in a lock to share it).
//! - [`EventReader`]: the events of a file, in order.
//! - [`summary_writer::SummaryFileWriter`]: TF's v2 summary writer resource (queue, `max_queue`,
//!   `flush_millis`), thread-safe behind its own mutex.

pub mod summary_writer;

pub use summary_writer::SummaryFileWriter;

use crate::record::{Compression, RecordReader, RecordWriter, RecordWriterOptions};
use ferroflow_framework::{Error, Result};
use ferroflow_proto::{Event, SourceMetadata, event};
use prost::Message;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The version every event file starts with.
pub const FILE_VERSION: &str = "brain.Event:2";
/// What TF's writer puts in the first event's `source_metadata.writer`.
pub const WRITER_SOURCE_METADATA: &str = "tensorflow.core.util.events_writer";

/// Where writers read the time (microseconds since the Unix epoch); tests substitute their own.
pub trait Clock: Send + Sync {
    fn now_micros(&self) -> u64;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_micros(&self) -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
    }
}

/// This machine's host name as TF's `port::Hostname()` gives it (`gethostname`).
pub fn hostname() -> String {
    let mut buf = [0u8; 1024];
    // SAFETY: the buffer is writable for its whole length; gethostname writes at most that much.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// TF's event file name: `<prefix>.out.tfevents.<seconds as %010lld>.<hostname><suffix>`.
pub fn event_file_name(prefix: &str, seconds: i64, hostname: &str, suffix: &str) -> String {
    format!("{prefix}.out.tfevents.{seconds:010}.{hostname}{suffix}")
}

/// Appends TF's error context (`"\n\t<context>"`, as `TF_RETURN_WITH_CONTEXT_IF_ERROR` does).
pub(crate) fn with_context(mut e: Error, context: impl std::fmt::Display) -> Error {
    e.message = format!("{}\n\t{context}", e.message);
    e
}

/// Writes one event file (TF's `EventsWriter`).
pub struct EventsWriter {
    file_prefix: String,
    file_suffix: String,
    filename: Option<PathBuf>,
    writer: Option<RecordWriter<BufWriter<File>>>,
    num_outstanding_events: usize,
    clock: Arc<dyn Clock>,
}

impl EventsWriter {
    /// A writer of files named after `file_prefix` (a path prefix such as `logdir/events`).
    /// Nothing is created before the first write or [`EventsWriter::init_with_suffix`].
    pub fn new(file_prefix: impl Into<String>) -> EventsWriter {
        EventsWriter::with_clock(file_prefix, Arc::new(SystemClock))
    }

    pub fn with_clock(file_prefix: impl Into<String>, clock: Arc<dyn Clock>) -> EventsWriter {
        EventsWriter {
            file_prefix: file_prefix.into(),
            file_suffix: String::new(),
            filename: None,
            writer: None,
            num_outstanding_events: 0,
            clock,
        }
    }

    /// Creates the file (name ending in `suffix`) and writes the version event.
    pub fn init_with_suffix(&mut self, suffix: &str) -> Result<()> {
        self.file_suffix = suffix.to_string();
        self.init_if_needed()
    }

    /// Opens a new file unless one is open and still exists (TF reopens when the file vanished).
    fn init_if_needed(&mut self) -> Result<()> {
        if self.writer.is_some() {
            match &self.filename {
                Some(f) if f.exists() => return Ok(()),
                _ => {
                    if self.num_outstanding_events > 0 {
                        tracing::warn!(
                            "Re-initialization, attempting to open a new file, {} events will be lost.",
                            self.num_outstanding_events
                        );
                    }
                }
            }
        }
        let seconds = (self.clock.now_micros() / 1_000_000) as i64;
        let name = event_file_name(&self.file_prefix, seconds, &hostname(), &self.file_suffix);
        self.writer = None;
        let path = PathBuf::from(&name);
        self.filename = Some(path.clone());
        let writer = RecordWriter::create(&path, RecordWriterOptions::default())
            .map_err(|e| with_context(e, format_args!("Creating writable file {name}")))?;
        self.writer = Some(writer);
        self.num_outstanding_events = 0;
        let version = Event {
            wall_time: seconds as f64,
            what: Some(event::What::FileVersion(FILE_VERSION.into())),
            source_metadata: Some(SourceMetadata { writer: WRITER_SOURCE_METADATA.into() }),
            ..Default::default()
        };
        self.write_event(&version)?;
        self.flush().map_err(|e| with_context(e, "Flushing first event."))
    }

    /// The file's path, creating the file if there is none yet.
    pub fn file_name(&mut self) -> Result<&Path> {
        if self.filename.is_none() {
            self.init_if_needed()?;
        }
        Ok(self.filename.as_deref().expect("initialized above"))
    }

    /// Appends one serialized `Event` (creating the file first if needed).
    pub fn write_serialized_event(&mut self, event: &[u8]) -> Result<()> {
        if self.writer.is_none() {
            self.init_if_needed()?;
        }
        self.num_outstanding_events += 1;
        self.writer.as_mut().expect("initialized above").write_record(event)
    }

    pub fn write_event(&mut self, event: &Event) -> Result<()> {
        self.write_serialized_event(&event.encode_to_vec())
    }

    /// Flushes and syncs the file, if anything was written since the last flush.
    pub fn flush(&mut self) -> Result<()> {
        if self.num_outstanding_events == 0 {
            return Ok(());
        }
        let n = self.num_outstanding_events;
        let name = self.filename.as_ref().map(|f| f.display().to_string()).unwrap_or_default();
        let writer = self.writer.as_mut().ok_or_else(|| Error::internal("Unexpected NULL file"))?;
        writer.flush().map_err(|e| with_context(e, format_args!("Failed to flush {n} events to {name}")))?;
        writer.sync().map_err(|e| with_context(e, format_args!("Failed to sync {n} events to {name}")))?;
        self.num_outstanding_events = 0;
        Ok(())
    }

    /// Flushes and closes the file; a later write opens a new one.
    pub fn close(&mut self) -> Result<()> {
        let flushed = self.flush();
        let closed = match self.writer.take() {
            Some(mut w) => w.close().map(|_| ()),
            None => Ok(()),
        };
        self.num_outstanding_events = 0;
        flushed.and(closed)
    }
}

impl Drop for EventsWriter {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::error!("Could not close events file: {e}");
        }
    }
}

/// The events of one file, in order (as `tf.compat.v1.train.summary_iterator` yields them).
pub struct EventReader {
    records: RecordReader<BufReader<File>>,
}

impl EventReader {
    pub fn open(path: &Path) -> Result<EventReader> {
        Ok(EventReader { records: RecordReader::open(path, Compression::None, 0)? })
    }

    /// The next event, `None` at the end of the file; errors are the record reader's, or
    /// DATA_LOSS for a record that is no `Event`.
    pub fn read_event(&mut self) -> Result<Option<Event>> {
        let offset = self.records.offset();
        match self.records.read_record()? {
            None => Ok(None),
            Some(bytes) => Event::decode(bytes.as_slice())
                .map(Some)
                .map_err(|e| Error::data_loss(format!("Record at {offset} is not a tf.Event: {e}"))),
        }
    }
}

impl Iterator for EventReader {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Result<Event>> {
        self.read_event().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroflow_framework::Code;
    use ferroflow_proto::Summary;
    use ferroflow_proto::summary::{Value, value};

    pub(crate) struct FixedClock(pub std::sync::atomic::AtomicU64);

    impl Clock for FixedClock {
        fn now_micros(&self) -> u64 {
            self.0.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    pub(crate) fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ferroflow-io-events-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn names_files_and_writes_the_version_event_first() {
        assert_eq!(event_file_name("d/events", 1234, "host", ".v2"), "d/events.out.tfevents.0000001234.host.v2");
        let dir = temp_dir("naming");
        let prefix = dir.join("events").display().to_string();
        let clock = Arc::new(FixedClock(1_700_000_123_456_789.into()));
        let mut w = EventsWriter::with_clock(prefix.clone(), clock);
        w.init_with_suffix(".x").unwrap();
        let path = w.file_name().unwrap().to_path_buf();
        assert_eq!(path.display().to_string(), format!("{prefix}.out.tfevents.1700000123.{}.x", hostname()));
        let summary = Summary { value: vec![Value { tag: "loss".into(), value: Some(value::Value::SimpleValue(0.5)), ..Default::default() }] };
        let e = Event { wall_time: 1.5, step: 3, what: Some(event::What::Summary(summary.clone())), ..Default::default() };
        w.write_event(&e).unwrap();
        w.flush().unwrap();
        let events: Vec<Event> = EventReader::open(&path).unwrap().collect::<Result<_>>().unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].wall_time, 1_700_000_123.0);
        assert_eq!(events[0].what, Some(event::What::FileVersion("brain.Event:2".into())));
        assert_eq!(events[0].source_metadata.as_ref().unwrap().writer, WRITER_SOURCE_METADATA);
        assert_eq!(events[1], e);
    }

    #[test]
    fn a_missing_directory_is_tf_not_found_with_context() {
        let mut w = EventsWriter::new("/nonexistent-ferroflow-dir/events");
        let e = w.init_with_suffix("").unwrap_err();
        assert_eq!(e.code, Code::NotFound);
        assert!(e.message.contains("; No such file or directory\n\tCreating writable file /nonexistent-ferroflow-dir/events.out.tfevents."), "{}", e.message);
    }

    #[test]
    fn records_that_are_not_events_are_data_loss() {
        let dir = temp_dir("garbage");
        let path = dir.join("f");
        let mut w = RecordWriter::create(&path, RecordWriterOptions::default()).unwrap();
        w.write_record(b"\xff\xff").unwrap();
        w.close().unwrap();
        let e = EventReader::open(&path).unwrap().read_event().unwrap_err();
        assert_eq!(e.code, Code::DataLoss);
    }
}
