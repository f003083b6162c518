//! TF's texts of tensor values: `Tensor::DebugString`, and `Tensor::SummarizeValue` in both of its
//! forms — the old one (`[1 2][3...]...`, what `Assert` messages and variant debug strings quote)
//! and the `print_v2` one (`[[1 2 ... 9 10]]`, strings quoted, first and last entries of each
//! dimension; what `tf.strings.format` and `tf.print` write). Numbers are written as TF's
//! `strings::AlphaNum` writes them (`FloatToBuffer`: `%g` at 6 or 15 digits, 9 or 17 when the
//! short form does not read back exactly), strings escaped as absl's `Utf8SafeCEscape`.
//!
//! Texts are bytes: string elements need not be UTF-8 and are kept as they are.
//! Concurrency: pure functions.

use ferroflow_framework::{DType, Tensor};

/// `Tensor<type: float shape: [2] values: 0.5 1>`, as TF's `Tensor::DebugString` (at most three
/// values, nested in brackets by dimension).
pub(crate) fn tensor_debug_string(t: &Tensor) -> String {
    format!("Tensor<type: {} shape: {} values: {}>", t.dtype(), t.shape(), summarize(t, 3))
}

/// `%g` with `precision` significant digits, as C's printf writes it.
pub(crate) fn fmt_g(x: f64, precision: usize) -> String {
    let precision = precision.max(1);
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let sci = format!("{:.*e}", precision - 1, x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s.to_string() };
    if exp < -4 || exp >= precision as i32 {
        format!("{}e{}{:02}", trim(mantissa), if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        trim(&format!("{:.*}", (precision as i32 - 1 - exp).max(0) as usize, x))
    }
}

/// TF's `FloatToBuffer`/`DoubleToBuffer`: the shorter precision when it reads back exactly.
pub(crate) fn fmt_float(x: f64, is_f32: bool) -> String {
    let (short, long) = if is_f32 { (6, 9) } else { (15, 17) };
    let s = fmt_g(x, short);
    let exact = if is_f32 { s.parse::<f32>().ok() == Some(x as f32) } else { s.parse::<f64>().ok() == Some(x) };
    if exact || x.is_nan() || x.is_infinite() { s } else { fmt_g(x, long) }
}

/// absl's `Utf8SafeCEscape`: C escapes for quotes, backslashes and control bytes (octal), bytes
/// of 0x80 and above left as they are.
pub(crate) fn c_escape_utf8_safe(s: &[u8], out: &mut Vec<u8>) {
    for &c in s {
        match c {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\'' => out.extend_from_slice(b"\\'"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            c if c < 0x20 || c == 0x7f => out.extend_from_slice(format!("\\{c:03o}").as_bytes()),
            c => out.push(c),
        }
    }
}

/// The texts of the first `limit` elements (strings quoted in the `print_v2` form).
fn element_texts(t: &Tensor, limit: usize, print_v2: bool) -> Vec<Vec<u8>> {
    fn each<T: Clone, F: Fn(&T) -> Vec<u8>>(v: &[T], limit: usize, f: F) -> Vec<Vec<u8>> {
        v.iter().take(limit).map(f).collect()
    }
    match t.dtype() {
        DType::Float => t.values::<f32>().map(|v| each(&v, limit, |&x| fmt_float(x as f64, true).into_bytes())).unwrap_or_default(),
        DType::Double => t.values::<f64>().map(|v| each(&v, limit, |&x| fmt_float(x, false).into_bytes())).unwrap_or_default(),
        DType::Bool => t.bools().map(|v| each(&v, limit, |&b| vec![b'0' + b as u8])).unwrap_or_default(),
        DType::String => t
            .strings()
            .map(|v| {
                each(v, limit, |s| {
                    let mut out = Vec::with_capacity(s.len() + 2);
                    if print_v2 {
                        out.push(b'"');
                    }
                    c_escape_utf8_safe(s, &mut out);
                    if print_v2 {
                        out.push(b'"');
                    }
                    out
                })
            })
            .unwrap_or_default(),
        DType::Variant => t.variants().map(|v| each(v, limit, |x| format!("<{}>", x.0.debug_string()).into_bytes())).unwrap_or_default(),
        DType::Resource => vec![b"?".to_vec(); limit],
        d => ferroflow_framework::dispatch!(int, d, T => t.values::<T>().map(|v| each(&v, limit, |x| x.to_string().into_bytes())).unwrap_or_default(), Vec::new()),
    }
}

/// TF's `SummarizeValue(max_entries)` (not the `print_v2` form).
pub(crate) fn summarize(t: &Tensor, max_entries: usize) -> String {
    String::from_utf8_lossy(&summarize_value(t, max_entries as i64, false)).into_owned()
}

/// TF's `SummarizeValue(max_entries, print_v2)`; a negative `max_entries` means every element.
pub(crate) fn summarize_value(t: &Tensor, max_entries: i64, print_v2: bool) -> Vec<u8> {
    let n = t.num_elements();
    let limit = if max_entries < 0 { n } else { (max_entries as usize).min(n) };
    let elems = element_texts(t, limit, print_v2);
    let mut out = Vec::new();
    let dims = t.dims();
    let regular = !matches!(t.dtype(), DType::Variant | DType::Resource);
    if !regular {
        // TF's irregular types: entries in a row, bracketed in the v2 form.
        let bracket = print_v2 && !dims.is_empty();
        if bracket {
            out.push(b'[');
        }
        out.extend_from_slice(&elems.join(&b' '));
        if (max_entries as i128) < n as i128 && max_entries >= 0 {
            out.extend_from_slice(b"...");
        }
        if bracket {
            out.push(b']');
        }
    } else if dims.is_empty() {
        out.extend_from_slice(&elems.join(&b' '));
        if n > limit {
            out.extend_from_slice(b"...");
        }
    } else if print_v2 {
        // Every element of the first and last `limit` rows of each dimension: the texts of all
        // elements are needed, not only the first `limit`.
        let all = element_texts(t, n, true);
        print_dim_v2(0, dims, limit, &all, 0, &mut out);
    } else {
        let mut next = 0;
        print_dim(0, dims, limit, &elems, &mut next, &mut out);
        if n > limit {
            out.extend_from_slice(b"...");
        }
    }
    out
}

/// TF's `PrintOneDim`: nested brackets, one level per dimension, until `limit` elements are out.
fn print_dim(dim: usize, dims: &[i64], limit: usize, elems: &[Vec<u8>], next: &mut usize, out: &mut Vec<u8>) {
    if *next >= limit {
        return;
    }
    let count = dims[dim] as usize;
    if dim == dims.len() - 1 {
        for i in 0..count {
            if *next >= limit {
                if dim != 0 {
                    out.extend_from_slice(b"...");
                }
                return;
            }
            if i > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(&elems[*next]);
            *next += 1;
        }
        return;
    }
    for _ in 0..count {
        let opened = *next < limit;
        if opened {
            out.push(b'[');
        }
        print_dim(dim + 1, dims, limit, elems, next, out);
        if *next < limit || opened {
            out.push(b']');
        }
    }
}

/// TF's `PrintDimSpacing`: a space inside the last dimension, else a newline per dimension left
/// and an indent.
fn dim_spacing(dim: usize, num_dims: usize, out: &mut Vec<u8>) {
    if dim + 1 == num_dims {
        out.push(b' ');
        return;
    }
    out.extend(std::iter::repeat_n(b'\n', num_dims - dim - 1));
    out.extend(std::iter::repeat_n(b' ', dim + 1));
}

/// TF's `PrintOneDimV2`: every dimension bracketed, its first and last `at_ends` entries written
/// and `...` between them when some are left out.
fn print_dim_v2(dim: usize, dims: &[i64], at_ends: usize, elems: &[Vec<u8>], index: usize, out: &mut Vec<u8>) {
    if dim == dims.len() {
        out.extend_from_slice(&elems[index]);
        return;
    }
    out.push(b'[');
    let count = dims[dim] as usize;
    let start_of_end = at_ends.max(count.saturating_sub(at_ends));
    let per_entry: usize = dims[dim + 1..].iter().map(|&d| d as usize).product();
    for i in 0..at_ends.min(count) {
        if i > 0 {
            dim_spacing(dim, dims.len(), out);
        }
        print_dim_v2(dim + 1, dims, at_ends, elems, index + per_entry * i, out);
    }
    if count > 2 * at_ends {
        dim_spacing(dim, dims.len(), out);
        out.extend_from_slice(b"...");
    }
    for i in start_of_end..count {
        dim_spacing(dim, dims.len(), out);
        print_dim_v2(dim + 1, dims, at_ends, elems, index + per_entry * i, out);
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(t: &Tensor, n: i64) -> String {
        String::from_utf8(summarize_value(t, n, true)).unwrap()
    }

    #[test]
    fn debug_strings_read_like_tensorflow() {
        let t = Tensor::from_vec(vec![2], vec![0.5f32, 1.0]).unwrap();
        assert_eq!(tensor_debug_string(&t), "Tensor<type: float shape: [2] values: 0.5 1>");
        let i = Tensor::from_vec(vec![1], vec![1i32]).unwrap();
        assert_eq!(tensor_debug_string(&i), "Tensor<type: int32 shape: [1] values: 1>");
        let m = Tensor::from_vec(vec![2, 2], vec![1i64, 2, 3, 4]).unwrap();
        assert_eq!(summarize(&m, 3), "[1 2][3...]...");
        assert_eq!(fmt_float(0.1f32 as f64, true), "0.1");
        assert_eq!(fmt_float(1e7, true), "1e+07");
        assert_eq!(fmt_float(1.0 / 3.0, false), "0.33333333333333331");
    }

    #[test]
    fn print_v2_texts_keep_both_ends_of_each_dimension() {
        let row = Tensor::from_vec(vec![1, 7], (1..=7).collect::<Vec<i32>>()).unwrap();
        assert_eq!(v2(&row, 3), "[[1 2 3 ... 5 6 7]]");
        let cube = Tensor::from_vec(vec![2, 3, 4], (0..24).collect::<Vec<i32>>()).unwrap();
        assert_eq!(v2(&cube, 1), "[[[0 ... 3]\n  ...\n  [8 ... 11]]\n\n [[12 ... 15]\n  ...\n  [20 ... 23]]]");
        assert_eq!(v2(&Tensor::zeros(DType::Float, vec![2, 0]).unwrap(), 3), "[\n ...]");
        assert_eq!(v2(&row.reshaped(vec![7].into()).unwrap(), 0), "[ ...]");
        let s = Tensor::from_strings(vec![2], vec!["a\"b".into(), "c\nd\u{e9}".into()]).unwrap();
        assert_eq!(v2(&s, -1), "[\"a\\\"b\" \"c\\nd\u{e9}\"]");
        assert_eq!(v2(&Tensor::from_strings(Vec::<i64>::new(), vec!["s".into()]).unwrap(), 3), "\"s\"");
    }
}
