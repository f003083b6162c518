//! The few C `printf` conversions `AsString` builds (TF formats with `strings::Printf`): one flag
//! of ` +-0#`, a width, a precision, and `d`/`u` for integers or `f`/`e`/`g` for floats, written
//! as glibc writes them; `s` for strings. Rust's float formatting rounds exactly as glibc does (correctly, half to
//! even on the exact binary value), so digits agree.
//!
//! Concurrency: plain values and pure functions.

/// A float conversion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum FloatStyle {
    /// `%f`
    Fixed,
    /// `%e`
    Scientific,
    /// `%g`
    Shortest,
}

/// A parsed conversion: `%[flag][width][.precision]`.
#[derive(Debug, Clone, Default)]
pub(super) struct Spec {
    pub left: bool,
    pub plus: bool,
    pub space: bool,
    pub zero: bool,
    pub alt: bool,
    pub width: usize,
    pub precision: Option<usize>,
}

impl Spec {
    /// A spec from `AsString`'s attrs; `fill` is one flag character or none.
    pub(super) fn new(fill: Option<u8>, width: Option<usize>, precision: Option<usize>) -> Spec {
        let mut s = Spec { width: width.unwrap_or(0), precision, ..Spec::default() };
        match fill {
            Some(b'-') => s.left = true,
            Some(b'+') => s.plus = true,
            Some(b' ') => s.space = true,
            Some(b'0') => s.zero = true,
            Some(b'#') => s.alt = true,
            _ => {}
        }
        s
    }

    fn sign(&self, negative: bool) -> &'static str {
        if negative {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        }
    }

    /// Pads `sign` + `body` to the width; zeros go between them when `zero_ok`.
    fn pad(&self, sign: &str, body: &str, zero_ok: bool) -> String {
        let len = sign.len() + body.len();
        if len >= self.width {
            return format!("{sign}{body}");
        }
        let fill = self.width - len;
        if self.left {
            format!("{sign}{body}{}", " ".repeat(fill))
        } else if self.zero && zero_ok {
            format!("{sign}{}{body}", "0".repeat(fill))
        } else {
            format!("{}{sign}{body}", " ".repeat(fill))
        }
    }

    /// `%d` (signed) or `%u` (unsigned), given the value's sign and magnitude.
    pub(super) fn integer(&self, negative: bool, magnitude: u128) -> String {
        // glibc ignores `0` when a precision is given; `AsString` never gives one for integers.
        let sign = if negative { "-" } else if self.plus { "+" } else if self.space { " " } else { "" };
        self.pad(sign, &magnitude.to_string(), self.precision.is_none())
    }

    /// `%s`: the bytes, padded with spaces to the width.
    pub(super) fn string(&self, s: &[u8]) -> Vec<u8> {
        let fill = self.width.saturating_sub(s.len());
        let mut out = Vec::with_capacity(s.len() + fill);
        if !self.left {
            out.resize(fill, b' ');
        }
        out.extend_from_slice(s);
        if self.left {
            out.resize(s.len() + fill, b' ');
        }
        out
    }

    /// A float in `style`.
    pub(super) fn float(&self, x: f64, style: FloatStyle) -> String {
        let sign = self.sign(x.is_sign_negative());
        if !x.is_finite() {
            let body = if x.is_nan() { "nan" } else { "inf" };
            return self.pad(sign, body, false);
        }
        let a = x.abs();
        let p = self.precision.unwrap_or(6);
        let body = match style {
            FloatStyle::Fixed => with_point(format!("{a:.p$}"), self.alt && p == 0),
            FloatStyle::Scientific => scientific(a, p, self.alt),
            FloatStyle::Shortest => {
                let p = p.max(1);
                let exp = decimal_exponent(a, p);
                if exp < -4 || exp >= p as i32 {
                    let s = scientific(a, p - 1, self.alt);
                    if self.alt { s } else { strip_mantissa_zeros(&s) }
                } else {
                    let digits = (p as i32 - 1 - exp) as usize;
                    let s = with_point(format!("{a:.digits$}"), self.alt && digits == 0);
                    if self.alt { s } else { strip_zeros(&s) }
                }
            }
        };
        self.pad(sign, &body, true)
    }
}

fn with_point(s: String, add: bool) -> String {
    if add { s + "." } else { s }
}

/// The exponent of `a` in `%e` at `p` significant digits (after rounding).
fn decimal_exponent(a: f64, p: usize) -> i32 {
    if a == 0.0 {
        return 0;
    }
    let s = format!("{:.*e}", p - 1, a);
    s.split_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0)
}

/// `%e` of a non-negative finite `a` with `p` digits after the point.
fn scientific(a: f64, p: usize, alt: bool) -> String {
    let s = format!("{a:.p$e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mantissa = with_point(mantissa.to_string(), alt && p == 0);
    format!("{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

fn strip_zeros(s: &str) -> String {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s.to_string() }
}

fn strip_mantissa_zeros(s: &str) -> String {
    match s.split_once('e') {
        Some((m, e)) => format!("{}e{e}", strip_zeros(m)),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_as_glibc_writes_them() {
        let plain = Spec::default();
        assert_eq!(plain.float(1.5, FloatStyle::Fixed), "1.500000");
        assert_eq!(plain.float(1.0 / 3.0, FloatStyle::Shortest), "0.333333");
        assert_eq!(plain.float(1e20, FloatStyle::Shortest), "1e+20");
        assert_eq!(plain.float(1e-7, FloatStyle::Shortest), "1e-07");
        assert_eq!(plain.float(f64::NEG_INFINITY, FloatStyle::Fixed), "-inf");
        let sci3 = Spec::new(None, None, Some(3));
        assert_eq!(sci3.float(1.0 / 3.0, FloatStyle::Scientific), "3.333e-01");
        assert_eq!(sci3.float(12345.678, FloatStyle::Shortest), "1.23e+04");
        assert_eq!(Spec::new(Some(b'0'), Some(3), Some(0)).float(1.0, FloatStyle::Fixed), "001");
        assert_eq!(Spec::new(Some(b'#'), None, None).float(1e20, FloatStyle::Shortest), "1.00000e+20");
        assert_eq!(Spec::new(Some(b' '), Some(8), None).float(1.5, FloatStyle::Fixed), " 1.500000");
        assert_eq!(Spec::new(Some(b'0'), Some(6), None).float(f64::NAN, FloatStyle::Fixed), "   nan");
    }

    #[test]
    fn integers_pad_with_the_flag() {
        assert_eq!(Spec::new(Some(b'0'), Some(5), None).integer(true, 5), "-0005");
        assert_eq!(Spec::new(Some(b'-'), Some(3), None).integer(false, 1), "1  ");
        assert_eq!(Spec::new(None, Some(5), None).integer(false, 7), "    7");
        assert_eq!(Spec::new(Some(b'+'), None, None).integer(false, 7), "+7");
    }
}
