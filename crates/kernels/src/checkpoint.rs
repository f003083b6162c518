//! Checkpoint ops (TF's `io_ops`): `SaveV2`, `RestoreV2` and `MergeV2Checkpoints` over
//! [`ferroflow_io::bundle`], which writes and reads TF's V2 tensor bundles byte for byte, and the
//! naming ops `ShardedFilename` and `ShardedFilespec`. What `tf.compat.v1.train.Saver` (sharded or
//! not), `MonitoredTrainingSession`'s checkpoint hooks and `tf.train.Checkpoint` put in graphs.
//! Inputs are validated as TF's `save_restore_v2_ops.cc` does, with its messages.
//!
//! Concurrency: kernels are stateless; the file work runs on the compute thread the executor gives
//! the kernel (never an I/O thread). Two saves to one prefix race as they do in TF (the last rename
//! wins; a bundle is written under temporary names and renamed into place).

use crate::array::kernel;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpKernelContext, OpRegistry, Result, Tensor, TensorShape};
use ferroflow_io::bundle;

/// Inputs before the tensors of a `SaveV2` (prefix, tensor names, shapes and slices).
const FIXED_INPUTS: usize = 3;

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("SaveV2")
        .input("prefix: string")
        .input("tensor_names: string")
        .input("shape_and_slices: string")
        .input("tensors: dtypes")
        .attr("dtypes: list(type)")
        .stateful()
        .cost(Cost::Expensive)
        .kernel(|_| Ok(kernel(0, save_v2)));
    reg.op("RestoreV2")
        .input("prefix: string")
        .input("tensor_names: string")
        .input("shape_and_slices: string")
        .output("tensors: dtypes")
        .attr("dtypes: list(type)")
        .stateful()
        .cost(Cost::Expensive)
        .kernel(restore_v2);
    reg.op("MergeV2Checkpoints")
        .input("checkpoint_prefixes: string")
        .input("destination_prefix: string")
        .attr("delete_old_dirs: bool = true")
        .attr("allow_missing_files: bool = false")
        .stateful()
        .cost(Cost::Expensive)
        .kernel(merge_v2_checkpoints);
    reg.op("ShardedFilename")
        .input("basename: string")
        .input("shard: int32")
        .input("num_shards: int32")
        .output("filename: string")
        .cost(Cost::Trivial)
        .kernel(|_| Ok(kernel(1, sharded_filename)));
    reg.op("ShardedFilespec")
        .input("basename: string")
        .input("num_shards: int32")
        .output("filename: string")
        .cost(Cost::Trivial)
        .kernel(|_| Ok(kernel(1, sharded_filespec)));
}

/// A string element as a path or name; TF's strings are bytes, file names here must be UTF-8.
fn utf8<'a>(what: &str, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|_| Error::invalid_argument(format!("{what} is not valid UTF-8: {}", String::from_utf8_lossy(bytes))))
}

/// TF's `ValidateInputs` for `SaveV2` and `RestoreV2`: a one-element prefix, vectors of names and of
/// shape-and-slice specs of one length, and (saving) one tensor per name. Returns the prefix.
fn validate_inputs<'a>(ctx: &OpKernelContext<'a>, is_save: bool) -> Result<&'a str> {
    let (prefix, names, specs) = (ctx.input(0), ctx.input(1), ctx.input(2));
    if prefix.num_elements() != 1 {
        return Err(Error::invalid_argument(format!(
            "Input prefix should have a single element, got {} instead.",
            prefix.num_elements()
        )));
    }
    if names.rank() != 1 || specs.rank() != 1 {
        return Err(Error::invalid_argument(format!(
            "Input tensor_names and shape_and_slices should be an 1-D tensors, got {} and {} instead.",
            names.shape(),
            specs.shape()
        )));
    }
    if names.num_elements() != specs.num_elements() {
        return Err(Error::invalid_argument(format!(
            "tensor_names and shape_and_slices have different number of elements: {} vs. {}",
            names.num_elements(),
            specs.num_elements()
        )));
    }
    let num_tensors = names.num_elements();
    if is_save && ctx.num_inputs() != num_tensors + FIXED_INPUTS {
        return Err(Error::invalid_argument(format!(
            "Got {num_tensors} tensor names but {} tensors.",
            ctx.num_inputs() - FIXED_INPUTS
        )));
    }
    utf8("prefix", &prefix.strings()?[0])
}

/// The `(name, shape_and_slice)` pairs of inputs 1 and 2.
fn names_and_specs<'a>(ctx: &OpKernelContext<'a>) -> Result<Vec<(&'a str, &'a str)>> {
    let names = ctx.input(1).strings()?;
    let specs = ctx.input(2).strings()?;
    names.iter().zip(specs).map(|(n, s)| Ok((utf8("tensor name", n)?, utf8("shape_and_slice", s)?))).collect()
}

fn save_v2(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let prefix = validate_inputs(ctx, true)?;
    let entries = names_and_specs(ctx)?;
    let tensors: Vec<(&str, &str, &Tensor)> =
        entries.iter().enumerate().map(|(i, &(name, spec))| (name, spec, ctx.input(FIXED_INPUTS + i))).collect();
    bundle::save_v2(prefix, &tensors)
}

fn restore_v2(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtypes = init.attrs.get_list_type("dtypes")?;
    let num_outputs = dtypes.len();
    Ok(kernel(num_outputs, move |ctx| {
        let num_names = ctx.input(1).num_elements();
        if num_names != dtypes.len() {
            return Err(Error::invalid_argument(format!(
                "Got {num_names} tensor names, but {} expected dtypes.",
                dtypes.len()
            )));
        }
        let prefix = validate_inputs(ctx, false)?;
        let wanted: Vec<(&str, &str, DType)> =
            names_and_specs(ctx)?.into_iter().zip(&dtypes).map(|((name, spec), &dtype)| (name, spec, dtype)).collect();
        for (i, tensor) in bundle::restore_v2(prefix, &wanted)?.into_iter().enumerate() {
            ctx.set_output(i, tensor);
        }
        Ok(())
    }))
}

fn merge_v2_checkpoints(init: &KernelInit<'_>) -> Result<Kernel> {
    let delete_old_dirs = init.attrs.get_bool_or("delete_old_dirs", true)?;
    let allow_missing_files = init.attrs.get_bool_or("allow_missing_files", false)?;
    Ok(kernel(0, move |ctx| {
        let (sources, destination) = (ctx.input(0), ctx.input(1));
        if sources.rank() != 1 {
            return Err(Error::invalid_argument(format!(
                "Input checkpoint_prefixes should be an 1-D tensor, got {} instead.",
                sources.shape()
            )));
        }
        if !destination.shape().is_scalar() {
            return Err(Error::invalid_argument(format!(
                "Input destination_prefix should be a scalar tensor, got {} instead.",
                destination.shape()
            )));
        }
        let prefixes: Vec<&str> = sources.strings()?.iter().map(|p| utf8("checkpoint prefix", p)).collect::<Result<_>>()?;
        let destination = utf8("destination_prefix", &destination.strings()?[0])?;
        bundle::merge_v2(&prefixes, destination, delete_old_dirs, allow_missing_files)
    }))
}

/// A scalar int32 input's value.
fn scalar_i32(t: &Tensor) -> Result<i32> {
    match t.values::<i32>()?.as_ref() {
        [v] => Ok(*v),
        _ => Err(Error::invalid_argument(format!("Expected a scalar int32, got shape {}", t.shape()))),
    }
}

/// A scalar string input's bytes.
fn scalar_string<'a>(t: &'a Tensor) -> Result<&'a [u8]> {
    match t.strings()? {
        [s] => Ok(s),
        _ => Err(Error::invalid_argument(format!("Expected a scalar string, got shape {}", t.shape()))),
    }
}

fn string_output(s: String) -> Result<Tensor> {
    Tensor::from_strings(TensorShape::scalar(), vec![s.into()])
}

fn sharded_filename(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let base = String::from_utf8_lossy(scalar_string(ctx.input(0))?).into_owned();
    let name = bundle::sharded_filename(&base, scalar_i32(ctx.input(1))?, scalar_i32(ctx.input(2))?);
    ctx.set_output(0, string_output(name)?);
    Ok(())
}

fn sharded_filespec(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let base = String::from_utf8_lossy(scalar_string(ctx.input(0))?).into_owned();
    ctx.set_output(0, string_output(bundle::sharded_filespec(&base, scalar_i32(ctx.input(1))?))?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use bytes::Bytes;
    use ferroflow_framework::{Code, DType, Tensor};

    fn strings(dims: Vec<i64>, values: &[&str]) -> Tensor {
        Tensor::from_strings(dims, values.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()).unwrap()
    }

    fn scalar(s: &str) -> Tensor {
        strings(vec![], &[s])
    }

    #[test]
    fn oracle_cases() {
        let ops = ["SaveV2", "RestoreV2", "MergeV2Checkpoints", "ShardedFilename", "ShardedFilespec"];
        assert!(crate::array::oracle::run_cases("checkpoint.json", &ops, 0.0) >= 12);
    }

    #[test]
    fn save_then_restore_whole_tensors_and_slices() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("model.ckpt-7").to_str().unwrap().to_string();
        let w = Tensor::from_vec(vec![2, 3], vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let step = Tensor::from_vec(vec![], vec![7i64]).unwrap();
        let part = Tensor::from_vec(vec![1, 2], vec![10i32, 11]).unwrap();
        let save = node("SaveV2").attr_list_type("dtypes", &[DType::Float, DType::Int64, DType::Int32]);
        let inputs = vec![scalar(&prefix), strings(vec![3], &["w", "global_step", "emb"]), strings(vec![3], &["", "", "3 2 1,1:0,2"]), w.clone(), step.clone(), part.clone()];
        assert!(run(save, inputs).unwrap().is_empty());

        let restore = node("RestoreV2").attr_list_type("dtypes", &[DType::Int64, DType::Float, DType::Int32]);
        let out = run(restore, vec![scalar(&prefix), strings(vec![3], &["global_step", "w", "emb"]), strings(vec![3], &["", "", "3 2 1,1:0,2"])]).unwrap();
        assert!(out[0].same_contents(&step));
        assert!(out[1].same_contents(&w));
        assert!(out[2].same_contents(&part));

        let wrong_type = node("RestoreV2").attr_list_type("dtypes", &[DType::Double]);
        let e = run(wrong_type, vec![scalar(&prefix), strings(vec![1], &["w"]), strings(vec![1], &[""])]).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(e.message.contains("tensor_name = w; expected dtype double does not equal original dtype float"), "{}", e.message);
        let missing = node("RestoreV2").attr_list_type("dtypes", &[DType::Float]);
        let e = run(missing, vec![scalar(&prefix), strings(vec![1], &["nope"]), strings(vec![1], &[""])]).unwrap_err();
        assert_eq!(e.code, Code::NotFound, "{}", e.message);
    }

    #[test]
    fn sharded_saves_merge_into_one_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("model.ckpt_temp/part");
        std::fs::create_dir_all(tmp.parent().unwrap()).unwrap();
        let tmp = tmp.to_str().unwrap().to_string();
        let mut shards = Vec::new();
        for (shard, value) in [(0, 1.5f32), (1, -2.0)] {
            let name = run(node("ShardedFilename"), vec![scalar(&tmp), Tensor::from_vec(vec![], vec![shard]).unwrap(), Tensor::from_vec(vec![], vec![2i32]).unwrap()]).unwrap();
            let name = String::from_utf8(name[0].strings().unwrap()[0].to_vec()).unwrap();
            assert_eq!(name, format!("{tmp}-{shard:05}-of-00002"));
            let save = node("SaveV2").attr_list_type("dtypes", &[DType::Float]);
            let v = Tensor::from_vec(vec![], vec![value]).unwrap();
            run(save, vec![scalar(&name), strings(vec![1], &[&format!("v{shard}")]), strings(vec![1], &[""]), v]).unwrap();
            shards.push(name);
        }
        let merged = dir.path().join("model.ckpt").to_str().unwrap().to_string();
        let sources: Vec<&str> = shards.iter().map(String::as_str).collect();
        run(node("MergeV2Checkpoints"), vec![strings(vec![2], &sources), scalar(&merged)]).unwrap();
        assert!(!dir.path().join("model.ckpt_temp").exists(), "delete_old_dirs removes the emptied temporary directory");
        let restore = node("RestoreV2").attr_list_type("dtypes", &[DType::Float, DType::Float]);
        let out = run(restore, vec![scalar(&merged), strings(vec![2], &["v1", "v0"]), strings(vec![2], &["", ""])]).unwrap();
        assert_eq!(out[0].values::<f32>().unwrap().as_ref(), &[-2.0]);
        assert_eq!(out[1].values::<f32>().unwrap().as_ref(), &[1.5]);
    }
}
