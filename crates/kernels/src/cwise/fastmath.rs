//! Branch-free single-precision `exp` and `tanh` that the compiler vectorizes (libm's are scalar
//! calls), used by the f32 `Exp`, `Sigmoid` and `Tanh` kernels. Accurate to a few units in the last
//! place; like TF's CPU kernels (which run with denormals flushed), results below the smallest
//! normal float are 0. Pure functions, no state.

const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;
/// Adding this rounds an f32 of magnitude below 2^22 to an integer, which lands in the low mantissa bits.
const ROUNDER: f32 = 12_582_912.0;
/// Above this, `exp` overflows f32.
const EXP_MAX: f32 = 88.722_83;
/// Below this, `exp` is below the smallest normal f32.
const EXP_MIN: f32 = -87.336_54;

/// `e^x` for f32.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    let xc = x.clamp(-87.5, 88.8);
    // x = n ln2 + r with |r| <= ln2 / 2; n is an integer in [-127, 129].
    let t = xc * std::f32::consts::LOG2_E + ROUNDER;
    let n = t - ROUNDER;
    let ni = (t.to_bits() as i32).wrapping_sub(ROUNDER.to_bits() as i32);
    let r = xc - n * LN2_HI - n * LN2_LO;
    // e^r by its Taylor series to r^7 (remainder below 6e-9 relative on |r| <= ln2 / 2).
    let mut p = 1.0 / 5040.0f32;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^n as two normal factors, so neither over- nor underflows on its own.
    let half = ni >> 1;
    let s1 = f32::from_bits((half.wrapping_add(127) as u32) << 23);
    let s2 = f32::from_bits((ni.wrapping_sub(half).wrapping_add(127) as u32) << 23);
    let y = p * s1 * s2;
    let y = if x > EXP_MAX { f32::INFINITY } else { y };
    let y = if x < EXP_MIN { 0.0 } else { y };
    if x.is_nan() { x } else { y }
}

/// Below this magnitude `tanh` uses its odd power series, above it `1 - 2 / (e^2x + 1)`.
const TANH_SERIES_MAX: f32 = 0.55;

/// `tanh(x)` for f32.
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    let a = x.abs();
    let x2 = x * x;
    // Taylor coefficients of tanh (x^1 .. x^19); the next term is below 2e-8 relative at 0.55.
    let mut p = -443_861_162.0 / 1_856_156_927_625.0f32;
    p = p * x2 + 6_404_582.0 / 10_854_718_875.0;
    p = p * x2 - 929_569.0 / 638_512_875.0;
    p = p * x2 + 21_844.0 / 6_081_075.0;
    p = p * x2 - 1_382.0 / 155_925.0;
    p = p * x2 + 62.0 / 2_835.0;
    p = p * x2 - 17.0 / 315.0;
    p = p * x2 + 2.0 / 15.0;
    p = p * x2 - 1.0 / 3.0;
    let series = x * (1.0 + x2 * p);
    let e = exp_f32(2.0 * a);
    let large = (1.0 - 2.0 / (e + 1.0)).copysign(x);
    if a < TANH_SERIES_MAX { series } else { large }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f32, b: f64) -> f64 {
        if b == 0.0 { a.abs() as f64 } else { ((a as f64 - b) / b).abs() }
    }

    #[test]
    fn exp_is_accurate_across_the_range() {
        let mut worst = 0f64;
        for i in 0..=2_000_000 {
            let x = -87.3 + i as f32 * (176.0 / 2_000_000.0);
            if x > 88.7 {
                break;
            }
            worst = worst.max(rel(exp_f32(x), (x as f64).exp()));
        }
        assert!(worst < 4e-7, "worst relative error {worst}");
        assert_eq!(
            (exp_f32(0.0), exp_f32(89.0), exp_f32(-88.0), exp_f32(f32::NEG_INFINITY)),
            (1.0, f32::INFINITY, 0.0, 0.0)
        );
        assert!(exp_f32(f32::NAN).is_nan() && exp_f32(f32::INFINITY).is_infinite());
        assert!(exp_f32(88.72).is_finite() && exp_f32(-87.33) > 0.0);
    }

    #[test]
    fn tanh_is_accurate_across_the_range() {
        let mut worst = 0f64;
        for i in -1_000_000..=1_000_000 {
            let x = i as f32 * 1e-5;
            worst = worst.max(rel(tanh_f32(x), (x as f64).tanh()));
        }
        for x in [1e-30f32, -1e-8, 0.5499, 0.5501, 3.0, 9.0, 10.0, 50.0, -50.0] {
            worst = worst.max(rel(tanh_f32(x), (x as f64).tanh()));
        }
        assert!(worst < 1e-6, "worst relative error {worst}");
        assert_eq!((tanh_f32(f32::INFINITY), tanh_f32(f32::NEG_INFINITY)), (1.0, -1.0));
        assert!(tanh_f32(f32::NAN).is_nan() && tanh_f32(-0.0).is_sign_negative());
    }
}
