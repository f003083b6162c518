//! Files written by stock TF 2.21 (`testdata/make_fixtures.py`) read by ferroflow: TFRecords in
//! every compression, TextLineDataset and FixedLengthRecordDataset framing (against what TF's
//! datasets returned), and an event file whose summaries TF's kernels built from inputs stored
//! beside them, rebuilt here by ferroflow and compared (exactly, or by decoded pixels for PNGs).

use ferroflow_framework::{Tensor, tensor_from_proto};
use ferroflow_io::events::{EventReader, FILE_VERSION};
use ferroflow_io::record::{Compression, FixedLengthOptions, FixedLengthRecordReader, LineReader, RecordReader};
use ferroflow_io::summary::{self, audio_summary, default_bad_color, image_summary};
use ferroflow_proto::summary::value::Value as V;
use ferroflow_proto::{Summary, event};
use serde_json::Value as Json;
use std::path::PathBuf;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata").join(name)
}

fn cases() -> Json {
    serde_json::from_str(&std::fs::read_to_string(testdata("cases.json")).unwrap()).unwrap()
}

fn hex_list(v: &Json) -> Vec<Vec<u8>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let h = h.as_str().unwrap();
            (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect()
        })
        .collect()
}

#[test]
fn tf_written_tfrecords_read_back_in_every_compression() {
    let want = hex_list(&cases()["records"]);
    assert_eq!(want.len(), 4);
    for (name, c) in [("records.tfrecord", Compression::None), ("records.tfrecord.gz", Compression::Gzip), ("records.tfrecord.zlib", Compression::Zlib)] {
        let got: Vec<Vec<u8>> = RecordReader::open(&testdata(name), c, 0).unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn lines_and_fixed_length_records_are_framed_as_tf_framed_them() {
    let cases = cases();
    let lines: Vec<Vec<u8>> = LineReader::open(&testdata("lines.txt.gz"), Compression::Gzip, 0).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(lines, hex_list(&cases["lines_gz"]));
    let fixed = &cases["fixed_zlib"];
    let options = FixedLengthOptions {
        header_bytes: fixed["header_bytes"].as_i64().unwrap(),
        record_bytes: fixed["record_bytes"].as_i64().unwrap(),
        footer_bytes: fixed["footer_bytes"].as_i64().unwrap(),
        buffer_size: 0,
        compression: Compression::Zlib,
    };
    let records: Vec<Vec<u8>> = FixedLengthRecordReader::open(&testdata("fixed.bin.zlib"), &options).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(records, hex_list(&fixed["records"]));
    assert!(!records.is_empty());
}

fn summary_of(e: &ferroflow_proto::Event) -> &Summary {
    match &e.what {
        Some(event::What::Summary(s)) => s,
        other => panic!("step {}: not a summary: {other:?}", e.step),
    }
}

fn inputs_of(s: &Summary) -> Vec<Tensor> {
    s.value
        .iter()
        .map(|v| match &v.value {
            Some(V::Tensor(t)) => tensor_from_proto(t).unwrap(),
            other => panic!("{}: not a tensor: {other:?}", v.tag),
        })
        .collect()
}

fn decode_png(bytes: &[u8]) -> Vec<u8> {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    buf
}

/// Images are compared by tag, size and decoded pixels; PNG bytes may differ.
fn assert_same_images(ours: &Summary, tf: &Summary) {
    assert_eq!(ours.value.len(), tf.value.len());
    for (o, t) in ours.value.iter().zip(&tf.value) {
        assert_eq!(o.tag, t.tag);
        let (Some(V::Image(oi)), Some(V::Image(ti))) = (&o.value, &t.value) else { panic!("{}: not images", t.tag) };
        assert_eq!((oi.height, oi.width, oi.colorspace), (ti.height, ti.width, ti.colorspace), "{}", t.tag);
        assert_eq!(decode_png(&oi.encoded_image_string), decode_png(&ti.encoded_image_string), "{}: pixels", t.tag);
    }
}

#[test]
fn summaries_in_a_tf_event_file_equal_what_ferroflow_builds_from_the_same_inputs() {
    let events: Vec<_> = EventReader::open(&testdata("events.tfevents")).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(events[0].what, Some(event::What::FileVersion(FILE_VERSION.into())));
    let cases = cases();
    let cases = cases["summaries"].as_array().unwrap();
    assert_eq!(events.len(), 1 + 2 * cases.len() + 1);
    for (i, case) in cases.iter().enumerate() {
        let (input_event, output_event) = (&events[1 + 2 * i], &events[2 + 2 * i]);
        assert_eq!((input_event.step, output_event.step), (2 * i as i64, 2 * i as i64 + 1));
        let inputs = inputs_of(summary_of(input_event));
        let tf = summary_of(output_event);
        let params = &case["params"];
        let int = |k: &str| params[k].as_i64().unwrap();
        let kind = case["kind"].as_str().unwrap();
        match kind {
            "scalar" => assert_eq!(&summary::scalar_summary(&inputs[0], &inputs[1]).unwrap(), tf),
            "histogram" => {
                let ours = summary::histogram_summary(params["node"].as_str().unwrap(), &inputs[0], &inputs[1]).unwrap();
                assert_eq!(&ours, tf, "histogram {i}");
            }
            "image" => {
                let bad_color = match params.get("bad_color") {
                    Some(c) => {
                        let c: Vec<u8> = c.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u8).collect();
                        Tensor::from_vec(vec![c.len() as i64], c).unwrap()
                    }
                    None => default_bad_color(),
                };
                let ours = image_summary(&inputs[0], &inputs[1], int("max_images"), &bad_color).unwrap();
                assert_same_images(&ours, tf);
            }
            "audio" => assert_eq!(&audio_summary(&inputs[0], &inputs[1], &inputs[2], int("max_outputs")).unwrap(), tf),
            "tensor" => assert_eq!(&summary::tensor_summary(&inputs[0], &inputs[1], &inputs[2]).unwrap(), tf),
            other => panic!("unknown case {other}"),
        }
    }
    let merged = summary_of(events.last().unwrap());
    assert_eq!(merged.value.iter().map(|v| v.tag.as_str()).collect::<Vec<_>>(), vec!["m1", "m2"]);
}
