//! Test helpers: build a node, run one kernel on given inputs, and read oracle cases computed by
//! stock TensorFlow (`testdata/*.json`, made by `tools/oracle/make_kernel_cases.py`).

use bytes::Bytes;
use ferroflow_framework::{
    AsyncKernelContext, DType, Error, KernelKind, OpKernelContext, Rendezvous, RendezvousValue, ResourceMgr,
    StepContext, Tensor,
};
use futures::future::BoxFuture;
use std::sync::Arc;

/// A `NodeDef` under construction (the framework's builder).
pub use ferroflow_framework::node_def::NodeDefBuilder as NodeBuilder;

/// A node running `op`, named after it.
pub fn node(op: &str) -> NodeBuilder {
    NodeBuilder::new(&format!("{}_node", op.to_lowercase()), op)
}

/// A small deterministic generator (64-bit LCG) for tests that throw many generated inputs at a
/// kernel.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[(self.next() as usize) % v.len()]
    }
}

/// A rendezvous that refuses everything: kernels under unit test do not communicate.
struct NoRendezvous;

impl Rendezvous for NoRendezvous {
    fn send(&self, _: &ferroflow_framework::ParsedKey, _: RendezvousValue) -> ferroflow_framework::Result<()> {
        Err(Error::internal("no rendezvous in kernel tests"))
    }
    fn recv(&self, _: &ferroflow_framework::ParsedKey) -> BoxFuture<'static, ferroflow_framework::Result<RendezvousValue>> {
        Box::pin(async { Err(Error::internal("no rendezvous in kernel tests")) })
    }
    fn start_abort(&self, _: Error) {}
}

pub fn step_with(resources: Arc<ResourceMgr>) -> Arc<StepContext> {
    Arc::new(StepContext::new(1, "/job:localhost/replica:0/task:0/device:CPU:0", 1, Arc::new(NoRendezvous), resources))
}

/// Builds the node's kernel and runs it once on `inputs` with the given resources.
pub fn run_with(resources: Arc<ResourceMgr>, n: NodeBuilder, inputs: Vec<Tensor>) -> ferroflow_framework::Result<Vec<Tensor>> {
    let reg = crate::registry();
    let kernel = reg.build(&n.0, inputs.len())?;
    let step = step_with(resources);
    match kernel.kind {
        KernelKind::Sync(k) => {
            let mut ctx = OpKernelContext::new(&step, &n.0.name, &inputs, kernel.num_outputs, &[]);
            k.compute(&mut ctx).map_err(|e| e.with_node(&n.0.name))?;
            ctx.take_outputs()
        }
        KernelKind::Forward(rule) => rule.forward_values(&n.0.name, inputs),
        KernelKind::Async(k) => {
            let ctx = AsyncKernelContext { step, node_name: n.0.name.as_str().into(), inputs, is_input_dead: false, frame_iter: Default::default() };
            futures::executor::block_on(k.compute_async(ctx)).map(|o| o.outputs)
        }
    }
}

/// Builds the node's kernel and runs it once on `inputs` with fresh resources.
pub fn run(n: NodeBuilder, inputs: Vec<Tensor>) -> ferroflow_framework::Result<Vec<Tensor>> {
    run_with(Arc::new(ResourceMgr::new()), n, inputs)
}

pub fn dtype_by_name(name: &str) -> DType {
    match name {
        "float32" | "float" => DType::Float,
        "float64" | "double" => DType::Double,
        "int32" => DType::Int32,
        "int64" => DType::Int64,
        "uint8" => DType::UInt8,
        "int8" => DType::Int8,
        "int16" => DType::Int16,
        "uint16" => DType::UInt16,
        "uint32" => DType::UInt32,
        "uint64" => DType::UInt64,
        "bool" => DType::Bool,
        "string" => DType::String,
        "variant" => DType::Variant,
        "resource" => DType::Resource,
        other => panic!("unknown dtype {other} in test data"),
    }
}

/// A string element: its text, or `{"hex": "..."}` for bytes that are not UTF-8.
fn string_from_json(x: &serde_json::Value) -> Bytes {
    match x.get("hex").and_then(|h| h.as_str()) {
        Some(hex) => (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits")).collect(),
        None => Bytes::from(x.as_str().expect("string value").to_string()),
    }
}

/// A tensor from `{"dtype": "float32", "shape": [2,2], "values": [...]}` (values flat, row-major).
pub fn tensor_from_json(v: &serde_json::Value) -> Tensor {
    let dtype = dtype_by_name(v["dtype"].as_str().expect("dtype"));
    let shape: Vec<i64> = v["shape"].as_array().expect("shape").iter().map(|d| d.as_i64().unwrap()).collect();
    let vals = v["values"].as_array().expect("values");
    let f = |x: &serde_json::Value| -> f64 {
        match x {
            serde_json::Value::String(s) if s == "nan" => f64::NAN,
            serde_json::Value::String(s) if s == "inf" => f64::INFINITY,
            serde_json::Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
            _ => x.as_f64().expect("number"),
        }
    };
    macro_rules! mk {
        ($t:ty) => {
            Tensor::from_vec(shape, vals.iter().map(|x| f(x) as $t).collect::<Vec<$t>>()).unwrap()
        };
    }
    match dtype {
        DType::Float => mk!(f32),
        DType::Double => mk!(f64),
        DType::Int32 => Tensor::from_vec(shape, vals.iter().map(|x| x.as_i64().unwrap() as i32).collect::<Vec<_>>()).unwrap(),
        DType::Int64 => Tensor::from_vec(shape, vals.iter().map(|x| x.as_i64().unwrap()).collect::<Vec<_>>()).unwrap(),
        DType::UInt8 => mk!(u8),
        DType::Int8 => mk!(i8),
        DType::Int16 => mk!(i16),
        DType::UInt16 => mk!(u16),
        DType::UInt32 => mk!(u32),
        DType::UInt64 => Tensor::from_vec(shape, vals.iter().map(|x| x.as_u64().unwrap()).collect::<Vec<_>>()).unwrap(),
        DType::Bool => Tensor::from_bools(shape, vals.iter().map(|x| x.as_bool().unwrap()).collect()).unwrap(),
        DType::String => Tensor::from_strings(shape, vals.iter().map(string_from_json).collect()).unwrap(),
        DType::Resource | DType::Variant => panic!("{dtype} tensors are not in test data"),
    }
}

/// Asserts `got` equals `want`: same dtype and shape; floats within `rtol` relative (and `rtol`
/// absolute near zero), NaN matching NaN; everything else exactly.
pub fn assert_tensor_close(got: &Tensor, want: &Tensor, rtol: f64, what: &str) {
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let check = |g: Vec<f64>, w: Vec<f64>| {
        for (i, (a, b)) in g.iter().zip(w.iter()).enumerate() {
            let ok = (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= rtol * b.abs().max(1.0);
            assert!(ok, "{what}: element {i}: got {a}, want {b}");
        }
    };
    match got.dtype() {
        DType::Float => check(
            got.values::<f32>().unwrap().iter().map(|&x| x as f64).collect(),
            want.values::<f32>().unwrap().iter().map(|&x| x as f64).collect(),
        ),
        DType::Double => check(got.to_vec::<f64>().unwrap(), want.to_vec::<f64>().unwrap()),
        _ => assert!(got.same_contents(want), "{what}: got {got:?}, want {want:?}"),
    }
}
