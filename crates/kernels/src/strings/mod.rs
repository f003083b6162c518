//! String ops (TF's `string_ops` and `parsing_ops`' `StringToNumber`). Here: `StringJoin`, and
//! full matches of regular expressions, `StaticRegexFullMatch` (pattern an attr, compiled once
//! with the kernel) and `RegexFullMatch` (pattern an input, compiled per run) — what
//! `tf.strings.join`, `tf.strings.regex_full_match` and TF's own library code (the sharded `Saver`
//! picks its temporary directory's name with both) put in graphs. The other families have a file
//! each:
//!
//! - [`regex_replace`]: `RegexReplace`, `StaticRegexReplace` (RE2's rewrite semantics);
//! - [`format`]: `AsString` (C formats, in [`printf`]) and `StringFormat` (`print_v2` summaries);
//! - [`number`]: `StringToNumber`;
//! - [`re2`]: RE2's dialect of regular expressions on the `regex` crate;
//! - [`split`]: `StringSplitV2`;
//! - [`substr`]: `Substr`, `StringLength`;
//! - [`reduce_join`]: `ReduceJoin`.
//!
//! Patterns are RE2's syntax, run by the `regex` crate (RE2's design: linear time, no
//! backreferences), on bytes as RE2 does, through [`re2`]. A pattern refused is INVALID_ARGUMENT
//! `Invalid pattern: ...` as in TF.
//!
//! Concurrency: kernels are stateless (a compiled pattern is shared read-only by the runs of its
//! kernel); safe to run concurrently.

use crate::array::kernel;
use bytes::Bytes;
use ferroflow_framework::{Cost, Error, Kernel, KernelInit, OpKernelContext, OpRegistry, Result, Tensor, TensorShape};
use regex::bytes::Regex;

mod format;
mod number;
mod printf;
mod re2;
mod reduce_join;
mod regex_replace;
mod split;
mod substr;

pub(crate) fn register(reg: &mut OpRegistry) {
    format::register(reg);
    number::register(reg);
    reduce_join::register(reg);
    regex_replace::register(reg);
    split::register(reg);
    substr::register(reg);
    reg.op("StringJoin")
        .input("inputs: N * string")
        .output("output: string")
        .attr("N: int >= 0")
        .attr("separator: string = ''")
        .cost(Cost::InputElements)
        .kernel(string_join);
    reg.op("StaticRegexFullMatch")
        .input("input: string")
        .output("output: bool")
        .attr("pattern: string")
        .cost(Cost::InputElements)
        .kernel(static_regex_full_match);
    reg.op("RegexFullMatch")
        .input("input: string")
        .input("pattern: string")
        .output("output: bool")
        .cost(Cost::InputElements)
        .kernel(|_| Ok(kernel(1, regex_full_match)));
}

/// `StringJoin`: element-wise joins of its inputs with `separator`; scalars stand for every
/// element, all other inputs have one shape (the output's).
fn string_join(init: &KernelInit<'_>) -> Result<Kernel> {
    let separator = Bytes::from(init.attrs.get_string_or("separator", "")?.into_bytes());
    Ok(kernel(1, move |ctx| {
        let mut shape = TensorShape::scalar();
        for input in ctx.inputs() {
            if input.shape().is_scalar() {
                continue;
            }
            if shape.is_scalar() {
                shape = input.shape().clone();
            } else if &shape != input.shape() {
                return Err(Error::invalid_argument(format!("Input shapes do not match: {shape} vs. {}", input.shape())));
            }
        }
        let inputs: Vec<&[Bytes]> = ctx.inputs().iter().map(Tensor::strings).collect::<Result<_>>()?;
        let n = shape.num_elements() as usize;
        let mut out = Vec::new();
        out.try_reserve_exact(n).map_err(|_| Error::resource_exhausted(format!("StringJoin: cannot allocate {n} strings")))?;
        for i in 0..n {
            let mut joined = Vec::new();
            for (k, values) in inputs.iter().enumerate() {
                if k > 0 {
                    joined.extend_from_slice(&separator);
                }
                let v = if values.len() == 1 && ctx.input(k).shape().is_scalar() { &values[0] } else { &values[i] };
                joined.extend_from_slice(v);
            }
            out.push(Bytes::from(joined));
        }
        ctx.set_output(0, Tensor::from_strings(shape, out)?);
        Ok(())
    }))
}

/// Compiles `pattern` to match whole strings only (RE2's `FullMatch`).
fn compile_full_match(pattern: &str) -> Result<Regex> {
    re2::compile(pattern, |p| format!("^(?:{p})$"))
}

/// Sets output 0 to whether each element of input 0 matches `re` whole.
fn full_matches(ctx: &mut OpKernelContext<'_>, re: &Regex) -> Result<()> {
    let input = ctx.input(0);
    let matched: Vec<bool> = input.strings()?.iter().map(|s| re.is_match(s)).collect();
    ctx.set_output(0, Tensor::from_bools(input.shape().clone(), matched)?);
    Ok(())
}

fn static_regex_full_match(init: &KernelInit<'_>) -> Result<Kernel> {
    let re = compile_full_match(&init.attrs.get_string("pattern")?)?;
    Ok(kernel(1, move |ctx| full_matches(ctx, &re)))
}

fn regex_full_match(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let pattern = ctx.input(1);
    let [p] = pattern.strings()? else {
        return Err(Error::invalid_argument(format!("Pattern must be scalar, but received {}", pattern.shape())));
    };
    if !pattern.shape().is_scalar() {
        return Err(Error::invalid_argument(format!("Pattern must be scalar, but received {}", pattern.shape())));
    }
    let re = compile_full_match(&String::from_utf8_lossy(p))?;
    full_matches(ctx, &re)
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use bytes::Bytes;
    use ferroflow_framework::{Code, Tensor};

    fn strings(dims: Vec<i64>, values: &[&str]) -> Tensor {
        Tensor::from_strings(dims, values.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()).unwrap()
    }

    #[test]
    fn oracle_cases() {
        let ops = [
            "StringJoin",
            "StaticRegexFullMatch",
            "RegexFullMatch",
            "RegexReplace",
            "StaticRegexReplace",
            "AsString",
            "StringFormat",
            "StringToNumber",
            "StringSplitV2",
            "Substr",
            "StringLength",
            "ReduceJoin",
        ];
        assert!(crate::array::oracle::run_cases("strings.json", &ops, 0.0) >= 100);
    }

    #[test]
    fn join_broadcasts_scalars_and_checks_shapes() {
        let join = node("StringJoin").attr_int("N", 3).attr_str("separator", "/");
        let out = run(join, vec![strings(vec![], &["ckpt"]), strings(vec![2], &["a", "b"]), strings(vec![], &["part"])]).unwrap();
        let got: Vec<&[u8]> = out[0].strings().unwrap().iter().map(|s| s.as_ref()).collect();
        assert_eq!(got, [b"ckpt/a/part".as_slice(), b"ckpt/b/part"]);
        let join = node("StringJoin").attr_int("N", 2);
        let e = run(join, vec![strings(vec![2], &["a", "b"]), strings(vec![3], &["a", "b", "c"])]).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(e.message.starts_with("Input shapes do not match: [2] vs. [3]"), "{}", e.message);
    }

    #[test]
    fn full_match_is_anchored_at_both_ends() {
        let m = node("StaticRegexFullMatch").attr_str("pattern", "^s3://.*");
        let out = run(m, vec![strings(vec![3], &["s3://bucket/ckpt", "/tmp/s3://x", "s3:/"])]).unwrap();
        assert_eq!(out[0].bools().unwrap(), [true, false, false]);
        let m = node("StaticRegexFullMatch").attr_str("pattern", "a|b");
        assert_eq!(run(m, vec![strings(vec![2], &["ab", "b"])]).unwrap()[0].bools().unwrap(), [false, true]);
        let bad = node("StaticRegexFullMatch").attr_str("pattern", "(unclosed");
        let e = run(bad, vec![strings(vec![1], &["x"])]).unwrap_err();
        assert!(e.message.starts_with("Invalid pattern: (unclosed, error: "), "{}", e.message);
    }
}
