//! `StringToNumber` (`tf.strings.to_number`): decimal or hexadecimal text to floats and integers
//! as TF's `SafeStringToNumeric` reads them — surrounding C whitespace allowed, one optional sign,
//! `inf`/`infinity`/`nan` in any case, hexadecimal floats (`0x1.8p3`), values beyond a float's
//! range as infinities, integers that do not fit as errors.
//!
//! Concurrency: stateless kernel.

use crate::array::{kernel, type_attr_or};
use ferroflow_framework::{Cost, DType, Error, OpRegistry, Result, Tensor};
use std::str::FromStr;

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("StringToNumber")
        .input("string_tensor: string")
        .output("output: out_type")
        .attr("out_type: {float, double, int32, int64, uint32, uint64} = DT_FLOAT")
        .cost(Cost::InputElements)
        .kernel(|init| {
            let allowed = [DType::Float, DType::Double, DType::Int32, DType::Int64, DType::UInt32, DType::UInt64];
            let out_type = type_attr_or(init, "out_type", DType::Float, &allowed)?;
            Ok(kernel(1, move |ctx| {
                let input = ctx.input(0);
                let strings = input.strings()?;
                let shape = input.shape().clone();
                let out = match out_type {
                    DType::Float => Tensor::from_vec(shape, parse_all(strings, parse_float::<f32>)?)?,
                    DType::Double => Tensor::from_vec(shape, parse_all(strings, parse_float::<f64>)?)?,
                    DType::Int32 => Tensor::from_vec(shape, parse_all(strings, parse_int::<i32>)?)?,
                    DType::Int64 => Tensor::from_vec(shape, parse_all(strings, parse_int::<i64>)?)?,
                    DType::UInt32 => Tensor::from_vec(shape, parse_all(strings, parse_int::<u32>)?)?,
                    _ => Tensor::from_vec(shape, parse_all(strings, parse_int::<u64>)?)?,
                };
                ctx.set_output(0, out);
                Ok(())
            }))
        });
}

fn parse_all<T>(strings: &[bytes::Bytes], parse: fn(&str) -> Option<T>) -> Result<Vec<T>> {
    strings
        .iter()
        .map(|s| {
            std::str::from_utf8(s).ok().and_then(|t| parse(trim_c_space(t))).ok_or_else(|| {
                Error::invalid_argument(format!("StringToNumberOp could not correctly convert string: {}", String::from_utf8_lossy(s)))
            })
        })
        .collect()
}

/// The text without the characters C's `isspace` accepts at either end.
fn trim_c_space(s: &str) -> &str {
    s.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'))
}

/// An integer: one optional sign and decimal digits (no sign at all for unsigned types' `-`).
fn parse_int<T: FromStr>(s: &str) -> Option<T> {
    if !s.bytes().skip(usize::from(s.starts_with(['+', '-']))).all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A float type `StringToNumber` can produce.
trait ParsedFloat: FromStr {
    fn from_f64(x: f64) -> Self;
}

impl ParsedFloat for f32 {
    fn from_f64(x: f64) -> f32 {
        x as f32
    }
}

impl ParsedFloat for f64 {
    fn from_f64(x: f64) -> f64 {
        x
    }
}

fn parse_float<T: ParsedFloat>(s: &str) -> Option<T> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let x = parse_hex_float(hex)?;
        return Some(T::from_f64(if negative { -x } else { x }));
    }
    // Rust's grammar is C's decimal one (with inf, infinity and nan in any case), less a sign.
    if body.starts_with(['+', '-']) {
        return None;
    }
    s.parse().ok()
}

/// The value of a hexadecimal float's digits after `0x`: `h[.h][p[+-]d]`, at least one digit.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exponent) = match s.find(['p', 'P']) {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int_part.chars() {
        value = value * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        value += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    let exp: i32 = match exponent {
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            e.parse::<i64>().map(|v| v.clamp(-100_000, 100_000) as i32).unwrap_or(if e.starts_with('-') { -100_000 } else { 100_000 })
        }
        None => 0,
    };
    Some(value * 2f64.powi(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_as_tf_reads_them() {
        let f = |s: &str| parse_float::<f32>(trim_c_space(s));
        assert_eq!(f("  +3.5e-2  "), Some(0.035));
        assert_eq!(f("0X1A"), Some(26.0));
        assert_eq!(f("-0x1p3"), Some(-8.0));
        assert_eq!(f("Infinity"), Some(f32::INFINITY));
        assert_eq!(f("3.4028236e38"), Some(f32::INFINITY));
        assert!(f("-nan").unwrap().is_nan());
        for bad in ["1.5abc", "infin", "0x", "+-1", "1 2", "", "-", "1e", "1_0"] {
            assert_eq!(f(bad), None, "{bad}");
        }
    }

    #[test]
    fn integers_need_digits_that_fit() {
        assert_eq!(parse_int::<i32>(trim_c_space("\t7\n")), Some(7));
        assert_eq!(parse_int::<i32>("-2147483648"), Some(i32::MIN));
        assert_eq!(parse_int::<i32>("2147483648"), None);
        assert_eq!(parse_int::<u32>("-0"), None);
        assert_eq!(parse_int::<i32>("1e2"), None);
        assert_eq!(parse_int::<i32>("+"), None);
    }
}
