//! Stateful random ops on TF's Philox generator: `RandomUniform`, `RandomStandardNormal`,
//! `TruncatedNormal` and `RandomUniformInt`, bit-identical to TensorFlow's CPU kernels for the same
//! `seed`/`seed2` (both zero: random seeds, as TF).
//!
//! Concurrency: each kernel owns a `GuardedPhiloxRandom` whose mutex is held only while a run reserves
//! `256 * num_outputs` samples, so concurrent and successive runs of one node draw disjoint blocks
//! and continue the sequence exactly as TF's kernel does. Generation itself runs without the lock
//! (large outputs on rayon's pool).

use crate::philox::{
    self, Distribution, GuardedPhiloxRandom, NormalF32, NormalF64, RESERVED_SAMPLES_PER_OUTPUT, TruncatedNormalF32,
    TruncatedNormalF64, UniformF32, UniformF64, UniformI32, UniformI64,
};
use ferroflow_framework::{
    DType, Error, Kernel, KernelInit, OpRegistry, OpKernel, OpKernelContext, Result, Tensor, TensorElement,
    TensorShape,
};

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("RandomUniform")
        .input("shape: T")
        .output("output: dtype")
        .attr("seed: int = 0")
        .attr("seed2: int = 0")
        .attr("dtype: {half, bfloat16, float, double}")
        .attr("T: {int32, int64}")
        .stateful()
        .kernel(|init| build_float(init, FloatDist::Uniform));
    reg.op("RandomStandardNormal")
        .input("shape: T")
        .output("output: dtype")
        .attr("seed: int = 0")
        .attr("seed2: int = 0")
        .attr("dtype: {half, bfloat16, float, double}")
        .attr("T: {int32, int64}")
        .stateful()
        .kernel(|init| build_float(init, FloatDist::Normal));
    reg.op("TruncatedNormal")
        .input("shape: T")
        .output("output: dtype")
        .attr("seed: int = 0")
        .attr("seed2: int = 0")
        .attr("dtype: {half, bfloat16, float, double}")
        .attr("T: {int32, int64}")
        .stateful()
        .kernel(|init| build_float(init, FloatDist::TruncatedNormal));
    reg.op("RandomUniformInt")
        .input("shape: T")
        .input("minval: Tout")
        .input("maxval: Tout")
        .output("output: Tout")
        .attr("seed: int = 0")
        .attr("seed2: int = 0")
        .attr("Tout: {int32, int64}")
        .attr("T: {int32, int64}")
        .stateful()
        .kernel(build_uniform_int);
}

/// The output shape from a `shape` input: a vector of int32 or int64, with TF's checks.
pub(crate) fn shape_from_input(t: &Tensor) -> Result<TensorShape> {
    if t.rank() != 1 {
        return Err(Error::invalid_argument(format!(
            "shape must be a vector of {{int32,int64}}, got shape {}",
            t.shape()
        )));
    }
    let dims = match t.dtype() {
        DType::Int32 | DType::Int64 => t.to_i64_vec()?,
        _ => return Err(Error::invalid_argument("shape must be a vector of {int32,int64}.")),
    };
    let mut total: i64 = 1;
    for &d in &dims {
        if d < 0 {
            return Err(Error::invalid_argument(format!("Dimension {d} must be >= 0")));
        }
        total = total.checked_mul(d).ok_or_else(|| {
            Error::invalid_argument(format!(
                "Shape {} would have more than 2**63 - 1 elements",
                TensorShape::new(dims.clone())
            ))
        })?;
    }
    Ok(TensorShape::new(dims))
}

/// A zeroed output buffer, or RESOURCE_EXHAUSTED (TF's OOM wording) when it cannot be allocated.
fn alloc_output<T: TensorElement>(shape: &TensorShape, device: &str) -> Result<Vec<T>> {
    let n = shape.num_elements();
    let mut v = Vec::new();
    let fits = n.checked_mul(std::mem::size_of::<T>()).is_some_and(|b| b <= isize::MAX as usize);
    if !fits || v.try_reserve_exact(n).is_err() {
        return Err(Error::resource_exhausted(format!(
            "OOM when allocating tensor with shape{shape} and type {} on {device} by allocator cpu",
            T::DTYPE
        )));
    }
    v.resize(n, T::default());
    Ok(v)
}

/// Reserves this run's samples and fills a new tensor of `shape` from `dist`.
fn generate<D: Distribution>(
    dist: &D,
    generator: &GuardedPhiloxRandom,
    shape: TensorShape,
    device: &str,
) -> Result<Tensor>
where
    D::Output: TensorElement,
{
    let mut data = alloc_output::<D::Output>(&shape, device)?;
    let rng = generator.reserve_random_outputs(data.len() as u64, RESERVED_SAMPLES_PER_OUTPUT);
    philox::fill(dist, rng, &mut data);
    Tensor::from_vec(shape, data)
}

#[derive(Clone, Copy)]
enum FloatDist {
    Uniform,
    Normal,
    TruncatedNormal,
}

/// `RandomUniform`, `RandomStandardNormal` and `TruncatedNormal`: one `shape` input, float or double.
struct FloatRandomOp {
    dist: FloatDist,
    dtype: DType,
    generator: GuardedPhiloxRandom,
}

fn check_shape_type(init: &KernelInit<'_>, attr: &str) -> Result<()> {
    if init.attrs.has(attr) {
        init.attrs.get_type_in(attr, &[DType::Int32, DType::Int64])?;
    }
    Ok(())
}

fn build_float(init: &KernelInit<'_>, dist: FloatDist) -> Result<Kernel> {
    init.expect_inputs(1)?;
    let dtype = init.attrs.get_type_in("dtype", &[DType::Float, DType::Double])?;
    check_shape_type(init, "T")?;
    let generator = GuardedPhiloxRandom::from_attrs(&init.attrs)?;
    Ok(Kernel::sync(FloatRandomOp { dist, dtype, generator }, 1))
}

impl OpKernel for FloatRandomOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let shape = shape_from_input(ctx.input(0))?;
        let device = ctx.step.device_name.as_str();
        let g = &self.generator;
        let out = match (self.dist, self.dtype) {
            (FloatDist::Uniform, DType::Float) => generate(&UniformF32, g, shape, device)?,
            (FloatDist::Uniform, _) => generate(&UniformF64, g, shape, device)?,
            (FloatDist::Normal, DType::Float) => generate(&NormalF32, g, shape, device)?,
            (FloatDist::Normal, _) => generate(&NormalF64, g, shape, device)?,
            (FloatDist::TruncatedNormal, DType::Float) => generate(&TruncatedNormalF32, g, shape, device)?,
            (FloatDist::TruncatedNormal, _) => generate(&TruncatedNormalF64, g, shape, device)?,
        };
        ctx.set_output(0, out);
        Ok(())
    }
}

/// `RandomUniformInt`: inputs `shape`, `minval`, `maxval`; int32 or int64 values in [minval, maxval).
struct UniformIntOp {
    dtype: DType,
    generator: GuardedPhiloxRandom,
}

fn build_uniform_int(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(3)?;
    let dtype = init.attrs.get_type_in("Tout", &[DType::Int32, DType::Int64])?;
    check_shape_type(init, "T")?;
    let generator = GuardedPhiloxRandom::from_attrs(&init.attrs)?;
    Ok(Kernel::sync(UniformIntOp { dtype, generator }, 1))
}

impl OpKernel for UniformIntOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let (minval, maxval) = (ctx.input(1), ctx.input(2));
        if minval.rank() != 0 {
            return Err(Error::invalid_argument(format!("minval must be 0-D, got shape {}", minval.shape())));
        }
        if maxval.rank() != 0 {
            return Err(Error::invalid_argument(format!("maxval must be 0-D, got shape {}", maxval.shape())));
        }
        let shape = shape_from_input(ctx.input(0))?;
        // Like TF, an empty output needs no valid range and reserves no samples.
        if shape.num_elements() == 0 {
            ctx.set_output(0, Tensor::zeros(self.dtype, shape)?);
            return Ok(());
        }
        let device = ctx.step.device_name.as_str();
        let out = if self.dtype == DType::Int32 {
            let (lo, hi) = (minval.scalar_value::<i32>()?, maxval.scalar_value::<i32>()?);
            if lo >= hi {
                return Err(Error::invalid_argument(format!("Need minval < maxval, got {lo} >= {hi}")));
            }
            generate(&UniformI32::new(lo, hi), &self.generator, shape, device)?
        } else {
            let (lo, hi) = (minval.scalar_value::<i64>()?, maxval.scalar_value::<i64>()?);
            if lo >= hi {
                return Err(Error::invalid_argument(format!("Need minval < maxval, got {lo} >= {hi}")));
            }
            generate(&UniformI64::new(lo, hi), &self.generator, shape, device)?
        };
        ctx.set_output(0, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{self, node, tensor_from_json};
    use ferroflow_framework::{Code, KernelKind, ResourceMgr};
    use std::sync::Arc;

    /// Builds the node's kernel once and runs it on `inputs` `times` times, like one node of a
    /// graph run in successive steps.
    fn run_repeatedly(n: testutil::NodeBuilder, inputs: Vec<Tensor>, times: usize) -> Result<Vec<Tensor>> {
        let kernel = crate::registry().build(&n.0, inputs.len())?;
        let KernelKind::Sync(k) = kernel.kind else { panic!("random kernels are synchronous") };
        let step = testutil::step_with(Arc::new(ResourceMgr::new()));
        let mut outs = Vec::new();
        for _ in 0..times {
            let mut ctx = OpKernelContext::new(&step, &n.0.name, &inputs, kernel.num_outputs, &[]);
            k.compute(&mut ctx)?;
            outs.push(ctx.take_outputs()?.remove(0));
        }
        Ok(outs)
    }

    fn dtype_of(name: &str) -> DType {
        testutil::dtype_by_name(name)
    }

    /// Bitwise equality, reporting the first differing element.
    fn assert_bits_equal(got: &Tensor, want: &Tensor, what: &str) {
        assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
        assert_eq!(got.shape(), want.shape(), "{what}: shape");
        if got.same_contents(want) {
            return;
        }
        let first = match got.dtype() {
            DType::Float => {
                let (g, w) = (got.to_vec::<f32>().unwrap(), want.to_vec::<f32>().unwrap());
                (0..g.len())
                    .find(|&i| g[i].to_bits() != w[i].to_bits())
                    .map(|i| format!("{i}: {:e} vs {:e}", g[i], w[i]))
            }
            DType::Double => {
                let (g, w) = (got.to_vec::<f64>().unwrap(), want.to_vec::<f64>().unwrap());
                (0..g.len())
                    .find(|&i| g[i].to_bits() != w[i].to_bits())
                    .map(|i| format!("{i}: {:e} vs {:e}", g[i], w[i]))
            }
            _ => Some(format!("{got:?} vs {want:?}")),
        };
        panic!("{what}: not bit-identical to TensorFlow at element {}", first.unwrap_or_default());
    }

    /// A test tensor, taking float64 values from their exact bit patterns when the file has them.
    fn exact_tensor_from_json(v: &serde_json::Value) -> Tensor {
        let t = tensor_from_json(v);
        let Some(bits) = v["bits"].as_array() else { return t };
        let vals: Vec<f64> =
            bits.iter().map(|b| f64::from_bits(u64::from_str_radix(b.as_str().unwrap(), 16).unwrap())).collect();
        Tensor::from_vec(t.shape().clone(), vals).unwrap()
    }

    #[test]
    fn bit_identical_to_tensorflow_on_first_and_second_run() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/random.json")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let cases = doc["cases"].as_array().unwrap();
        assert!(cases.len() > 100);
        for case in cases {
            let name = case["name"].as_str().unwrap();
            let op = case["op"].as_str().unwrap();
            let dtype = dtype_of(case["dtype"].as_str().unwrap());
            let shape = tensor_from_json(&case["shape"]);
            let mut n = node(op)
                .attr_int("seed", case["seed"].as_i64().unwrap())
                .attr_int("seed2", case["seed2"].as_i64().unwrap())
                .attr_type("T", shape.dtype());
            let mut inputs = vec![shape];
            if op == "RandomUniformInt" {
                n = n.attr_type("Tout", dtype);
                inputs.push(tensor_from_json(&case["minval"]));
                inputs.push(tensor_from_json(&case["maxval"]));
            } else {
                n = n.attr_type("dtype", dtype);
            }
            let want: Vec<Tensor> = case["runs"].as_array().unwrap().iter().map(exact_tensor_from_json).collect();
            let got = run_repeatedly(n, inputs, want.len()).unwrap_or_else(|e| panic!("{name}: {e}"));
            for (run, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_bits_equal(g, w, &format!("{name} run {}", run + 1));
            }
        }
    }

    #[test]
    fn unseeded_kernels_differ_and_seeded_ones_repeat() {
        let shape = Tensor::from_vec(vec![1], vec![16i32]).unwrap();
        let mk = |seed: i64| {
            node("RandomUniform").attr_int("seed", seed).attr_int("seed2", 0).attr_type("dtype", DType::Float).attr_type("T", DType::Int32)
        };
        let a = run_repeatedly(mk(0), vec![shape.clone()], 1).unwrap();
        let b = run_repeatedly(mk(0), vec![shape.clone()], 1).unwrap();
        assert!(!a[0].same_contents(&b[0]));
        let c = run_repeatedly(mk(3), vec![shape.clone()], 2).unwrap();
        let d = run_repeatedly(mk(3), vec![shape], 2).unwrap();
        assert!(c[0].same_contents(&d[0]) && c[1].same_contents(&d[1]));
        assert!(!c[0].same_contents(&c[1]));
    }

    fn err_of(n: testutil::NodeBuilder, inputs: Vec<Tensor>) -> ferroflow_framework::Error {
        run_repeatedly(n, inputs, 1).expect_err("expected an error")
    }

    #[test]
    fn bad_shapes_and_bounds_are_tensorflow_errors() {
        let uni = || node("RandomUniform").attr_int("seed", 1).attr_int("seed2", 2).attr_type("dtype", DType::Float).attr_type("T", DType::Int32);
        let e = err_of(uni(), vec![Tensor::scalar(3i32)]);
        assert_eq!(
            (e.code, e.message.as_str()),
            (Code::InvalidArgument, "shape must be a vector of {int32,int64}, got shape []")
        );
        let e = err_of(uni(), vec![Tensor::from_vec(vec![2], vec![2i64, -3]).unwrap()]);
        assert_eq!(e.message, "Dimension -3 must be >= 0");
        let e = err_of(uni(), vec![Tensor::from_vec(vec![2], vec![1i64 << 40, 1 << 40]).unwrap()]);
        assert_eq!(e.message, "Shape [1099511627776,1099511627776] would have more than 2**63 - 1 elements");
        let e = err_of(uni(), vec![Tensor::from_vec(vec![1], vec![1i64 << 61]).unwrap()]);
        assert_eq!(e.code, Code::ResourceExhausted);
        let e = err_of(uni(), vec![Tensor::from_vec(vec![1], vec![2.0f32]).unwrap()]);
        assert_eq!(e.code, Code::InvalidArgument);

        let int = || {
            node("RandomUniformInt").attr_int("seed", 1).attr_int("seed2", 2).attr_type("Tout", DType::Int32).attr_type("T", DType::Int32)
        };
        let v = |x: Vec<i32>| Tensor::from_vec(vec![x.len() as i64], x).unwrap();
        let e = err_of(int(), vec![v(vec![3]), v(vec![1]), Tensor::scalar(4i32)]);
        assert_eq!(e.message, "minval must be 0-D, got shape [1]");
        let e = err_of(int(), vec![v(vec![3]), Tensor::scalar(1i32), v(vec![4])]);
        assert_eq!(e.message, "maxval must be 0-D, got shape [1]");
        let e = err_of(int(), vec![v(vec![3]), Tensor::scalar(5i32), Tensor::scalar(4i32)]);
        assert_eq!(e.message, "Need minval < maxval, got 5 >= 4");
        let empty = run_repeatedly(int(), vec![v(vec![0]), Tensor::scalar(5i32), Tensor::scalar(4i32)], 1).unwrap();
        assert_eq!(empty[0].dims(), &[0]);
    }

    #[test]
    fn unsupported_types_are_refused_when_building() {
        let e = testutil::run(node("RandomUniform").attr_type("dtype", DType::Int32), vec![Tensor::scalar(1i32)])
            .unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(e.message.contains("Value for attr 'dtype' of int32"), "{}", e.message);
        let e = testutil::run(node("RandomUniformInt").attr_type("Tout", DType::Float), vec![]).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        let e = testutil::run(
            node("TruncatedNormal").attr_type("dtype", DType::Float).attr_type("T", DType::Float),
            vec![Tensor::scalar(1.0f32)],
        )
        .unwrap_err();
        assert!(e.message.contains("Value for attr 'T' of float"), "{}", e.message);
    }
}
