//! `StringSplitV2` (`tf.strings.split`): each string of a vector split on a separator — or on
//! runs of C whitespace when the separator is empty — into the parts of a sparse matrix
//! (indices, values, dense shape), at most `maxsplit` splits per string when it is not negative.
//!
//! Concurrency: stateless kernel.

use crate::array::kernel;
use bytes::Bytes;
use ferroflow_framework::{Cost, Error, OpRegistry, Tensor};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("StringSplitV2")
        .input("input: string")
        .input("sep: string")
        .output("indices: int64")
        .output("values: string")
        .output("shape: int64")
        .attr("maxsplit: int = -1")
        .cost(Cost::InputElements)
        .kernel(|init| {
            let maxsplit = init.attrs.get_int_or("maxsplit", -1)?;
            Ok(kernel(3, move |ctx| {
                let input = ctx.input(0);
                if input.rank() != 1 {
                    return Err(Error::invalid_argument(format!("input must be a vector, got shape: {}", input.shape())));
                }
                let sep = ctx.input(1);
                let [sep_value] = sep.strings()? else {
                    return Err(Error::invalid_argument(format!("sep must be a scalar, got shape: {}", sep.shape())));
                };
                if !sep.shape().is_scalar() {
                    return Err(Error::invalid_argument(format!("sep must be a scalar, got shape: {}", sep.shape())));
                }
                let mut indices = Vec::new();
                let mut values = Vec::new();
                let mut max_parts = 0usize;
                for (row, s) in input.strings()?.iter().enumerate() {
                    let parts = split(s, sep_value, maxsplit);
                    max_parts = max_parts.max(parts.len());
                    for (col, part) in parts.into_iter().enumerate() {
                        indices.extend_from_slice(&[row as i64, col as i64]);
                        values.push(part);
                    }
                }
                let n = values.len() as i64;
                ctx.set_output(0, Tensor::from_vec(vec![n, 2], indices)?);
                ctx.set_output(1, Tensor::from_strings(vec![n], values)?);
                ctx.set_output(2, Tensor::from_vec(vec![2], vec![input.dims()[0], max_parts as i64])?);
                Ok(())
            }))
        });
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// TF's `SplitV2`: the parts of `s` (slices of it, sharing its buffer).
fn split(s: &Bytes, sep: &[u8], maxsplit: i64) -> Vec<Bytes> {
    if maxsplit == 0 {
        return vec![s.clone()];
    }
    let limit_reached = |splits: i64| maxsplit > 0 && splits == maxsplit;
    let mut parts = Vec::new();
    let mut splits = 0;
    let mut p = 0;
    if sep.is_empty() {
        let skip_space = |mut p: usize| {
            while p < s.len() && is_c_space(s[p]) {
                p += 1;
            }
            p
        };
        p = skip_space(p);
        while p < s.len() {
            let start = p;
            while p < s.len() && !is_c_space(s[p]) {
                p += 1;
            }
            parts.push(s.slice(start..p));
            p = skip_space(p);
            splits += 1;
            if limit_reached(splits) {
                parts.push(s.slice(p..));
                return parts;
            }
        }
        return parts;
    }
    while let Some(at) = s[p..].windows(sep.len()).position(|w| w == sep) {
        parts.push(s.slice(p..p + at));
        p += at + sep.len();
        splits += 1;
        if limit_reached(splits) {
            break;
        }
    }
    parts.push(s.slice(p..));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &'static str, sep: &str, maxsplit: i64) -> Vec<String> {
        split(&Bytes::from_static(s.as_bytes()), sep.as_bytes(), maxsplit).iter().map(|b| String::from_utf8(b.to_vec()).unwrap()).collect()
    }

    #[test]
    fn splits_follow_tf() {
        assert_eq!(parts("a,b,,c", ",", -1), ["a", "b", "", "c"]);
        assert_eq!(parts("a,b,,c", ",", 1), ["a", "b,,c"]);
        assert_eq!(parts("", ",", -1), [""]);
        assert_eq!(parts(" a b  c ", "", -1), ["a", "b", "c"]);
        assert_eq!(parts("a b  c d", "", 1), ["a", "b  c d"]);
        assert_eq!(parts("a ", "", 1), ["a", ""]);
        assert_eq!(parts("  ", "", -1), Vec::<String>::new());
        assert_eq!(parts("a b", "", 0), ["a b"]);
        assert_eq!(parts("a<>b<>", "<>", -1), ["a", "b", ""]);
    }
}
