//! Writes ferroflow-made files for the interop suite to read with stock TF
//! (tests/interop/test_record_formats.py):
//!
//! ```text
//! write_formats <inputs.tfrecord> <out_dir>
//! ```
//!
//! Each input record is a serialized `Summary` describing one case: its first value's metadata
//! `display_name` is the kind (`scalar`, `histogram`, `image`, `audio`, `tensor`), its
//! `summary_description` the parameters as `key=value` pairs separated by `;`, and its values'
//! tensors the kernel's inputs in order. Out comes:
//! - `records.tfrecord`, `records.tfrecord.gz`, `records.tfrecord.zlib`: the input records;
//! - `v1/events.out.tfevents.*`: event `i` (step `i`) holds ferroflow's summary for case `i`;
//! - `v2/events.out.tfevents.*.v2`: scalar and histogram cases through the v2 summary writer.

use ferroflow_framework::{Error, Result, Tensor, tensor_from_proto};
use ferroflow_io::events::{EventsWriter, SummaryFileWriter};
use ferroflow_io::record::{Compression, RecordReader, RecordWriter, RecordWriterOptions};
use ferroflow_io::summary::{self, audio_summary, convert, default_bad_color, image_summary};
use ferroflow_proto::summary::value::Value as V;
use ferroflow_proto::{Event, Summary, event};
use prost::Message;
use std::collections::HashMap;
use std::path::Path;

struct Case {
    kind: String,
    params: HashMap<String, String>,
    inputs: Vec<Tensor>,
}

fn parse_case(record: &[u8]) -> Result<Case> {
    let s = Summary::decode(record).map_err(|e| Error::invalid_argument(format!("input is not a Summary: {e}")))?;
    let first = s.value.first().ok_or_else(|| Error::invalid_argument("empty case"))?;
    let metadata = first.metadata.clone().unwrap_or_default();
    let params = metadata
        .summary_description
        .split(';')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
    let inputs = s
        .value
        .iter()
        .map(|v| match &v.value {
            Some(V::Tensor(t)) => tensor_from_proto(t),
            _ => Err(Error::invalid_argument(format!("{}: not a tensor", v.tag))),
        })
        .collect::<Result<_>>()?;
    Ok(Case { kind: metadata.display_name, params, inputs })
}

impl Case {
    fn param(&self, key: &str) -> Result<&str> {
        self.params.get(key).map(String::as_str).ok_or_else(|| Error::invalid_argument(format!("{}: no {key}", self.kind)))
    }

    fn int(&self, key: &str) -> Result<i64> {
        self.param(key)?.parse().map_err(|_| Error::invalid_argument(format!("{key} is no integer")))
    }

    fn bad_color(&self) -> Result<Tensor> {
        match self.params.get("bad_color") {
            None => Ok(default_bad_color()),
            Some(list) => {
                let c: Vec<u8> = list.split(',').map(|v| v.parse().map_err(|_| Error::invalid_argument("bad_color"))).collect::<Result<_>>()?;
                Tensor::from_vec(vec![c.len() as i64], c)
            }
        }
    }

    fn summary(&self) -> Result<Summary> {
        let x = &self.inputs;
        match self.kind.as_str() {
            "scalar" => summary::scalar_summary(&x[0], &x[1]),
            "histogram" => summary::histogram_summary(self.param("node")?, &x[0], &x[1]),
            "image" => image_summary(&x[0], &x[1], self.int("max_images")?, &self.bad_color()?),
            "audio" => audio_summary(&x[0], &x[1], &x[2], self.int("max_outputs")?),
            "tensor" => summary::tensor_summary(&x[0], &x[1], &x[2]),
            other => Err(Error::invalid_argument(format!("unknown case kind {other}"))),
        }
    }
}

fn run(inputs: &Path, out: &Path) -> Result<()> {
    let records: Vec<Vec<u8>> = RecordReader::open(inputs, Compression::None, 0)?.collect::<Result<_>>()?;
    for (name, c) in [("records.tfrecord", Compression::None), ("records.tfrecord.gz", Compression::Gzip), ("records.tfrecord.zlib", Compression::Zlib)] {
        let mut w = RecordWriter::create(&out.join(name), RecordWriterOptions::compressed(c))?;
        for r in &records {
            w.write_record(r)?;
        }
        w.close()?;
    }
    std::fs::create_dir_all(out.join("v1")).map_err(|e| Error::internal(e.to_string()))?;
    let mut v1 = EventsWriter::new(out.join("v1").join("events").display().to_string());
    let v2 = SummaryFileWriter::create(&out.join("v2"), 10, 120_000, ".v2")?;
    for (step, record) in records.iter().enumerate() {
        let case = parse_case(record)?;
        let summary = case.summary()?;
        let step = step as i64;
        v1.write_event(&Event { step, wall_time: 1.0 + step as f64, what: Some(event::What::Summary(summary)), ..Default::default() })?;
        // The v2 writer takes one scalar tag; cases with a tag per value are v1-only.
        match case.kind.as_str() {
            _ if case.inputs[0].rank() != 0 => {}
            "scalar" => v2.write_scalar(step, &case.inputs[1], &convert::tag_of(&case.inputs[0])?)?,
            "histogram" => v2.write_histogram(step, &case.inputs[1], &convert::tag_of(&case.inputs[0])?)?,
            _ => {}
        }
    }
    v1.close()?;
    v2.flush()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: write_formats <inputs.tfrecord> <out_dir>");
        std::process::exit(2);
    }
    if let Err(e) = run(Path::new(&args[1]), Path::new(&args[2])) {
        eprintln!("write_formats: {e}");
        std::process::exit(1);
    }
}
