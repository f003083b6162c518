//! Summary ops (TF's `logging_ops` and `summary_ops`), over [`ferroflow_io::summary`] and
//! [`ferroflow_io::events`], which build the `Summary` protos and event files as TF does:
//!
//! - TF 1's ops, whose output is a serialized `Summary` a client writes with its `FileWriter`
//!   (what `tf.compat.v1.summary.*`, `MonitoredTrainingSession`'s summary hooks and Estimators
//!   use): `ScalarSummary`, `HistogramSummary`, `TensorSummaryV2`, `ImageSummary` (PNG),
//!   `AudioSummaryV2` (WAV), `MergeSummary`;
//! - TF 2's writer ops, which write event files on the task itself (`tf.summary.create_file_writer`
//!   and `tf.summary.scalar`/`histogram`/`write` in graphs): `SummaryWriter` (the handle),
//!   `CreateSummaryFileWriter`, `WriteSummary`, `WriteScalarSummary`, `WriteHistogramSummary`,
//!   `WriteRawProtoSummary`, `WriteGraphSummary`, `FlushSummaryWriter`, `CloseSummaryWriter`.
//!
//! Concurrency: kernels are stateless; a writer is a resource in the session's `ResourceMgr`,
//! thread-safe behind its own mutex (several steps may write to it at once, as in TF). File work
//! runs on the compute thread the executor gives the kernel.

use crate::array::kernel;
use ferroflow_framework::resource::{DEFAULT_CONTAINER, Resource};
use ferroflow_framework::{Cost, Error, Kernel, KernelInit, OpKernelContext, OpRegistry, ResourceHandle, Result, Tensor, TensorShape};
use ferroflow_io::events::summary_writer::SummaryFileWriter;
use ferroflow_io::summary;
use ferroflow_proto::Summary;
use prost::Message as _;
use std::any::Any;
use std::path::Path;
use std::sync::Arc;

/// TF's `realnumbertypes`, the values scalar and histogram summaries take.
macro_rules! real_number_types {
    () => {
        "{float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}"
    };
}

/// TF's type name of summary writers, as their handles carry it (Linux build).
const WRITER_TYPE_NAME: &str = "N10tensorflow22SummaryWriterInterfaceE";

pub(crate) fn register(reg: &mut OpRegistry) {
    register_v1(reg);
    register_writer(reg);
}

fn register_v1(reg: &mut OpRegistry) {
    reg.op("ScalarSummary")
        .input("tags: string")
        .input("values: T")
        .output("summary: string")
        .attr(concat!("T: ", real_number_types!()))
        .cost(Cost::InputElements)
        .kernel(|_| Ok(kernel(1, |ctx| emit(ctx, summary::scalar_summary(ctx.input(0), ctx.input(1))))));
    reg.op("HistogramSummary")
        .input("tag: string")
        .input("values: T")
        .output("summary: string")
        .attr(concat!("T: ", real_number_types!(), " = DT_FLOAT"))
        .cost(Cost::InputElements)
        .kernel(|_| Ok(kernel(1, |ctx| emit(ctx, summary::histogram_summary(ctx.node_name, ctx.input(0), ctx.input(1))))));
    reg.op("TensorSummaryV2")
        .input("tag: string")
        .input("tensor: T")
        .input("serialized_summary_metadata: string")
        .output("summary: string")
        .attr("T: type")
        .cost(Cost::InputElements)
        .kernel(|_| Ok(kernel(1, |ctx| emit(ctx, summary::tensor_summary(ctx.input(0), ctx.input(1), ctx.input(2))))));
    reg.op("ImageSummary")
        .input("tag: string")
        .input("tensor: T")
        .output("summary: string")
        .attr("max_images: int >= 1 = 3")
        .attr("T: {uint8, float, half, double} = DT_FLOAT")
        .attr("bad_color: tensor = { dtype: DT_UINT8 tensor_shape: { dim { size: 4 } } int_val: 255 int_val: 0 int_val: 0 int_val: 255 }")
        .cost(Cost::InputElements)
        .kernel(image_summary);
    reg.op("AudioSummaryV2")
        .input("tag: string")
        .input("tensor: float")
        .input("sample_rate: float")
        .output("summary: string")
        .attr("max_outputs: int >= 1 = 3")
        .cost(Cost::InputElements)
        .kernel(audio_summary);
    reg.op("MergeSummary")
        .input("inputs: N * string")
        .output("summary: string")
        .attr("N: int >= 1")
        .cost(Cost::InputElements)
        .kernel(|_| Ok(kernel(1, |ctx| emit(ctx, summary::merge_summaries(ctx.inputs())))));
}

/// `ImageSummary`: images PNG-encoded as TF encodes them; `max_images` and `bad_color` (checked
/// when the kernel is made, as TF's constructor does) from the attrs.
fn image_summary(init: &KernelInit<'_>) -> Result<Kernel> {
    let max_images = init.attrs.get_int_or("max_images", 3)?;
    let bad_color = match init.attrs.get_tensor("bad_color") {
        Ok(t) => t,
        Err(_) => summary::default_bad_color(),
    };
    // TF's constructor checks `bad_color`, so a bad one fails when the graph is built.
    summary::image::check_bad_color(&bad_color)?;
    Ok(kernel(1, move |ctx| emit(ctx, summary::image_summary(ctx.input(0), ctx.input(1), max_images, &bad_color))))
}

/// `AudioSummaryV2`: WAV-encoded clips, `max_outputs` from the attrs.
fn audio_summary(init: &KernelInit<'_>) -> Result<Kernel> {
    let max_outputs = init.attrs.get_int_or("max_outputs", 3)?;
    Ok(kernel(1, move |ctx| emit(ctx, summary::audio_summary(ctx.input(0), ctx.input(1), ctx.input(2), max_outputs))))
}

/// Sets output 0 to the serialized summary.
fn emit(ctx: &mut OpKernelContext<'_>, built: Result<Summary>) -> Result<()> {
    ctx.set_output(0, summary::summary_tensor(&built?));
    Ok(())
}

fn register_writer(reg: &mut OpRegistry) {
    reg.op("SummaryWriter")
        .output("writer: resource")
        .attr("shared_name: string = ''")
        .attr("container: string = ''")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(writer_handle);
    reg.op("CreateSummaryFileWriter")
        .input("writer: resource")
        .input("logdir: string")
        .input("max_queue: int32")
        .input("flush_millis: int32")
        .input("filename_suffix: string")
        .stateful()
        .cost(Cost::Expensive)
        .kernel(|_| Ok(kernel(0, create_file_writer)));
    reg.op("WriteSummary")
        .input("writer: resource")
        .input("step: int64")
        .input("tensor: T")
        .input("tag: string")
        .input("summary_metadata: string")
        .attr("T: type")
        .stateful()
        .cost(Cost::Expensive)
        .kernel(|_| {
            Ok(kernel(0, |ctx| {
                let (writer, step) = (writer(ctx)?, step(ctx)?);
                let tag = summary::convert::tag_of(ctx.input(3))?;
                writer.0.write_tensor(step, ctx.input(2), &tag, scalar_bytes(ctx.input(4), "summary_metadata")?)
            }))
        });
    reg.op("WriteScalarSummary")
        .input("writer: resource")
        .input("step: int64")
        .input("tag: string")
        .input("value: T")
        .attr(concat!("T: ", real_number_types!()))
        .stateful()
        .cost(Cost::Expensive)
        .kernel(|_| {
            Ok(kernel(0, |ctx| {
                let (writer, step) = (writer(ctx)?, step(ctx)?);
                writer.0.write_scalar(step, ctx.input(3), &summary::convert::tag_of(ctx.input(2))?)
            }))
        });
    reg.op("WriteHistogramSummary")
        .input("writer: resource")
        .input("step: int64")
        .input("tag: string")
        .input("values: T")
        .attr(concat!("T: ", real_number_types!(), " = DT_FLOAT"))
        .stateful()
        .cost(Cost::Expensive)
        .kernel(|_| {
            Ok(kernel(0, |ctx| {
                let (writer, step) = (writer(ctx)?, step(ctx)?);
                writer.0.write_histogram(step, ctx.input(3), &summary::convert::tag_of(ctx.input(2))?)
            }))
        });
    reg.op("WriteRawProtoSummary")
        .input("writer: resource")
        .input("step: int64")
        .input("tensor: string")
        .stateful()
        .cost(Cost::Expensive)
        .kernel(|_| Ok(kernel(0, write_raw_proto)));
    reg.op("WriteGraphSummary")
        .input("writer: resource")
        .input("step: int64")
        .input("tensor: string")
        .stateful()
        .cost(Cost::Expensive)
        .kernel(|_| {
            Ok(kernel(0, |ctx| {
                let (writer, step) = (writer(ctx)?, step(ctx)?);
                writer.0.write_graph(step, scalar_bytes(ctx.input(2), "graph")?.to_vec())
            }))
        });
    reg.op("FlushSummaryWriter")
        .input("writer: resource")
        .stateful()
        .cost(Cost::Expensive)
        .kernel(|_| Ok(kernel(0, |ctx| writer(ctx)?.0.flush())));
    reg.op("CloseSummaryWriter")
        .input("writer: resource")
        .stateful()
        .cost(Cost::Expensive)
        .kernel(|_| Ok(kernel(0, close_writer)));
}

/// A summary file writer as a resource.
struct Writer(SummaryFileWriter);

impl Resource for Writer {
    fn debug_string(&self) -> String {
        match self.0.file_name() {
            Ok(path) => format!("SummaryFileWriter({})", path.display()),
            Err(_) => "SummaryFileWriter".to_string(),
        }
    }
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// `SummaryWriter`: the handle of the writer named by `container` and `shared_name` (TF's
/// `ResourceHandleOp`); the writer itself is made by `CreateSummaryFileWriter`.
fn writer_handle(init: &KernelInit<'_>) -> Result<Kernel> {
    let container = init.attrs.get_string_or("container", "")?;
    let container = if container.is_empty() { DEFAULT_CONTAINER.to_string() } else { container };
    let shared_name = init.attrs.get_string_or("shared_name", "")?;
    Ok(kernel(1, move |ctx| {
        let handle = ResourceHandle {
            device: ctx.step.device_name.clone(),
            container: container.clone(),
            name: shared_name.clone(),
            maybe_type_name: WRITER_TYPE_NAME.to_string(),
            ..Default::default()
        };
        ctx.set_output(0, Tensor::from_resources(TensorShape::scalar(), vec![handle])?);
        Ok(())
    }))
}

/// The handle of input 0.
fn handle(ctx: &OpKernelContext<'_>) -> Result<ResourceHandle> {
    match ctx.input(0).resource_handles()? {
        [h] => Ok(h.clone()),
        _ => Err(Error::invalid_argument(format!("a summary writer handle must be a scalar, got shape {}", ctx.input(0).shape()))),
    }
}

/// The writer input 0's handle names (NOT_FOUND until `CreateSummaryFileWriter` made it).
fn writer(ctx: &OpKernelContext<'_>) -> Result<Arc<Writer>> {
    let h = handle(ctx)?;
    ctx.step.resources.lookup::<Writer>(&h.container, &h.name)
}

/// A scalar input's value of type `T`, or INVALID_ARGUMENT naming it as TF does.
fn scalar_of<T: ferroflow_framework::TensorElement + Copy>(t: &Tensor, what: &str) -> Result<T> {
    match t.values::<T>()?.as_ref() {
        [v] if t.shape().is_scalar() => Ok(*v),
        _ => Err(Error::invalid_argument(format!("{what} must be scalar, got shape {}", t.shape()))),
    }
}

fn scalar_bytes<'a>(t: &'a Tensor, what: &str) -> Result<&'a [u8]> {
    match t.strings()? {
        [s] if t.shape().is_scalar() => Ok(s),
        _ => Err(Error::invalid_argument(format!("{what} must be scalar, got shape {}", t.shape()))),
    }
}

/// The `step` of writer ops (input 1).
fn step(ctx: &OpKernelContext<'_>) -> Result<i64> {
    scalar_of::<i64>(ctx.input(1), "step")
}

/// `CreateSummaryFileWriter`: makes the writer the handle names, unless it exists (TF's
/// `LookupOrCreateResource`: a second create with the same name keeps the first writer).
fn create_file_writer(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let h = handle(ctx)?;
    let logdir = String::from_utf8_lossy(scalar_bytes(ctx.input(1), "logdir")?).into_owned();
    let max_queue = scalar_of::<i32>(ctx.input(2), "max_queue")?;
    let flush_millis = scalar_of::<i32>(ctx.input(3), "flush_millis")?;
    let suffix = String::from_utf8_lossy(scalar_bytes(ctx.input(4), "filename_suffix")?).into_owned();
    let resources = &ctx.step.resources;
    if resources.lookup::<Writer>(&h.container, &h.name).is_ok() {
        return Ok(());
    }
    let created = Writer(SummaryFileWriter::create(Path::new(&logdir), max_queue, flush_millis, &suffix)?);
    resources.lookup_or_create(&h.container, &h.name, || created)?;
    Ok(())
}

/// `WriteRawProtoSummary`: each element of the tensor a serialized `Summary`, written at `step`.
fn write_raw_proto(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let (writer, step) = (writer(ctx)?, step(ctx)?);
    for serialized in ctx.input(2).strings()? {
        let summary = Summary::decode(serialized.as_ref())
            .map_err(|_| Error::data_loss("Bad tf.compat.v1.Summary binary proto tensor string passed"))?;
        writer.0.write_summary(step, summary)?;
    }
    Ok(())
}

/// `CloseSummaryWriter`: flushes and forgets the writer (TF's `DeleteResource`); the file is
/// closed once no running step holds it any longer.
fn close_writer(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let h = handle(ctx)?;
    let writer = ctx.step.resources.lookup::<Writer>(&h.container, &h.name)?;
    writer.0.flush()?;
    ctx.step.resources.delete(&h.container, &h.name)
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use bytes::Bytes;
    use ferroflow_framework::{Code, DType, Tensor};
    use ferroflow_proto::Summary;
    use prost::Message as _;

    fn strings(dims: Vec<i64>, values: &[&str]) -> Tensor {
        Tensor::from_strings(dims, values.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()).unwrap()
    }

    fn parse(t: &Tensor) -> Summary {
        Summary::decode(t.strings().unwrap()[0].as_ref()).unwrap()
    }

    #[test]
    fn oracle_cases() {
        let ops = ["ScalarSummary", "HistogramSummary", "TensorSummaryV2", "AudioSummaryV2", "MergeSummary"];
        assert!(crate::array::oracle::run_cases("summary.json", &ops, 0.0) >= 23);
    }

    /// The pixels a PNG stream holds, with its size and color type.
    fn decode_png(bytes: &[u8]) -> (u32, u32, png::ColorType, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        pixels.truncate(info.buffer_size());
        (info.width, info.height, info.color_type, pixels)
    }

    /// Image summaries equal TF's but for the PNG streams' bytes (zlib settings and row filters are
    /// libpng's choice): the same values, tags and sizes, and streams of the same pixels.
    fn same_image_summary(got: &Tensor, want: &Tensor, what: &str) -> std::result::Result<(), String> {
        let (mut got, mut want) = (parse(got), parse(want));
        if got.value.len() != want.value.len() {
            return Err(format!("{what}: {} images, want {}", got.value.len(), want.value.len()));
        }
        for (g, w) in got.value.iter_mut().zip(want.value.iter_mut()) {
            let (Some(ferroflow_proto::summary::value::Value::Image(gi)), Some(ferroflow_proto::summary::value::Value::Image(wi))) =
                (g.value.as_mut(), w.value.as_mut())
            else {
                return Err(format!("{what}: {} is not an image in both", w.tag));
            };
            let (gp, wp) = (decode_png(&gi.encoded_image_string), decode_png(&wi.encoded_image_string));
            if gp != wp {
                return Err(format!("{what}: {} decodes to {gp:?}, want {wp:?}", w.tag));
            }
            gi.encoded_image_string = Default::default();
            wi.encoded_image_string = Default::default();
        }
        if got != want {
            return Err(format!("{what}: {got:?}, want {want:?}"));
        }
        Ok(())
    }

    #[test]
    fn image_oracle_cases() {
        assert!(crate::array::oracle::run_cases_compared("summary.json", &["ImageSummary"], &same_image_summary) >= 7);
    }

    #[test]
    fn merged_scalar_and_histogram_summaries_keep_every_value() {
        let scalar = node("ScalarSummary").attr_type("T", DType::Float);
        let loss = run(scalar, vec![strings(vec![], &["loss"]), Tensor::from_vec(vec![], vec![0.25f32]).unwrap()]).unwrap();
        let histo = node("HistogramSummary").attr_type("T", DType::Int32);
        let weights = run(histo, vec![strings(vec![], &["w"]), Tensor::from_vec(vec![3], vec![1i32, 2, 2]).unwrap()]).unwrap();
        let merge = node("MergeSummary").attr_int("N", 2);
        let merged = parse(&run(merge, vec![loss[0].clone(), weights[0].clone()]).unwrap()[0]);
        let tags: Vec<&str> = merged.value.iter().map(|v| v.tag.as_str()).collect();
        assert_eq!(tags, ["loss", "w"]);
        let duplicate = node("MergeSummary").attr_int("N", 2);
        let e = run(duplicate, vec![loss[0].clone(), loss[0].clone()]).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
    }

    #[test]
    fn a_file_writer_writes_scalars_and_raw_summaries_to_an_event_file() {
        let dir = tempfile::tempdir().unwrap();
        let step = std::sync::Arc::new(ferroflow_framework::ResourceMgr::new());
        let run_with_step = |step: &std::sync::Arc<ferroflow_framework::ResourceMgr>, n, inputs| crate::testutil::run_with(step.clone(), n, inputs);
        let handle = run_with_step(&step, node("SummaryWriter").attr_str("shared_name", "train"), vec![]).unwrap().remove(0);
        let logdir = dir.path().join("logs");
        let create_inputs = vec![
            handle.clone(),
            strings(vec![], &[logdir.to_str().unwrap()]),
            Tensor::from_vec(vec![], vec![10i32]).unwrap(),
            Tensor::from_vec(vec![], vec![120_000i32]).unwrap(),
            strings(vec![], &[".v2"]),
        ];
        run_with_step(&step, node("CreateSummaryFileWriter"), create_inputs).unwrap();
        let at = |s: i64| Tensor::from_vec(vec![], vec![s]).unwrap();
        let scalar = node("WriteScalarSummary").attr_type("T", DType::Double);
        run_with_step(&step, scalar, vec![handle.clone(), at(3), strings(vec![], &["loss"]), Tensor::from_vec(vec![], vec![1.5f64]).unwrap()]).unwrap();
        let built = run(node("ScalarSummary").attr_type("T", DType::Float), vec![strings(vec![], &["acc"]), Tensor::from_vec(vec![], vec![0.5f32]).unwrap()]).unwrap();
        run_with_step(&step, node("WriteRawProtoSummary"), vec![handle.clone(), at(4), built[0].clone()]).unwrap();
        let bad = run_with_step(&step, node("WriteRawProtoSummary"), vec![handle.clone(), at(5), strings(vec![], &["\u{1}not a proto"])]).unwrap_err();
        assert_eq!(bad.code, Code::DataLoss, "{}", bad.message);
        run_with_step(&step, node("CloseSummaryWriter"), vec![handle.clone()]).unwrap();
        let e = run_with_step(&step, node("FlushSummaryWriter"), vec![handle]).unwrap_err();
        assert_eq!(e.code, Code::NotFound, "a closed writer is gone: {}", e.message);

        let file = std::fs::read_dir(&logdir).unwrap().next().unwrap().unwrap().path();
        assert!(file.file_name().unwrap().to_str().unwrap().starts_with("events.out.tfevents."));
        assert!(file.to_str().unwrap().ends_with(".v2"));
        let events: Vec<ferroflow_proto::Event> =
            ferroflow_io::events::EventReader::open(&file).unwrap().collect::<ferroflow_framework::Result<_>>().unwrap();
        let summaries: Vec<(i64, String, f32)> = events
            .iter()
            .filter_map(|e| match &e.what {
                Some(ferroflow_proto::event::What::Summary(s)) => Some((e.step, s.value[0].tag.clone(), match s.value[0].value {
                    Some(ferroflow_proto::summary::value::Value::SimpleValue(v)) => v,
                    _ => f32::NAN,
                })),
                _ => None,
            })
            .collect();
        assert_eq!(summaries, vec![(3, "loss".to_string(), 1.5), (4, "acc".to_string(), 0.5)]);
    }
}
