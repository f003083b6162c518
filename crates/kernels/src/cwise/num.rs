//! Element arithmetic with TensorFlow's semantics, written once for every real dtype through two
//! traits: [`Num`] (all integer and float types) and [`Float`] (f32, f64). Integer arithmetic wraps
//! on overflow (as TF's kernels do on two's-complement hardware); division helpers never panic
//! (callers reject zero divisors beforehand, TF's "Integer division by zero"). f32 `exp`/`tanh` are
//! the vectorizable versions of [`super::fastmath`]. Pure functions, no state.

use ferroflow_framework::TensorElement;

/// Arithmetic on one real element type, with TF's semantics for each op.
pub(crate) trait Num: TensorElement + Copy + PartialOrd + Send + Sync {
    const ZERO: Self;
    const ONE: Self;
    const IS_FLOAT: bool;
    /// Identity of `Max` reductions: -inf for floats, the minimum for integers.
    const MAX_IDENTITY: Self;
    /// Identity of `Min` reductions: +inf for floats, the maximum for integers.
    const MIN_IDENTITY: Self;
    /// Starting value of `ArgMax`'s scan: the lowest finite value.
    const LOWEST: Self;
    /// Starting value of `ArgMin`'s scan: the highest finite value.
    const HIGHEST: Self;

    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// Negation (wrapping for integers; unsigned types are never given to `Neg`).
    fn neg(self) -> Self;
    fn abs(self) -> Self;
    /// -1, 0 or 1 (NaN stays NaN, both zeros give +0).
    fn sign(self) -> Self;
    /// `x / y` rounded toward zero.
    fn trunc_div(self, o: Self) -> Self;
    /// `x / y` rounded toward negative infinity (Python's `//`).
    fn floor_div(self, o: Self) -> Self;
    /// The remainder with the sign of the divisor (Python's `%`).
    fn floor_mod(self, o: Self) -> Self;
    /// `x ** y`; integer exponents are non-negative (callers check).
    fn power(self, o: Self) -> Self;
    /// The larger value; NaN if either is NaN.
    fn max_nan(self, o: Self) -> Self;
    /// The smaller value; NaN if either is NaN.
    fn min_nan(self, o: Self) -> Self;
    fn is_negative(self) -> bool;
}

/// Transcendental and rounding functions of the float types.
pub(crate) trait Float: Num {
    const HALF: Self;
    /// True division.
    fn div(self, o: Self) -> Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    /// `ln(1 + x)`, accurate near 0.
    fn ln_1p(self) -> Self;
    fn sqrt(self) -> Self;
    /// The nearest value of this type to `v`.
    fn from_f64(v: f64) -> Self;
    fn tanh(self) -> Self;
    fn floor(self) -> Self;
}

macro_rules! int_common {
    ($t:ty) => {
        const ZERO: Self = 0;
        const ONE: Self = 1;
        const IS_FLOAT: bool = false;
        const MAX_IDENTITY: Self = <$t>::MIN;
        const MIN_IDENTITY: Self = <$t>::MAX;
        const LOWEST: Self = <$t>::MIN;
        const HIGHEST: Self = <$t>::MAX;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            self.wrapping_add(o)
        }
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            self.wrapping_sub(o)
        }
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            self.wrapping_mul(o)
        }
        #[inline(always)]
        fn neg(self) -> Self {
            self.wrapping_neg()
        }
        #[inline(always)]
        fn trunc_div(self, o: Self) -> Self {
            if o == 0 { 0 } else { self.wrapping_div(o) }
        }
        #[inline(always)]
        fn power(self, o: Self) -> Self {
            let (mut base, mut e, mut acc) = (self, o, 1 as $t);
            while e > 0 {
                if e & 1 == 1 {
                    acc = acc.wrapping_mul(base);
                }
                base = base.wrapping_mul(base);
                e >>= 1;
            }
            acc
        }
        #[inline(always)]
        fn max_nan(self, o: Self) -> Self {
            if o > self { o } else { self }
        }
        #[inline(always)]
        fn min_nan(self, o: Self) -> Self {
            if o < self { o } else { self }
        }
    };
}

macro_rules! signed {
    ($($t:ty),*) => {$(
        impl Num for $t {
            int_common!($t);
            #[inline(always)]
            fn abs(self) -> Self {
                self.wrapping_abs()
            }
            #[inline(always)]
            fn sign(self) -> Self {
                self.signum()
            }
            #[inline(always)]
            fn floor_div(self, o: Self) -> Self {
                if o == 0 {
                    return 0;
                }
                let q = self.wrapping_div(o);
                if self.wrapping_rem(o) != 0 && ((self < 0) != (o < 0)) { q.wrapping_sub(1) } else { q }
            }
            #[inline(always)]
            fn floor_mod(self, o: Self) -> Self {
                if o == 0 {
                    return 0;
                }
                let r = self.wrapping_rem(o);
                if r != 0 && ((r < 0) != (o < 0)) { r.wrapping_add(o) } else { r }
            }
            #[inline(always)]
            fn is_negative(self) -> bool {
                self < 0
            }
        }
    )*};
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Num for $t {
            int_common!($t);
            #[inline(always)]
            fn abs(self) -> Self {
                self
            }
            #[inline(always)]
            fn sign(self) -> Self {
                (self > 0) as $t
            }
            #[inline(always)]
            fn floor_div(self, o: Self) -> Self {
                if o == 0 { 0 } else { self / o }
            }
            #[inline(always)]
            fn floor_mod(self, o: Self) -> Self {
                if o == 0 { 0 } else { self % o }
            }
            #[inline(always)]
            fn is_negative(self) -> bool {
                false
            }
        }
    )*};
}

macro_rules! float {
    ($($t:ty => exp: $exp:path, tanh: $tanh:path),*) => {$(
        impl Num for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const IS_FLOAT: bool = true;
            const MAX_IDENTITY: Self = <$t>::NEG_INFINITY;
            const MIN_IDENTITY: Self = <$t>::INFINITY;
            const LOWEST: Self = <$t>::MIN;
            const HIGHEST: Self = <$t>::MAX;
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self - o
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self * o
            }
            #[inline(always)]
            fn neg(self) -> Self {
                -self
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn sign(self) -> Self {
                if self > 0.0 {
                    1.0
                } else if self < 0.0 {
                    -1.0
                } else if self.is_nan() {
                    self
                } else {
                    0.0
                }
            }
            #[inline(always)]
            fn trunc_div(self, o: Self) -> Self {
                (self / o).trunc()
            }
            #[inline(always)]
            fn floor_div(self, o: Self) -> Self {
                (self / o).floor()
            }
            #[inline(always)]
            fn floor_mod(self, o: Self) -> Self {
                let r = self % o;
                if r != 0.0 && ((o < 0.0) != (r < 0.0)) { r + o } else { r }
            }
            #[inline(always)]
            fn power(self, o: Self) -> Self {
                self.powf(o)
            }
            #[inline(always)]
            fn max_nan(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() {
                    <$t>::NAN
                } else if self < o {
                    o
                } else {
                    self
                }
            }
            #[inline(always)]
            fn min_nan(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() {
                    <$t>::NAN
                } else if o < self {
                    o
                } else {
                    self
                }
            }
            #[inline(always)]
            fn is_negative(self) -> bool {
                self < 0.0
            }
        }

        impl Float for $t {
            const HALF: Self = 0.5;
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                self / o
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[inline(always)]
            fn floor(self) -> Self {
                <$t>::floor(self)
            }
        }
    )*};
}

signed!(i8, i16, i32, i64);
unsigned!(u8, u16, u32, u64);
float!(f32 => exp: super::fastmath::exp_f32, tanh: super::fastmath::tanh_f32, f64 => exp: f64::exp, tanh: f64::tanh);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_division_follows_python() {
        assert_eq!(
            (7i32.floor_div(2), (-7i32).floor_div(2), 7i32.floor_div(-2), (-7i32).floor_div(-2)),
            (3, -4, -4, 3)
        );
        assert_eq!(
            (7i32.floor_mod(2), (-7i32).floor_mod(2), 7i32.floor_mod(-2), (-7i32).floor_mod(-2)),
            (1, 1, -1, -1)
        );
        assert_eq!(i32::MIN.floor_div(3), -715827883);
        assert_eq!((i32::MIN.floor_mod(-1), i32::MIN.trunc_div(-1)), (0, i32::MIN));
        assert_eq!((5.5f32.floor_mod(-2.0), (-5.5f32).floor_mod(2.0)), (-0.5, 0.5));
        assert_eq!(3.0f64.floor_mod(f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert_eq!(0i32.floor_div(0), 0, "no panic on zero divisors");
    }

    #[test]
    fn integer_powers_wrap_and_nan_propagates() {
        assert_eq!((3i8.power(5), (-2i8).power(7), 2i64.power(63), 0i32.power(0)), (-13, -128, i64::MIN, 1));
        assert!(1.0f32.max_nan(f32::NAN).is_nan() && f32::NAN.min_nan(1.0).is_nan());
        assert_eq!(((-0.0f32).sign().to_bits(), f32::NAN.sign().is_nan()), (0, true));
    }
}
