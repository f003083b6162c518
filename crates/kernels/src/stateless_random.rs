//! Stateless random ops: the same outputs for the same inputs, every run, bit-identical to TF's CPU
//! kernels. The V1 ops take a `seed` pair, which TF scrambles into a Philox key and counter
//! (`GenerateKey`); the V2 ops take that key and counter (as `StatelessRandomGetKeyCounter` makes
//! them, what `tf.random.stateless_*`, Keras initializers and dropout emit in graph mode) and an
//! algorithm id (Philox, or auto-select, which is Philox on a CPU). Generation is the stateful
//! ops' fill (`philox::fill`), from the start of the given counter.
//!
//! Concurrency: stateless kernels, shared by every step of a graph.

use crate::philox::{
    self, Distribution, NormalF32, NormalF64, PhiloxRandom, TruncatedNormalF32, TruncatedNormalF64, UniformF32, UniformF64,
    UniformFull32, UniformFull64, UniformI32, UniformI64,
};
use crate::random::shape_from_input;
use ferroflow_framework::{DType, Error, Kernel, KernelFactory, KernelInit, OpKernel, OpKernelContext, OpRegistry, Result, Tensor, TensorElement, TensorShape};

/// TF's algorithm ids (`rng_alg.h`).
const ALG_PHILOX: i32 = 1;
const ALG_AUTO_SELECT: i32 = 3;

pub(crate) fn register(reg: &mut OpRegistry) {
    register_key_counter(reg);
    register_v1(reg);
    register_v2(reg);
}

fn register_key_counter(reg: &mut OpRegistry) {
    reg.op("StatelessRandomGetKeyCounter")
        .input("seed: Tseed")
        .output("key: uint64")
        .output("counter: uint64")
        .attr("Tseed: {int32, int64} = DT_INT64")
        .kernel(|_| Ok(Kernel::sync(KeyCounterOp { with_alg: false }, 2)));
    reg.op("StatelessRandomGetKeyCounterAlg")
        .input("seed: Tseed")
        .output("key: uint64")
        .output("counter: uint64")
        .output("alg: int32")
        .attr("Tseed: {int32, int64} = DT_INT64")
        .kernel(|_| Ok(Kernel::sync(KeyCounterOp { with_alg: true }, 3)));
    reg.op("StatelessRandomGetAlg").output("alg: int32").stateful().kernel(|_| {
        Ok(crate::array::kernel(1, |ctx| {
            ctx.set_output(0, Tensor::scalar(ALG_PHILOX));
            Ok(())
        }))
    });
}

fn register_v1(reg: &mut OpRegistry) {
    let floats: [(&str, KernelFactory); 3] = [
        ("StatelessRandomUniform", |init| build(init, Dist::Uniform, Source::Seed, FLOATS)),
        ("StatelessRandomNormal", |init| build(init, Dist::Normal, Source::Seed, FLOATS)),
        ("StatelessTruncatedNormal", |init| build(init, Dist::TruncatedNormal, Source::Seed, FLOATS)),
    ];
    for (name, factory) in floats {
        reg.op(name)
            .input("shape: T")
            .input("seed: Tseed")
            .output("output: dtype")
            .attr("dtype: {half, bfloat16, float, double} = DT_FLOAT")
            .attr("T: {int32, int64} = DT_INT32")
            .attr("Tseed: {int32, int64} = DT_INT64")
            .kernel(factory);
    }
    reg.op("StatelessRandomUniformInt")
        .input("shape: T")
        .input("seed: Tseed")
        .input("minval: dtype")
        .input("maxval: dtype")
        .output("output: dtype")
        .attr("dtype: {int32, int64}")
        .attr("T: {int32, int64}")
        .attr("Tseed: {int32, int64} = DT_INT64")
        .kernel(|init| build(init, Dist::UniformInt, Source::Seed, SIGNED));
    reg.op("StatelessRandomUniformFullInt")
        .input("shape: T")
        .input("seed: Tseed")
        .output("output: dtype")
        .attr("dtype: {int32, int64, uint32, uint64} = DT_UINT64")
        .attr("T: {int32, int64} = DT_INT32")
        .attr("Tseed: {int32, int64, uint32, uint64} = DT_INT64")
        .kernel(|init| build(init, Dist::FullInt, Source::Seed, INTEGERS));
}

fn register_v2(reg: &mut OpRegistry) {
    let floats: [(&str, KernelFactory); 3] = [
        ("StatelessRandomUniformV2", |init| build(init, Dist::Uniform, Source::KeyCounter, FLOATS)),
        ("StatelessRandomNormalV2", |init| build(init, Dist::Normal, Source::KeyCounter, FLOATS)),
        ("StatelessTruncatedNormalV2", |init| build(init, Dist::TruncatedNormal, Source::KeyCounter, FLOATS)),
    ];
    for (name, factory) in floats {
        reg.op(name)
            .input("shape: Tshape")
            .input("key: uint64")
            .input("counter: uint64")
            .input("alg: int32")
            .output("output: dtype")
            .attr("dtype: {half, bfloat16, float, double} = DT_FLOAT")
            .attr("Tshape: {int32, int64} = DT_INT32")
            .kernel(factory);
    }
    reg.op("StatelessRandomUniformIntV2")
        .input("shape: Tshape")
        .input("key: uint64")
        .input("counter: uint64")
        .input("alg: int32")
        .input("minval: dtype")
        .input("maxval: dtype")
        .output("output: dtype")
        .attr("dtype: {int32, int64, uint32, uint64}")
        .attr("Tshape: {int32, int64} = DT_INT32")
        .kernel(|init| build(init, Dist::UniformInt, Source::KeyCounter, SIGNED));
    reg.op("StatelessRandomUniformFullIntV2")
        .input("shape: Tshape")
        .input("key: uint64")
        .input("counter: uint64")
        .input("alg: int32")
        .output("output: dtype")
        .attr("dtype: {int32, int64, uint32, uint64} = DT_UINT64")
        .attr("Tshape: {int32, int64} = DT_INT32")
        .kernel(|init| build(init, Dist::FullInt, Source::KeyCounter, INTEGERS));
}

/// The dtypes TF's CPU kernels (and ferroflow's) generate, per family.
const FLOATS: &[DType] = &[DType::Float, DType::Double];
const SIGNED: &[DType] = &[DType::Int32, DType::Int64];
const INTEGERS: &[DType] = &[DType::Int32, DType::Int64, DType::UInt32, DType::UInt64];

#[derive(Clone, Copy)]
enum Dist {
    Uniform,
    Normal,
    TruncatedNormal,
    /// In [minval, maxval), the two inputs after the generator's.
    UniformInt,
    /// Every bit pattern.
    FullInt,
}

/// Where the generator comes from: a seed pair (input 1), or a key, counter and algorithm
/// (inputs 1, 2, 3).
#[derive(Clone, Copy, PartialEq)]
enum Source {
    Seed,
    KeyCounter,
}

struct StatelessRandomOp {
    dist: Dist,
    source: Source,
    dtype: DType,
}

fn build(init: &KernelInit<'_>, dist: Dist, source: Source, dtypes: &[DType]) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("dtype", dtypes)?;
    Ok(Kernel::sync(StatelessRandomOp { dist, source, dtype }, 1))
}

/// TF's `GenerateKey`: the seed pair through one Philox block under a fixed key, so that no half of
/// the seed needs to be the strong one.
fn generator_from_seed(seed: &Tensor) -> Result<PhiloxRandom> {
    if seed.rank() != 1 || seed.shape().dims()[0] != 2 {
        return Err(Error::invalid_argument(format!("seed must have shape [2], not {}", seed.shape())));
    }
    let (s0, s1) = match seed.dtype() {
        DType::Int32 => {
            let v = seed.values::<i32>()?;
            (v[0] as i64 as u64, v[1] as i64 as u64)
        }
        DType::Int64 => {
            let v = seed.values::<i64>()?;
            (v[0] as u64, v[1] as u64)
        }
        DType::UInt32 => {
            let v = seed.values::<u32>()?;
            (u64::from(v[0]), u64::from(v[1]))
        }
        DType::UInt64 => {
            let v = seed.values::<u64>()?;
            (v[0], v[1])
        }
        other => return Err(Error::invalid_argument(format!("Invalid seed type: {}", other.name()))),
    };
    let counter = [s0 as u32, (s0 >> 32) as u32, s1 as u32, (s1 >> 32) as u32];
    let mix = PhiloxRandom::from_counter_key(counter, [0x3ec8_f720, 0x0246_1e29]).next_block();
    Ok(PhiloxRandom::from_counter_key([0, 0, mix[2], mix[3]], [mix[0], mix[1]]))
}

/// The V2 inputs `key`, `counter`, `alg` checked as TF's `GetKeyCounterAlgFromInputs` checks them.
fn generator_from_key_counter(key: &Tensor, counter: &Tensor, alg: &Tensor) -> Result<PhiloxRandom> {
    if alg.rank() != 0 {
        return Err(Error::invalid_argument(format!("input 3 (0-based) must have shape [], not {}", alg.shape())));
    }
    if alg.dtype() != DType::Int32 {
        return Err(Error::invalid_argument(format!("dtype of input 3 (0-based) must be int32, not {}", alg.dtype().name())));
    }
    let alg = match alg.scalar_value::<i32>()? {
        ALG_AUTO_SELECT => ALG_PHILOX,
        a => a,
    };
    if key.rank() != 1 || key.shape().dims()[0] != 1 {
        return Err(Error::invalid_argument(format!(
            "key must have shape [1], not {}. (Note that batched keys are not supported yet.)",
            key.shape()
        )));
    }
    // TF asks for at least `alg` counter words (one for Philox, which reads two).
    let needed = alg.max(0) as i64;
    if counter.rank() != 1 || counter.shape().dims()[0] < needed {
        return Err(Error::invalid_argument(format!(
            "counter must be a vector with length at least {needed}; got shape: {}. (Note that batched counters are not supported yet.)",
            counter.shape()
        )));
    }
    if alg != ALG_PHILOX {
        return Err(Error::invalid_argument(format!("Unsupported algorithm id: {alg}")));
    }
    let key = key.values::<u64>()?[0];
    let words = counter.values::<u64>()?;
    // A one-word counter (which TF accepts and reads past) has a zero high word here.
    let (c0, c1) = (words[0], words.get(1).copied().unwrap_or(0));
    Ok(PhiloxRandom::from_counter_key(
        [c0 as u32, (c0 >> 32) as u32, c1 as u32, (c1 >> 32) as u32],
        [key as u32, (key >> 32) as u32],
    ))
}

/// A tensor of `shape` filled from `rng` by `dist`, allocated against the memory budget.
fn generate<D: Distribution>(dist: &D, rng: PhiloxRandom, shape: TensorShape, ctx: &OpKernelContext<'_>) -> Result<Tensor>
where
    D::Output: TensorElement,
{
    let mut data = ctx.allocate::<D::Output>(shape)?;
    philox::fill(dist, rng, &mut data);
    Ok(data.into_tensor())
}

/// The scalar `minval` and `maxval` (inputs `at` and `at + 1`) with TF's checks.
fn range<T: TensorElement + PartialOrd + std::fmt::Display>(ctx: &OpKernelContext<'_>, at: usize) -> Result<(T, T)> {
    let (minval, maxval) = (ctx.input(at), ctx.input(at + 1));
    if minval.rank() != 0 {
        return Err(Error::invalid_argument(format!("minval must be 0-D, got shape {}", minval.shape())));
    }
    if maxval.rank() != 0 {
        return Err(Error::invalid_argument(format!("maxval must be 0-D, got shape {}", maxval.shape())));
    }
    let (lo, hi) = (minval.scalar_value::<T>()?, maxval.scalar_value::<T>()?);
    if lo >= hi {
        return Err(Error::invalid_argument(format!("Need minval < maxval, got {lo} >= {hi}")));
    }
    Ok((lo, hi))
}

impl OpKernel for StatelessRandomOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        // TF reads the key, counter and algorithm before the shape, and the seed after it.
        let (rng, shape) = match self.source {
            Source::KeyCounter => {
                let rng = generator_from_key_counter(ctx.input(1), ctx.input(2), ctx.input(3))?;
                (rng, shape_from_input(ctx.input(0))?)
            }
            Source::Seed => {
                let shape = shape_from_input(ctx.input(0))?;
                (generator_from_seed(ctx.input(1))?, shape)
            }
        };
        // An empty output needs no valid range.
        if shape.num_elements() == 0 {
            ctx.set_output(0, Tensor::zeros(self.dtype, shape)?);
            return Ok(());
        }
        let bounds_at = if self.source == Source::Seed { 2 } else { 4 };
        let out = match (self.dist, self.dtype) {
            (Dist::Uniform, DType::Float) => generate(&UniformF32, rng, shape, ctx)?,
            (Dist::Uniform, _) => generate(&UniformF64, rng, shape, ctx)?,
            (Dist::Normal, DType::Float) => generate(&NormalF32, rng, shape, ctx)?,
            (Dist::Normal, _) => generate(&NormalF64, rng, shape, ctx)?,
            (Dist::TruncatedNormal, DType::Float) => generate(&TruncatedNormalF32, rng, shape, ctx)?,
            (Dist::TruncatedNormal, _) => generate(&TruncatedNormalF64, rng, shape, ctx)?,
            (Dist::UniformInt, DType::Int32) => {
                let (lo, hi) = range::<i32>(ctx, bounds_at)?;
                generate(&UniformI32::new(lo, hi), rng, shape, ctx)?
            }
            (Dist::UniformInt, _) => {
                let (lo, hi) = range::<i64>(ctx, bounds_at)?;
                generate(&UniformI64::new(lo, hi), rng, shape, ctx)?
            }
            (Dist::FullInt, DType::UInt32) => generate(&UniformFull32 { from_bits: |x| x }, rng, shape, ctx)?,
            (Dist::FullInt, DType::Int32) => generate(&UniformFull32 { from_bits: |x| x as i32 }, rng, shape, ctx)?,
            (Dist::FullInt, DType::UInt64) => generate(&UniformFull64 { from_bits: |x| x }, rng, shape, ctx)?,
            (Dist::FullInt, _) => generate(&UniformFull64 { from_bits: |x| x as i64 }, rng, shape, ctx)?,
        };
        ctx.set_output(0, out);
        Ok(())
    }
}

/// `StatelessRandomGetKeyCounter` (and `...Alg`): the key and counter a seed scrambles into.
struct KeyCounterOp {
    with_alg: bool,
}

impl OpKernel for KeyCounterOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let rng = generator_from_seed(ctx.input(0))?;
        let (k, c) = (rng.key(), rng.counter());
        let key = u64::from(k[0]) | (u64::from(k[1]) << 32);
        let counter = [u64::from(c[0]) | (u64::from(c[1]) << 32), u64::from(c[2]) | (u64::from(c[3]) << 32)];
        ctx.set_output(0, Tensor::from_vec(vec![1], vec![key])?);
        ctx.set_output(1, Tensor::from_vec(vec![2], counter.to_vec())?);
        if self.with_alg {
            ctx.set_output(2, Tensor::scalar(ALG_PHILOX));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::{Code, DType, Tensor};

    #[test]
    fn oracle_cases() {
        let ops = [
            "StatelessRandomGetKeyCounter",
            "StatelessRandomGetKeyCounterAlg",
            "StatelessRandomGetAlg",
            "StatelessRandomUniform",
            "StatelessRandomNormal",
            "StatelessTruncatedNormal",
            "StatelessRandomUniformInt",
            "StatelessRandomUniformFullInt",
            "StatelessRandomUniformV2",
            "StatelessRandomNormalV2",
            "StatelessTruncatedNormalV2",
            "StatelessRandomUniformIntV2",
            "StatelessRandomUniformFullIntV2",
        ];
        // Bit for bit: the same seed gives TF's exact values.
        assert!(crate::array::oracle::run_cases("stateless_random.json", &ops, 0.0) >= 600);
    }

    #[test]
    fn a_one_word_counter_reads_a_zero_high_word() {
        let key = Tensor::from_vec(vec![1], vec![5u64]).unwrap();
        let op = || node("StatelessRandomUniformV2").attr_type("dtype", DType::Float).attr_type("Tshape", DType::Int32);
        let shape = Tensor::from_vec(vec![1], vec![8i32]).unwrap();
        let one = run(op(), vec![shape.clone(), key.clone(), Tensor::from_vec(vec![1], vec![9u64]).unwrap(), Tensor::scalar(1i32)]).unwrap();
        let two = run(op(), vec![shape, key, Tensor::from_vec(vec![2], vec![9u64, 0]).unwrap(), Tensor::scalar(1i32)]).unwrap();
        assert!(one[0].same_contents(&two[0]));
    }

    #[test]
    fn an_integer_dtype_for_a_float_distribution_is_refused() {
        let op = node("StatelessRandomUniformV2").attr_type("dtype", DType::Int32).attr_type("Tshape", DType::Int32);
        let key = Tensor::from_vec(vec![1], vec![5u64]).unwrap();
        let counter = Tensor::from_vec(vec![2], vec![0u64, 0]).unwrap();
        let e = run(op, vec![Tensor::from_vec(vec![1], vec![2i32]).unwrap(), key, counter, Tensor::scalar(1i32)]).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
    }
}
