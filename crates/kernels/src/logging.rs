//! Logging ops (TF's `logging_ops`, and `CheckNumerics` of its array ops):
//! - `Assert`, which fails the step with INVALID_ARGUMENT and a summary of its data tensors when
//!   its condition is false — what `tf.debugging.assert_*`, `tf.compat.v1.assert_*` and many
//!   library functions (image, losses, datasets) put in graphs;
//! - `PrintV2` (`tf.print`): its string to the task's stdout or stderr, its log (`log(info)`,
//!   `log(warning)`, `log(error)`, through `tracing`), or appended to a file (`file://PATH`);
//! - `CheckNumerics`/`CheckNumericsV2` (`tf.debugging.check_numerics`, `add_check_numerics_ops`):
//!   their input passed on, or INVALID_ARGUMENT naming what was found (NaN, Inf; V2 tells +Inf
//!   from -Inf).
//!
//! Concurrency: stateless kernels apart from their effects; safe to run concurrently (a print is
//! one write of the whole line, so concurrent prints do not interleave within a line).

use crate::array::kernel;
use crate::tensor_text::summarize;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result};
use std::io::Write;

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("Assert")
        .input("condition: bool")
        .input("data: T")
        .attr("T: list(type) >= 1")
        .attr("summarize: int = 3")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(assert);
    reg.op("PrintV2")
        .input("input: string")
        .attr("output_stream: string = 'stderr'")
        .attr("end: string = '\\n'")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(print_v2);
    let factories: [(&str, ferroflow_framework::KernelFactory); 2] =
        [("CheckNumerics", |init| check_numerics(init, false)), ("CheckNumericsV2", |init| check_numerics(init, true))];
    for (op, factory) in factories {
        reg.op(op)
            .input("tensor: T")
            .output("output: T")
            .attr("T: {bfloat16, half, float, double}")
            .attr("message: string")
            .stateful()
            .cost(Cost::InputElements)
            .kernel(factory);
    }
}

/// Where `PrintV2` writes.
#[derive(Debug, Clone, PartialEq)]
enum PrintTarget {
    Stdout,
    Stderr,
    Log(tracing::Level),
    File(std::path::PathBuf),
}

/// TF's valid `output_stream`s besides `file://PATH`.
const OUTPUT_STREAMS: [&str; 5] = ["stdout", "stderr", "log(info)", "log(warning)", "log(error)"];

fn print_target(stream: &str) -> Result<PrintTarget> {
    if let Some(path) = stream.strip_prefix("file://") {
        return Ok(PrintTarget::File(path.into()));
    }
    Ok(match stream {
        "stdout" => PrintTarget::Stdout,
        "stderr" => PrintTarget::Stderr,
        "log(info)" => PrintTarget::Log(tracing::Level::INFO),
        "log(warning)" => PrintTarget::Log(tracing::Level::WARN),
        "log(error)" => PrintTarget::Log(tracing::Level::ERROR),
        _ => {
            return Err(Error::invalid_argument(format!(
                "Unknown output stream: {stream}, Valid streams are: {}",
                OUTPUT_STREAMS.join(" ")
            )));
        }
    })
}

fn print_v2(init: &KernelInit<'_>) -> Result<Kernel> {
    let target = print_target(&init.attrs.get_string_or("output_stream", "stderr")?)?;
    let end = init.attrs.get_string_or("end", "\n")?.into_bytes();
    Ok(kernel(0, move |ctx| {
        let input = ctx.input(0);
        let [msg] = input.strings()? else {
            return Err(Error::invalid_argument(format!("Input is expected to be scalar, but got {}", input.shape())));
        };
        if !input.shape().is_scalar() {
            return Err(Error::invalid_argument(format!("Input is expected to be scalar, but got {}", input.shape())));
        }
        let mut line = Vec::with_capacity(msg.len() + end.len());
        line.extend_from_slice(msg);
        line.extend_from_slice(&end);
        let written = match &target {
            PrintTarget::Stdout => std::io::stdout().lock().write_all(&line).and_then(|_| std::io::stdout().flush()),
            PrintTarget::Stderr => std::io::stderr().lock().write_all(&line),
            PrintTarget::Log(level) => {
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches('\n');
                match *level {
                    tracing::Level::ERROR => tracing::error!(target: "ferroflow::print", node = ctx.node_name, "{text}"),
                    tracing::Level::WARN => tracing::warn!(target: "ferroflow::print", node = ctx.node_name, "{text}"),
                    _ => tracing::info!(target: "ferroflow::print", node = ctx.node_name, "{text}"),
                }
                Ok(())
            }
            PrintTarget::File(path) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| f.write_all(&line))
                .map_err(|e| {
                    let kind = if e.kind() == std::io::ErrorKind::NotFound { "not found" } else { "failed" };
                    std::io::Error::new(e.kind(), format!("{}: {kind}: {e}", path.display()))
                }),
        };
        written.map_err(|e| match &target {
            PrintTarget::File(_) if e.kind() == std::io::ErrorKind::NotFound => Error::not_found(e.to_string()),
            _ => Error::internal(format!("PrintV2 could not write: {e}")),
        })
    }))
}

/// What `CheckNumerics` found: NaN, -Inf and +Inf (V1 does not tell the infinities apart).
fn check_numerics(init: &KernelInit<'_>, v2: bool) -> Result<Kernel> {
    let message = init.attrs.get_string("message")?;
    Ok(kernel(1, move |ctx| {
        let input = ctx.input(0);
        let (mut nan, mut neg_inf, mut pos_inf) = (false, false, false);
        let mut note = |x: f64| {
            if x.is_nan() {
                nan = true;
            } else if x.is_infinite() {
                if x < 0.0 { neg_inf = true } else { pos_inf = true }
            }
        };
        match input.dtype() {
            DType::Float => input.values::<f32>()?.iter().for_each(|&x| note(x as f64)),
            DType::Double => input.values::<f64>()?.iter().for_each(|&x| note(x)),
            d => return Err(Error::invalid_argument(format!("CheckNumerics does not take {d} tensors"))),
        }
        let mut found: Vec<&str> = Vec::new();
        if v2 {
            if neg_inf {
                found.push("-Inf");
            }
            if pos_inf {
                found.push("+Inf");
            }
        } else if neg_inf || pos_inf {
            found.push("Inf");
        }
        if nan {
            found.push("NaN");
        }
        let what = match found.as_slice() {
            [] => {
                ctx.set_output(0, input.clone());
                return Ok(());
            }
            [one] => one.to_string(),
            [a, b] => format!("{a} and {b}"),
            [a, b, c, ..] => format!("{a}, {b}, and {c}"),
        };
        Err(Error::invalid_argument(format!("{message} : Tensor had {what} values")))
    }))
}

fn assert(init: &KernelInit<'_>) -> Result<Kernel> {
    let summarize_entries = init.attrs.get_int_or("summarize", 3)?.max(0) as usize;
    Ok(kernel(0, move |ctx| {
        let cond = ctx.input(0);
        if cond.rank() != 0 {
            return Err(Error::invalid_argument(format!("In[0] should be a scalar: {}", cond.shape())));
        }
        if cond.bools()?.first().copied().unwrap_or(false) {
            return Ok(());
        }
        let data: Vec<String> = (1..ctx.num_inputs()).map(|i| format!("[{}]", summarize(ctx.input(i), summarize_entries))).collect();
        Err(Error::invalid_argument(format!("assertion failed: {}", data.join(" "))))
    }))
}

#[cfg(test)]
mod tests {
    use super::{PrintTarget, print_target};
    use crate::testutil::{NodeBuilder, node, run};
    use ferroflow_framework::{Code, DType, Tensor};
    use ferroflow_proto::{AttrValue, attr_value};

    fn assert_node() -> NodeBuilder {
        let types = attr_value::ListValue { r#type: vec![DType::Int32.to_proto()], ..Default::default() };
        node("Assert").attr_value("T", AttrValue { value: Some(attr_value::Value::List(types)) })
    }

    #[test]
    fn oracle_cases() {
        let ops = ["Assert", "PrintV2", "CheckNumerics", "CheckNumericsV2"];
        assert!(crate::array::oracle::run_cases("logging.json", &ops, 0.0) >= 20);
    }

    #[test]
    fn a_true_condition_passes_without_outputs() {
        let n = assert_node();
        let data = Tensor::from_vec(vec![2], vec![4i32, 5]).unwrap();
        let out = run(n, vec![Tensor::from_bools(Vec::<i64>::new(), vec![true]).unwrap(), data.clone()]).unwrap();
        assert!(out.is_empty());
        let n = assert_node();
        let e = run(n, vec![Tensor::from_bools(Vec::<i64>::new(), vec![false]).unwrap(), data]).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(e.message.starts_with("assertion failed: [4 5]"), "{}", e.message);
    }

    #[test]
    fn print_appends_lines_to_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("printed.txt");
        let stream = format!("file://{}", path.display());
        for msg in ["one", "two"] {
            let n = node("PrintV2").attr_str("output_stream", &stream).attr_str("end", "|\n");
            run(n, vec![Tensor::from_strings(Vec::<i64>::new(), vec![msg.into()]).unwrap()]).unwrap();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one|\ntwo|\n");
        let missing = format!("file://{}", dir.path().join("no/such/dir/x").display());
        let n = node("PrintV2").attr_str("output_stream", &missing);
        let e = run(n, vec![Tensor::from_strings(Vec::<i64>::new(), vec!["x".into()]).unwrap()]).unwrap_err();
        assert_eq!(e.code, Code::NotFound);
        assert_eq!(print_target("log(warning)").unwrap(), PrintTarget::Log(tracing::Level::WARN));
    }
}
