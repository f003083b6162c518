//! TF's v2 summary writer (`SummaryFileWriter`, the resource behind `CreateSummaryFileWriter`,
//! `WriteSummary`, `WriteScalarSummary`, ..., `FlushSummaryWriter`): events queue in memory and
//! are written and synced when the queue grows past `max_queue`, when more than `flush_millis`
//! passed since the last flush, on `flush` and when the writer is dropped. The file is
//! `<logdir>/events.out.tfevents.<seconds>.<hostname>.<pid>.<n><suffix>`, `n` counting the writers
//! this process made. Thread-safe: every method takes `&self` and holds one internal mutex.

use super::{Clock, EventsWriter, SystemClock, with_context};
use crate::record::from_io;
use crate::summary::{convert, summary_value_tensor};
use ferroflow_framework::{Error, Result, Tensor};
use ferroflow_proto::{Event, Summary, SummaryMetadata, event};
use parking_lot::Mutex;
use prost::Message;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Writers made by this process, for the file name (TF's `file_id_counter`).
static FILE_ID_COUNTER: AtomicI64 = AtomicI64::new(0);

struct State {
    events: EventsWriter,
    queue: Vec<Event>,
    last_flush_micros: u64,
}

/// TF's `SummaryFileWriter`.
pub struct SummaryFileWriter {
    state: Mutex<State>,
    max_queue: i32,
    flush_millis: i32,
    clock: Arc<dyn Clock>,
}

impl SummaryFileWriter {
    /// Creates `logdir` if missing and the event file in it, as `CreateSummaryFileWriter` does.
    pub fn create(logdir: &Path, max_queue: i32, flush_millis: i32, filename_suffix: &str) -> Result<SummaryFileWriter> {
        SummaryFileWriter::create_with_clock(logdir, max_queue, flush_millis, filename_suffix, Arc::new(SystemClock))
    }

    pub fn create_with_clock(
        logdir: &Path,
        max_queue: i32,
        flush_millis: i32,
        filename_suffix: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<SummaryFileWriter> {
        let name = logdir.display().to_string();
        match std::fs::metadata(logdir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(Error::failed_precondition(format!("{name} is not a directory"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(logdir).map_err(|e| from_io(&name, &e))?;
            }
            Err(e) => return Err(from_io(&name, &e)),
        }
        let sep = if filename_suffix.starts_with('.') { "" } else { "." };
        let n = FILE_ID_COUNTER.fetch_add(1, Ordering::SeqCst);
        let suffix = format!(".{}.{n}{sep}{filename_suffix}", std::process::id());
        let mut events = EventsWriter::with_clock(logdir.join("events").display().to_string(), clock.clone());
        events.init_with_suffix(&suffix).map_err(|e| with_context(e, "Could not initialize events writer."))?;
        let state = State { events, queue: Vec::new(), last_flush_micros: clock.now_micros() };
        Ok(SummaryFileWriter { state: Mutex::new(state), max_queue, flush_millis, clock })
    }

    /// The event file's path.
    pub fn file_name(&self) -> Result<std::path::PathBuf> {
        self.state.lock().events.file_name().map(Path::to_path_buf)
    }

    fn wall_time(&self) -> f64 {
        self.clock.now_micros() as f64 / 1.0e6
    }

    fn internal_flush(&self, state: &mut State) -> Result<()> {
        for e in state.queue.drain(..) {
            state.events.write_event(&e)?;
        }
        state.events.flush().map_err(|e| with_context(e, "Could not flush events file."))?;
        state.last_flush_micros = self.clock.now_micros();
        Ok(())
    }

    /// Queues `event`, flushing as TF does: more than `max_queue` queued, or more than
    /// `flush_millis` since the last flush (both compared as TF compares them, so a negative
    /// setting never triggers).
    pub fn write_event(&self, event: Event) -> Result<()> {
        let mut state = self.state.lock();
        state.queue.push(event);
        let queue_full = state.queue.len() as u64 > self.max_queue as u64;
        let interval = 1000i32.wrapping_mul(self.flush_millis) as u64;
        let overdue = self.clock.now_micros().wrapping_sub(state.last_flush_micros) > interval;
        if queue_full || overdue { self.internal_flush(&mut state) } else { Ok(()) }
    }

    /// Writes everything queued and syncs the file.
    pub fn flush(&self) -> Result<()> {
        let mut state = self.state.lock();
        self.internal_flush(&mut state)
    }

    fn summary_event(&self, step: i64, summary: Summary) -> Event {
        Event { step, wall_time: self.wall_time(), what: Some(event::What::Summary(summary)), ..Default::default() }
    }

    /// `WriteSummary`: the tensor itself with its tag and (serialized) metadata.
    pub fn write_tensor(&self, step: i64, tensor: &Tensor, tag: &str, serialized_metadata: &[u8]) -> Result<()> {
        let value = ferroflow_proto::summary::Value {
            tag: tag.to_string(),
            metadata: (!serialized_metadata.is_empty()).then(|| SummaryMetadata::decode(serialized_metadata).unwrap_or_default()),
            value: Some(ferroflow_proto::summary::value::Value::Tensor(summary_value_tensor(tensor)?)),
            ..Default::default()
        };
        self.write_event(self.summary_event(step, Summary { value: vec![value] }))
    }

    /// `WriteScalarSummary`.
    pub fn write_scalar(&self, step: i64, tensor: &Tensor, tag: &str) -> Result<()> {
        let summary = convert::tensor_as_scalar(tensor, tag)?;
        self.write_event(self.summary_event(step, summary))
    }

    /// `WriteHistogramSummary`.
    pub fn write_histogram(&self, step: i64, tensor: &Tensor, tag: &str) -> Result<()> {
        let summary = convert::tensor_as_histogram(tensor, tag)?;
        self.write_event(self.summary_event(step, summary))
    }

    /// `WriteImageSummary`.
    pub fn write_image(&self, step: i64, tensor: &Tensor, tag: &str, max_images: i64, bad_color: &Tensor) -> Result<()> {
        let summary = convert::tensor_as_image(tensor, tag, max_images, bad_color)?;
        self.write_event(self.summary_event(step, summary))
    }

    /// `WriteAudioSummary`.
    pub fn write_audio(&self, step: i64, tensor: &Tensor, tag: &str, max_outputs: i64, sample_rate: f32) -> Result<()> {
        let summary = convert::tensor_as_audio(tensor, tag, max_outputs, sample_rate)?;
        self.write_event(self.summary_event(step, summary))
    }

    /// `WriteRawProtoSummary`: a `Summary` already built, at `step`.
    pub fn write_summary(&self, step: i64, summary: Summary) -> Result<()> {
        self.write_event(self.summary_event(step, summary))
    }

    /// `WriteGraphSummary`: a serialized `GraphDef`.
    pub fn write_graph(&self, step: i64, graph_def: Vec<u8>) -> Result<()> {
        let event = Event { step, wall_time: self.wall_time(), what: Some(event::What::GraphDef(graph_def)), ..Default::default() };
        self.write_event(event)
    }
}

impl Drop for SummaryFileWriter {
    /// As TF's destructor: what is queued is written (errors are dropped, as TF drops them).
    fn drop(&mut self) {
        let mut state = self.state.lock();
        if let Err(e) = self.internal_flush(&mut state) {
            tracing::error!("Could not flush summary writer: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventReader;
    use crate::events::tests::{FixedClock, temp_dir};
    use std::sync::atomic::AtomicU64;

    fn events_in(w: &SummaryFileWriter) -> Vec<Event> {
        EventReader::open(&w.file_name().unwrap()).unwrap().collect::<Result<_>>().unwrap()
    }

    #[test]
    fn queues_until_max_queue_is_exceeded() {
        let dir = temp_dir("queue");
        let clock = Arc::new(FixedClock(AtomicU64::new(5_000_000)));
        let w = SummaryFileWriter::create_with_clock(&dir.join("run"), 2, 60_000, ".v2", clock).unwrap();
        let name = w.file_name().unwrap().file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("events.out.tfevents.0000000005."), "{name}");
        let pid = format!(".{}.", std::process::id());
        let counter = name.split(&pid).nth(1).and_then(|rest| rest.strip_suffix(".v2")).unwrap_or("");
        assert!(counter.parse::<i64>().is_ok(), "<pid>.<counter>.v2 ends {name}");
        let one = Tensor::scalar(1.0f32);
        w.write_scalar(1, &one, "a").unwrap();
        w.write_scalar(2, &one, "a").unwrap();
        assert_eq!(events_in(&w).len(), 1, "two queued events stay queued with max_queue 2");
        w.write_scalar(3, &one, "a").unwrap();
        let events = events_in(&w);
        assert_eq!(events.iter().map(|e| e.step).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
        assert_eq!(events[1].wall_time, 5.0);
    }

    #[test]
    fn flushes_when_flush_millis_have_passed_and_when_dropped() {
        let dir = temp_dir("millis");
        let clock = Arc::new(FixedClock(AtomicU64::new(1_000_000)));
        let w = SummaryFileWriter::create_with_clock(&dir, 100, 1000, "suffix", clock.clone()).unwrap();
        assert!(w.file_name().unwrap().to_string_lossy().ends_with(".suffix"), "a '.' goes before a suffix without one");
        w.write_tensor(1, &Tensor::scalar(2i64), "t", b"").unwrap();
        assert_eq!(events_in(&w).len(), 1);
        clock.0.store(2_000_001, Ordering::SeqCst);
        w.write_graph(2, b"graph".to_vec()).unwrap();
        let events = events_in(&w);
        assert_eq!(events.len(), 3);
        assert_eq!(events[2].what, Some(event::What::GraphDef(b"graph".to_vec())));
        w.write_histogram(3, &Tensor::from_vec(vec![2], vec![1.0f64, 2.0]).unwrap(), "h").unwrap();
        let path = w.file_name().unwrap();
        drop(w);
        assert_eq!(EventReader::open(&path).unwrap().count(), 4);
    }

    #[test]
    fn a_logdir_that_is_a_file_is_refused() {
        let dir = temp_dir("file");
        let file = dir.join("plain");
        std::fs::write(&file, b"").unwrap();
        let e = SummaryFileWriter::create(&file, 10, 1000, ".v2").err().unwrap();
        assert_eq!(e.code, ferroflow_framework::Code::FailedPrecondition);
    }
}
