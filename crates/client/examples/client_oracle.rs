//! The Rust side of the interop suite's differential tests (`tests/interop/test_rust_client.py`),
//! printing JSON:
//!
//!     client_oracle run-meta TARGET META.pb FEEDS.json STEPS
//!         loads a MetaGraphDef exported by TF, runs its `init` op, then STEPS steps of its
//!         `train_op` collection fetching the `fetches` collection, on the master at TARGET
//!     client_oracle build-graph OUT.pb
//!         writes the GraphDef of the comparison graphs (`forward` and `train` scopes)
//!     client_oracle gradients TARGET FEEDS.json
//!         builds the gradient model, runs `gradients(loss, [x, w, b])` and prints them
//!
//! A tensor in JSON is `{"dtype": "float32"|"int32"|"int64", "shape": [...], "values": [...]}`.

use anyhow::{Context, Result, bail};
use ferroflow_client::gradients::gradients;
use ferroflow_client::ops::{array, math, nn};
use ferroflow_client::optimizers::Optimizer;
use ferroflow_client::variables::{Initializer, VariableOptions, get_variable, global_variables_initializer};
use ferroflow_client::{DType, Graph, Output, Scope, Session, Tensor, import};
use prost::Message;
use serde_json::{Value, json};

fn tensor_from_json(v: &Value) -> Result<Tensor> {
    let shape: Vec<i64> = v["shape"].as_array().context("shape")?.iter().map(|d| d.as_i64().unwrap_or(0)).collect();
    let values = v["values"].as_array().context("values")?;
    Ok(match v["dtype"].as_str().unwrap_or("float32") {
        "float32" => Tensor::from_vec(shape, values.iter().map(|x| x.as_f64().unwrap_or(0.0) as f32).collect::<Vec<_>>())?,
        "int32" => Tensor::from_vec(shape, values.iter().map(|x| x.as_i64().unwrap_or(0) as i32).collect::<Vec<_>>())?,
        "int64" => Tensor::from_vec(shape, values.iter().map(|x| x.as_i64().unwrap_or(0)).collect::<Vec<_>>())?,
        other => bail!("unsupported dtype {other}"),
    })
}

fn tensor_to_json(t: &Tensor) -> Result<Value> {
    let values: Vec<Value> = match t.dtype() {
        DType::Float => t.to_vec::<f32>()?.into_iter().map(|v| json!(v as f64)).collect(),
        DType::Double => t.to_vec::<f64>()?.into_iter().map(|v| json!(v)).collect(),
        DType::Int32 => t.to_vec::<i32>()?.into_iter().map(|v| json!(v)).collect(),
        DType::Int64 => t.to_vec::<i64>()?.into_iter().map(|v| json!(v)).collect(),
        DType::Bool => t.bools()?.into_iter().map(|v| json!(v)).collect(),
        other => bail!("cannot print a {other} tensor"),
    };
    Ok(json!({"dtype": t.dtype().name(), "shape": t.dims(), "values": values}))
}

fn feeds(path: &str, graph: &Graph) -> Result<Vec<(Output, Tensor)>> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut out = Vec::new();
    for (name, t) in v.as_object().context("feeds object")? {
        out.push((graph.output(name)?, tensor_from_json(t)?));
    }
    Ok(out)
}

async fn run_meta(target: &str, meta: &str, feeds_path: &str, steps: usize) -> Result<Value> {
    let graph = import::load_meta_graph(meta)?;
    let feeds = feeds(feeds_path, &graph)?;
    let feed_refs: Vec<(&Output, Tensor)> = feeds.iter().map(|(o, t)| (o, t.clone())).collect();
    let fetches: Vec<Output> = graph.collection_nodes("fetches")?.iter().map(|n| graph.output(n)).collect::<ferroflow_client::Result<_>>()?;
    let fetch_refs: Vec<&Output> = fetches.iter().collect();
    let train: Vec<_> = graph.collection_nodes("train_op")?.iter().map(|n| graph.operation(n)).collect::<ferroflow_client::Result<_>>()?;
    let train_refs: Vec<_> = train.iter().collect();
    let session = Session::connect(target).await?;
    let init = graph.operation("init")?;
    session.run(&[], &[], &[&init]).await?;
    let mut history = Vec::new();
    for _ in 0..steps {
        let out = session.run(&feed_refs, &fetch_refs, &train_refs).await?;
        history.push(out.iter().map(tensor_to_json).collect::<Result<Vec<_>>>()?);
    }
    let vars: Vec<Value> = graph.global_variables().iter().map(|v| json!({"name": v.name(), "trainable": v.trainable()})).collect();
    let values: Vec<Output> = graph.trainable_variables().iter().map(|v| v.value()).collect::<ferroflow_client::Result<_>>()?;
    let value_refs: Vec<&Output> = values.iter().collect();
    let finals = session.run(&feed_refs, &value_refs, &[]).await?;
    session.close().await?;
    Ok(json!({
        "collections": graph.collection_names(),
        "variables": vars,
        "steps": history,
        "trainable_values": finals.iter().map(tensor_to_json).collect::<Result<Vec<_>>>()?,
    }))
}

/// The forward comparison graph: every op function and initializer, as test_rust_client.py's
/// `build_forward` makes it in TF.
fn build_forward(root: &Scope) -> Result<()> {
    let s = root.name_scope("forward")?;
    let x = array::placeholder(&s.named("x"), DType::Float, [-1, 3])?;
    let u = array::placeholder(&s.named("u"), DType::Float, ferroflow_client::Shape::unknown())?;
    let labels = array::placeholder(&s.named("labels"), DType::Int64, [-1])?;
    let dense_labels = array::placeholder(&s.named("dense_labels"), DType::Float, [-1, 4])?;
    let ps = s.with_device("/job:ps/task:0")?;
    let scope = ps.name_scope("layer")?;
    let w = get_variable(&scope, "w", &[3, 4], VariableOptions { initializer: Initializer::GlorotUniform { seed: Some(3) }, ..Default::default() })?;
    let b = get_variable(&scope, "b", &[4], VariableOptions { initializer: Initializer::Zeros, ..Default::default() })?;
    let n = get_variable(&scope, "n", &[2, 2], VariableOptions { initializer: Initializer::RandomNormal { mean: 0.5, stddev: 2.0, seed: Some(5) }, ..Default::default() })?;
    let t = get_variable(&scope, "t", &[2], VariableOptions { initializer: Initializer::TruncatedNormal { mean: 0.0, stddev: 0.1, seed: None }, ..Default::default() })?;
    let _ = (n, t);
    let h = nn::bias_add(&s, &math::matmul(&s, &x, &w, false, false)?, &b)?;
    let a = math::add(&s, &h, 1.0f32)?;
    let d = math::sub(&s, &math::mul(&s, &nn::tanh(&s, &a)?, &nn::sigmoid(&s, &a)?)?, &math::div(&s, &nn::relu(&s, &a)?, &math::square(&s, &a)?)?)?;
    let sm = nn::softmax(&s, &d)?;
    let c = array::concat(&s, vec![d.clone().into(), sm.into()], 1)?;
    let r = array::reshape_to(&s, &c, &[-1, 2])?;
    let g = array::gather(&s, &r, &Tensor::from_vec(vec![2], vec![1i32, 0])?, 0)?;
    math::reduce_sum(&s, &g, math::Axes::All, false)?;
    math::reduce_sum(&s, &g, 1i64, false)?;
    math::reduce_mean(&s, &g, [0i64], true)?;
    math::reduce_max(&s, &g, -1i64, false)?;
    math::reduce_sum(&s, &u, math::Axes::All, false)?;
    let am = math::argmax(&s, &d, 1)?;
    math::equal(&s, &am, &labels)?;
    array::cast(&s, &am, DType::Float)?;
    nn::sparse_softmax_cross_entropy_with_logits(&s, &labels, &d)?;
    nn::softmax_cross_entropy_with_logits(&s, &dense_labels, &d)?;
    array::constant(&s, &Tensor::from_vec(vec![2, 2], vec![1.0f32, 2.0, 3.0, 4.0])?)?;
    array::constant(&s, &Tensor::scalar(7i64))?;
    let ctl = s.with_control_dependencies(std::slice::from_ref(am.op()));
    math::op_mul(&ctl, &x, 3.0f32)?;
    Ok(())
}

/// The training comparison graph: a dense softmax layer trained with Adam (`train` scope inputs,
/// the optimizer at the root as TF users write it).
fn build_train(root: &Scope) -> Result<()> {
    let s = root.name_scope("train")?;
    let x = array::placeholder(&s.named("x"), DType::Float, [-1, 4])?;
    let y = array::placeholder(&s.named("y"), DType::Int64, [-1])?;
    let dense = s.name_scope("dense")?;
    let w = get_variable(&dense, "w", &[4, 3], VariableOptions::default())?;
    let b = get_variable(&dense, "b", &[3], VariableOptions { initializer: Initializer::Zeros, ..Default::default() })?;
    let logits = nn::bias_add(root, &math::matmul(root, &x, &w, false, false)?, &b)?;
    let loss = math::reduce_mean(root, &nn::sparse_softmax_cross_entropy_with_logits(root, &y, &logits)?, math::Axes::All, false)?;
    Optimizer::adam(0.01).minimize(root, &loss, None)?;
    global_variables_initializer(root)?;
    Ok(())
}

/// The gradient model (test_rust_client.py's `gradient_model`), returning (loss, [x, w, b]).
fn gradient_model(g: &Graph) -> Result<(Output, Vec<Output>, ferroflow_client::Operation)> {
    g.set_random_seed(11);
    let s = g.scope();
    let x = array::placeholder(&s.named("x"), DType::Float, [4, 3])?;
    let labels = array::placeholder(&s.named("labels"), DType::Int64, [4])?;
    let dense = array::placeholder(&s.named("dense"), DType::Float, [4, 5])?;
    let w = get_variable(&s, "w", &[3, 5], VariableOptions::default())?;
    let b = get_variable(&s, "b", &[5], VariableOptions { initializer: Initializer::RandomNormal { mean: 0.0, stddev: 0.5, seed: None }, ..Default::default() })?;
    let h = nn::bias_add(&s, &math::matmul(&s, &x, &w, false, false)?, &b)?;
    let sq = math::op_add(&s, &math::square(&s, &h)?, 1.0f32)?;
    let a = math::op_sub(&s, &math::op_mul(&s, &nn::tanh(&s, &h)?, &nn::sigmoid(&s, &h)?)?, &math::op_div(&s, &nn::relu(&s, &h)?, &sq)?)?;
    let sm = nn::softmax(&s, &a)?;
    let c = array::concat(&s, vec![a.clone().into(), sm.into()], 1)?;
    let picked = array::gather(&s, &c, &Tensor::from_vec(vec![4], vec![2i32, 0, 3, 0])?, 0)?;
    let r = array::reshape_to(&s, &picked, &[-1, 5])?;
    let m = math::reduce_max(&s, &r, 1i64, false)?;
    let l1 = math::reduce_mean(&s, &nn::sparse_softmax_cross_entropy_with_logits(&s, &labels, &a)?, math::Axes::All, false)?;
    let l2 = math::reduce_sum(&s, &nn::softmax_cross_entropy_with_logits(&s, &dense, &a)?, math::Axes::All, false)?;
    let l3 = math::reduce_mean(&s, &m, math::Axes::All, false)?;
    let column = array::reshape_to(&s, &array::cast(&s, &labels, DType::Float)?, &[4, 1])?;
    let row = math::reduce_sum(&s, &math::op_mul(&s, &x, &column)?, [0i64], true)?;
    let l4 = math::reduce_sum(&s, &math::op_mul(&s, &row, 0.1f32)?, math::Axes::All, false)?;
    let loss = math::add_n(&s, &[l1, l2, l3, l4])?;
    let init = global_variables_initializer(&s)?;
    Ok((loss, vec![x, w.handle().clone(), b.handle().clone()], init))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("run-meta") if args.len() == 6 => {
            let out = run_meta(&args[2], &args[3], &args[4], args[5].parse()?).await?;
            println!("{out}");
        }
        Some("build-graph") if args.len() == 3 => {
            let g = Graph::new();
            let root = g.scope();
            build_forward(&root)?;
            build_train(&root)?;
            std::fs::write(&args[2], g.to_graph_def().encode_to_vec())?;
        }
        Some("gradients") if args.len() == 4 => {
            let g = Graph::new();
            let (loss, xs, init) = gradient_model(&g)?;
            let grads = gradients(&g, &[loss.clone()], &xs)?;
            let feeds = feeds(&args[3], &g)?;
            let feed_refs: Vec<(&Output, Tensor)> = feeds.iter().map(|(o, t)| (o, t.clone())).collect();
            let session = Session::connect(&args[2]).await?;
            session.run(&[], &[], &[&init]).await?;
            let mut fetches: Vec<&Output> = vec![&loss];
            for gr in &grads {
                fetches.push(gr.as_ref().context("every input reaches the loss")?);
            }
            let out = session.run(&feed_refs, &fetches, &[]).await?;
            session.close().await?;
            println!("{}", json!({"loss": tensor_to_json(&out[0])?, "grads": out[1..].iter().map(tensor_to_json).collect::<Result<Vec<_>>>()?}));
        }
        _ => bail!("usage: client_oracle run-meta TARGET META FEEDS STEPS | build-graph OUT | gradients TARGET FEEDS"),
    }
    Ok(())
}
