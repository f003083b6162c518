//! TensorFlow's counter-based random number generation, reproduced bit for bit: the Philox4x32-10
//! generator, the guarded generator a stateful random kernel keeps (seeded from the `seed`/`seed2`
//! attrs and advanced by the samples each run reserves), TF's conversions of raw 32-bit samples to
//! floats, doubles, normals and bounded integers, and the group-wise fill that TF's CPU kernels use.
//!
//! Concurrency: `PhiloxRandom` is a small `Copy` value owned by whoever uses it. `GuardedPhiloxRandom`
//! is shared by all runs of one kernel; its mutex is held only while a run reserves its block of
//! samples, never while samples are generated. Fills may split the output among rayon workers: each
//! group of outputs depends only on its index, so the result does not depend on the split.

use ferroflow_framework::{Attrs, Result};
use parking_lot::Mutex;
use rayon::prelude::*;
use std::hash::{BuildHasher, Hasher};

/// Samples (of 128 bits) TF reserves per output element, for distributions that reject samples.
pub const RESERVED_SAMPLES_PER_OUTPUT: u64 = 256;

/// Multiplier constants of the Philox round function.
const MUL_A: u32 = 0xD251_1F53;
const MUL_B: u32 = 0xCD9E_8D57;
/// Weyl increments added to the key between rounds.
const WEYL_A: u32 = 0x9E37_79B9;
const WEYL_B: u32 = 0xBB67_AE85;

/// The Philox4x32-10 generator: a 128-bit counter and a 64-bit key; each call turns the counter into
/// four random 32-bit words and advances it by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PhiloxRandom {
    counter: [u32; 4],
    key: [u32; 2],
}

impl PhiloxRandom {
    /// A generator keyed by `seed`, counter at zero.
    pub fn from_seed(seed: u64) -> PhiloxRandom {
        PhiloxRandom { counter: [0; 4], key: [seed as u32, (seed >> 32) as u32] }
    }

    /// TF's two-seed form: the first seed is the key, the second the upper half of the counter.
    pub fn from_seeds(seed_lo: u64, seed_hi: u64) -> PhiloxRandom {
        PhiloxRandom {
            counter: [0, 0, seed_hi as u32, (seed_hi >> 32) as u32],
            key: [seed_lo as u32, (seed_lo >> 32) as u32],
        }
    }

    pub fn from_counter_key(counter: [u32; 4], key: [u32; 2]) -> PhiloxRandom {
        PhiloxRandom { counter, key }
    }

    pub fn counter(&self) -> [u32; 4] {
        self.counter
    }

    pub fn key(&self) -> [u32; 2] {
        self.key
    }

    /// Advances the counter by `count` 128-bit samples, carrying through all four words as TF does.
    pub fn skip(&mut self, count: u64) {
        let count_lo = count as u32;
        let mut count_hi = (count >> 32) as u32;
        self.counter[0] = self.counter[0].wrapping_add(count_lo);
        if self.counter[0] < count_lo {
            count_hi = count_hi.wrapping_add(1);
        }
        self.counter[1] = self.counter[1].wrapping_add(count_hi);
        if self.counter[1] < count_hi {
            self.counter[2] = self.counter[2].wrapping_add(1);
            if self.counter[2] == 0 {
                self.counter[3] = self.counter[3].wrapping_add(1);
            }
        }
    }

    fn skip_one(&mut self) {
        for word in self.counter.iter_mut() {
            *word = word.wrapping_add(1);
            if *word != 0 {
                break;
            }
        }
    }

    fn round(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
        let p0 = u64::from(MUL_A) * u64::from(ctr[0]);
        let p1 = u64::from(MUL_B) * u64::from(ctr[2]);
        let (lo0, hi0) = (p0 as u32, (p0 >> 32) as u32);
        let (lo1, hi1) = (p1 as u32, (p1 >> 32) as u32);
        [hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0]
    }

    /// The next four 32-bit samples.
    pub fn next_block(&mut self) -> [u32; 4] {
        let mut ctr = self.counter;
        let mut key = self.key;
        for round in 0..10 {
            if round > 0 {
                key[0] = key[0].wrapping_add(WEYL_A);
                key[1] = key[1].wrapping_add(WEYL_B);
            }
            ctr = Self::round(ctr, key);
        }
        self.skip_one();
        ctr
    }
}

/// Hands out single 32-bit samples from a generator's blocks, as TF's `SingleSampleAdapter` does.
pub struct SingleSampleAdapter<'a> {
    rng: &'a mut PhiloxRandom,
    block: [u32; 4],
    used: usize,
}

impl<'a> SingleSampleAdapter<'a> {
    pub fn new(rng: &'a mut PhiloxRandom) -> SingleSampleAdapter<'a> {
        SingleSampleAdapter { rng, block: [0; 4], used: 4 }
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.used == 4 {
            self.block = self.rng.next_block();
            self.used = 0;
        }
        let x = self.block[self.used];
        self.used += 1;
        x
    }
}

/// Fresh random 64 bits from the process's hash seeds, a clock and a counter (used only when a
/// kernel is given no seeds, where TF also draws random ones).
fn random_u64() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    h.finish()
}

/// The generator a stateful random kernel owns: every run reserves a block of samples under the
/// mutex and generates from its private copy, so successive runs continue the sequence exactly as
/// TF's `GuardedPhiloxRandom` does.
#[derive(Debug)]
pub struct GuardedPhiloxRandom {
    generator: Mutex<PhiloxRandom>,
}

impl GuardedPhiloxRandom {
    /// Seeded like TF: both seeds zero means fresh random seeds, otherwise `PhiloxRandom(seed, seed2)`.
    pub fn new(seed: i64, seed2: i64) -> GuardedPhiloxRandom {
        let (s1, s2) = if seed == 0 && seed2 == 0 { (random_u64(), random_u64()) } else { (seed as u64, seed2 as u64) };
        GuardedPhiloxRandom { generator: Mutex::new(PhiloxRandom::from_seeds(s1, s2)) }
    }

    /// Seeded from the node's `seed` and `seed2` attrs (absent ones count as 0, their default).
    pub fn from_attrs(attrs: &Attrs<'_>) -> Result<GuardedPhiloxRandom> {
        Ok(GuardedPhiloxRandom::new(attrs.get_int_or("seed", 0)?, attrs.get_int_or("seed2", 0)?))
    }

    /// A copy of the generator valid for `samples` 128-bit samples; the shared one moves past them.
    pub fn reserve_samples128(&self, samples: u64) -> PhiloxRandom {
        let mut g = self.generator.lock();
        let local = *g;
        g.skip(samples);
        local
    }

    /// Reserves room for `samples` 32-bit samples.
    pub fn reserve_samples32(&self, samples: u64) -> PhiloxRandom {
        self.reserve_samples128(samples.div_ceil(4))
    }

    /// Reserves `output_count * multiplier` 128-bit samples (TF's conservative reservation).
    pub fn reserve_random_outputs(&self, output_count: u64, multiplier: u64) -> PhiloxRandom {
        self.reserve_samples128(output_count.wrapping_mul(multiplier))
    }
}

/// `x`'s low 23 bits as a float in [0, 1): 1.mantissa minus one.
pub fn uint32_to_float(x: u32) -> f32 {
    f32::from_bits((127u32 << 23) | (x & 0x7f_ffff)) - 1.0
}

/// 52 bits (20 from `x0`, 32 from `x1`) as a double in [0, 1).
pub fn uint64_to_double(x0: u32, x1: u32) -> f64 {
    let mantissa = (u64::from(x0 & 0xf_ffff) << 32) | u64::from(x1);
    f64::from_bits((1023u64 << 52) | mantissa) - 1.0
}

/// Two standard normals from two samples by the Box-Muller transform, in TF's float arithmetic.
pub fn box_muller_float(x0: u32, x1: u32) -> (f32, f32) {
    const EPSILON: f32 = 1.0e-7;
    let u1 = uint32_to_float(x0).max(EPSILON);
    // TF multiplies by the double constant 2*pi and rounds the product back to float.
    let v1 = (2.0 * std::f64::consts::PI * f64::from(uint32_to_float(x1))) as f32;
    let u2 = (-2.0f32 * u1.ln()).sqrt();
    let (s, c) = (v1.sin(), v1.cos());
    (s * u2, c * u2)
}

/// Two standard normals from four samples by the Box-Muller transform, in double arithmetic.
pub fn box_muller_double(x0: u32, x1: u32, x2: u32, x3: u32) -> (f64, f64) {
    const EPSILON: f64 = 1.0e-7;
    let u1 = uint64_to_double(x0, x1).max(EPSILON);
    let v1 = 2.0 * std::f64::consts::PI * uint64_to_double(x2, x3);
    let u2 = (-2.0 * u1.ln()).sqrt();
    let (s, c) = (v1.sin(), v1.cos());
    (s * u2, c * u2)
}

/// A distribution that turns generator output into groups of values, as TF's distribution classes.
pub trait Distribution: Sync {
    type Output: Copy + Default + Send + Sync;
    /// Values produced per group.
    const GROUP_SIZE: usize;
    /// True when a group may consume any number of samples; each group then starts at its own
    /// reserved offset (`GROUP_SIZE * 256 / 4` blocks per group), as TF's variable-sample fill does.
    const VARIABLE_SAMPLES: bool;
    /// Writes the next group (exactly `GROUP_SIZE` values) to `out`.
    fn group(&self, rng: &mut PhiloxRandom, out: &mut [Self::Output]);
}

/// Uniform floats in [0, 1): one sample per value.
pub struct UniformF32;
impl Distribution for UniformF32 {
    type Output = f32;
    const GROUP_SIZE: usize = 4;
    const VARIABLE_SAMPLES: bool = false;
    fn group(&self, rng: &mut PhiloxRandom, out: &mut [f32]) {
        for (o, x) in out.iter_mut().zip(rng.next_block()) {
            *o = uint32_to_float(x);
        }
    }
}

/// Uniform doubles in [0, 1): two samples per value.
pub struct UniformF64;
impl Distribution for UniformF64 {
    type Output = f64;
    const GROUP_SIZE: usize = 2;
    const VARIABLE_SAMPLES: bool = false;
    fn group(&self, rng: &mut PhiloxRandom, out: &mut [f64]) {
        let s = rng.next_block();
        out[0] = uint64_to_double(s[0], s[1]);
        out[1] = uint64_to_double(s[2], s[3]);
    }
}

/// Standard normal floats: Box-Muller on sample pairs.
pub struct NormalF32;
impl Distribution for NormalF32 {
    type Output = f32;
    const GROUP_SIZE: usize = 4;
    const VARIABLE_SAMPLES: bool = false;
    fn group(&self, rng: &mut PhiloxRandom, out: &mut [f32]) {
        let s = rng.next_block();
        (out[0], out[1]) = box_muller_float(s[0], s[1]);
        (out[2], out[3]) = box_muller_float(s[2], s[3]);
    }
}

/// Standard normal doubles: Box-Muller on one block.
pub struct NormalF64;
impl Distribution for NormalF64 {
    type Output = f64;
    const GROUP_SIZE: usize = 2;
    const VARIABLE_SAMPLES: bool = false;
    fn group(&self, rng: &mut PhiloxRandom, out: &mut [f64]) {
        let s = rng.next_block();
        (out[0], out[1]) = box_muller_double(s[0], s[1], s[2], s[3]);
    }
}

/// Where TF truncates its normal distribution (values must be strictly inside).
const TRUNCATE_VALUE: f64 = 2.0;

/// Standard normal floats restricted to (-2, 2) by rejection, drawing single samples.
pub struct TruncatedNormalF32;
impl Distribution for TruncatedNormalF32 {
    type Output = f32;
    const GROUP_SIZE: usize = 4;
    const VARIABLE_SAMPLES: bool = true;
    fn group(&self, rng: &mut PhiloxRandom, out: &mut [f32]) {
        let mut src = SingleSampleAdapter::new(rng);
        let mut n = 0;
        loop {
            let x0 = src.next_u32();
            let x1 = src.next_u32();
            let (a, b) = box_muller_float(x0, x1);
            for f in [a, b] {
                if f.abs() < TRUNCATE_VALUE as f32 {
                    out[n] = f;
                    n += 1;
                    if n == out.len() {
                        return;
                    }
                }
            }
        }
    }
}

/// Standard normal doubles restricted to (-2, 2) by rejection, drawing single samples.
pub struct TruncatedNormalF64;
impl Distribution for TruncatedNormalF64 {
    type Output = f64;
    const GROUP_SIZE: usize = 2;
    const VARIABLE_SAMPLES: bool = true;
    fn group(&self, rng: &mut PhiloxRandom, out: &mut [f64]) {
        let mut src = SingleSampleAdapter::new(rng);
        let mut n = 0;
        loop {
            let x = [src.next_u32(), src.next_u32(), src.next_u32(), src.next_u32()];
            let (a, b) = box_muller_double(x[0], x[1], x[2], x[3]);
            for d in [a, b] {
                if d.abs() < TRUNCATE_VALUE {
                    out[n] = d;
                    n += 1;
                    if n == out.len() {
                        return;
                    }
                }
            }
        }
    }
}

/// Uniform int32 in [lo, hi): one sample modulo the range per value.
pub struct UniformI32 {
    lo: i32,
    range: u32,
}

impl UniformI32 {
    /// Requires `lo < hi`.
    pub fn new(lo: i32, hi: i32) -> UniformI32 {
        UniformI32 { lo, range: (hi as u32).wrapping_sub(lo as u32) }
    }
}

impl Distribution for UniformI32 {
    type Output = i32;
    const GROUP_SIZE: usize = 4;
    const VARIABLE_SAMPLES: bool = false;
    fn group(&self, rng: &mut PhiloxRandom, out: &mut [i32]) {
        for (o, x) in out.iter_mut().zip(rng.next_block()) {
            // The true sum lies in [lo, hi), so modular addition gives it exactly.
            *o = self.lo.wrapping_add(x.checked_rem(self.range).unwrap_or(x) as i32);
        }
    }
}

/// Uniform int64 in [lo, hi): two samples (low word first) modulo the range per value.
pub struct UniformI64 {
    lo: i64,
    range: u64,
}

impl UniformI64 {
    /// Requires `lo < hi`.
    pub fn new(lo: i64, hi: i64) -> UniformI64 {
        UniformI64 { lo, range: (hi as u64).wrapping_sub(lo as u64) }
    }
}

impl Distribution for UniformI64 {
    type Output = i64;
    const GROUP_SIZE: usize = 2;
    const VARIABLE_SAMPLES: bool = false;
    fn group(&self, rng: &mut PhiloxRandom, out: &mut [i64]) {
        let s = rng.next_block();
        for (i, o) in out.iter_mut().enumerate() {
            let bits = u64::from(s[2 * i]) | (u64::from(s[2 * i + 1]) << 32);
            *o = self.lo.wrapping_add(bits.checked_rem(self.range).unwrap_or(bits) as i64);
        }
    }
}

/// Every 32-bit pattern equally likely: one sample per value, as TF's `UniformFullIntDistribution32`;
/// `from_bits` makes the value (int32 and uint32 take the same bits).
pub struct UniformFull32<T> {
    pub from_bits: fn(u32) -> T,
}
impl<T: Copy + Default + Send + Sync> Distribution for UniformFull32<T> {
    type Output = T;
    const GROUP_SIZE: usize = 4;
    const VARIABLE_SAMPLES: bool = false;
    fn group(&self, rng: &mut PhiloxRandom, out: &mut [T]) {
        for (o, x) in out.iter_mut().zip(rng.next_block()) {
            *o = (self.from_bits)(x);
        }
    }
}

/// Every 64-bit pattern equally likely: two samples (low word first) per value, as TF's
/// `UniformFullIntDistribution64`; `from_bits` makes the value.
pub struct UniformFull64<T> {
    pub from_bits: fn(u64) -> T,
}
impl<T: Copy + Default + Send + Sync> Distribution for UniformFull64<T> {
    type Output = T;
    const GROUP_SIZE: usize = 2;
    const VARIABLE_SAMPLES: bool = false;
    fn group(&self, rng: &mut PhiloxRandom, out: &mut [T]) {
        let s = rng.next_block();
        out[0] = (self.from_bits)(u64::from(s[0]) | (u64::from(s[1]) << 32));
        out[1] = (self.from_bits)(u64::from(s[2]) | (u64::from(s[3]) << 32));
    }
}

/// Groups handled by one rayon task; below twice this the fill stays on the calling thread.
const GROUPS_PER_TASK: usize = 4096;

/// Fills the groups starting at `first_group` into `data` (which starts at that group's first value).
fn fill_groups<D: Distribution>(dist: &D, base: PhiloxRandom, first_group: usize, data: &mut [D::Output]) {
    let g = D::GROUP_SIZE;
    let mut buf = vec![D::Output::default(); g];
    let stride = (g as u64) * RESERVED_SAMPLES_PER_OUTPUT / 4;
    let mut rng = base;
    if !D::VARIABLE_SAMPLES {
        rng.skip(first_group as u64);
    }
    for (i, chunk) in data.chunks_mut(g).enumerate() {
        if D::VARIABLE_SAMPLES {
            rng = base;
            rng.skip(((first_group + i) as u64).wrapping_mul(stride));
        }
        if chunk.len() == g {
            dist.group(&mut rng, chunk);
        } else {
            dist.group(&mut rng, &mut buf);
            chunk.copy_from_slice(&buf[..chunk.len()]);
        }
    }
}

/// Fills `data` from the generator `rng` (as reserved for this run), group by group exactly as
/// TF's CPU `FillPhiloxRandom`; a trailing partial group takes the first values of a full group.
pub fn fill<D: Distribution>(dist: &D, rng: PhiloxRandom, data: &mut [D::Output]) {
    let g = D::GROUP_SIZE;
    let groups = data.len().div_ceil(g);
    if groups < 2 * GROUPS_PER_TASK {
        fill_groups(dist, rng, 0, data);
        return;
    }
    data.par_chunks_mut(GROUPS_PER_TASK * g)
        .enumerate()
        .for_each(|(task, chunk)| fill_groups(dist, rng, task * GROUPS_PER_TASK, chunk));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_random123_known_answers() {
        let mut g = PhiloxRandom::from_counter_key([0; 4], [0; 2]);
        assert_eq!(g.next_block(), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
        assert_eq!(g.counter(), [1, 0, 0, 0]);
        let mut g = PhiloxRandom::from_counter_key([u32::MAX; 4], [u32::MAX; 2]);
        assert_eq!(g.next_block(), [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
        assert_eq!(g.counter(), [0; 4]);
        let mut g =
            PhiloxRandom::from_counter_key([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]);
        assert_eq!(g.next_block(), [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
    }

    #[test]
    fn skip_carries_like_tensorflow() {
        let mut g = PhiloxRandom::from_counter_key([u32::MAX, u32::MAX, u32::MAX, 0], [0; 2]);
        g.skip(1);
        assert_eq!(g.counter(), [0, 0, 0, 1]);
        let mut g = PhiloxRandom::from_counter_key([5, 0, 0, 0], [0; 2]);
        g.skip((3u64 << 32) | 7);
        assert_eq!(g.counter(), [12, 3, 0, 0]);
        let mut g = PhiloxRandom::from_counter_key([u32::MAX, 1, 0, 0], [0; 2]);
        g.skip(2);
        assert_eq!(g.counter(), [1, 2, 0, 0]);
    }

    #[test]
    fn skipping_equals_generating() {
        let mut a = PhiloxRandom::from_seeds(87654321, 12345);
        let mut b = a;
        for _ in 0..37 {
            a.next_block();
        }
        b.skip(37);
        assert_eq!(a, b);
        assert_eq!(a.next_block(), b.next_block());
    }

    #[test]
    fn seeds_fill_key_and_upper_counter() {
        let g = PhiloxRandom::from_seeds(0x1_0000_0002, 0x3_0000_0004);
        assert_eq!(g.key(), [2, 1]);
        assert_eq!(g.counter(), [0, 0, 4, 3]);
    }

    #[test]
    fn guarded_generator_reserves_and_advances() {
        let gp = GuardedPhiloxRandom::new(1, 2);
        let first = gp.reserve_random_outputs(3, RESERVED_SAMPLES_PER_OUTPUT);
        let second = gp.reserve_samples32(5);
        let third = gp.reserve_samples128(0);
        let mut expect = PhiloxRandom::from_seeds(1, 2);
        assert_eq!(first, expect);
        expect.skip(768);
        assert_eq!(second, expect);
        expect.skip(2);
        assert_eq!(third, expect);
        let a = GuardedPhiloxRandom::new(0, 0).reserve_samples128(1);
        let b = GuardedPhiloxRandom::new(0, 0).reserve_samples128(1);
        assert_ne!(a, b, "unseeded generators draw fresh seeds");
    }

    #[test]
    fn conversions_cover_the_unit_interval() {
        assert_eq!(uint32_to_float(0), 0.0);
        assert_eq!(uint32_to_float(u32::MAX), 1.0 - f32::EPSILON);
        assert_eq!(uint64_to_double(0, 0), 0.0);
        assert_eq!(uint64_to_double(u32::MAX, u32::MAX), 1.0 - f64::EPSILON);
        let (a, b) = box_muller_float(0, 0);
        assert_eq!(a, 0.0);
        assert!((b - (-2.0f32 * 1.0e-7f32.ln()).sqrt()).abs() < 1e-6);
    }

    #[test]
    fn uniform_ints_stay_in_range_including_extremes() {
        let mut out = vec![0i32; 103];
        fill(&UniformI32::new(i32::MIN, i32::MAX), PhiloxRandom::from_seeds(3, 4), &mut out);
        assert!(out.iter().all(|&x| x < i32::MAX));
        let mut out = vec![0i64; 103];
        fill(&UniformI64::new(-5, -2), PhiloxRandom::from_seeds(3, 4), &mut out);
        assert!(out.iter().all(|&x| (-5..-2).contains(&x)));
    }

    fn parallel_equals_serial<D: Distribution>(dist: D, n: usize)
    where
        D::Output: PartialEq + std::fmt::Debug,
    {
        let rng = PhiloxRandom::from_seeds(42, 7);
        let mut par = vec![D::Output::default(); n];
        fill(&dist, rng, &mut par);
        let mut ser = vec![D::Output::default(); n];
        fill_groups(&dist, rng, 0, &mut ser);
        assert!(par == ser, "parallel and serial fills differ");
    }

    #[test]
    fn parallel_fill_equals_serial_fill() {
        let n = 2 * GROUPS_PER_TASK * 4 + 13;
        parallel_equals_serial(UniformF32, n);
        parallel_equals_serial(NormalF64, n);
        parallel_equals_serial(TruncatedNormalF32, n);
        parallel_equals_serial(TruncatedNormalF64, n);
        parallel_equals_serial(UniformI64::new(-3, 1000), n);
    }

    #[test]
    fn truncated_normals_are_strictly_inside_two() {
        let mut out = vec![0f32; 4099];
        fill(&TruncatedNormalF32, PhiloxRandom::from_seeds(9, 9), &mut out);
        assert!(out.iter().all(|x| x.abs() < 2.0));
    }
}
