//! Trains an MLP on synthetic MNIST-like data (784 features, 10 classes: noisy copies of ten
//! random prototypes) on an in-process ferroflow cluster: the variables live on the `ps` task,
//! the model runs on the `worker` task, Adam updates them there. Everything is built in Rust.
//!
//!     cargo run --release -p ferroflow-client --example train_mnist_like
//!
//! Checkpoints are not written yet: ferroflow has no Save/Restore kernels so far; once it does,
//! this example will save the trained variables.

use anyhow::Result;
use ferroflow::LocalCluster;
use ferroflow_client::ops::{array, math, nn};
use ferroflow_client::optimizers::Optimizer;
use ferroflow_client::variables::{Initializer, VariableOptions, get_variable, global_variables_initializer};
use ferroflow_client::{DType, Graph, Session, Tensor};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use std::time::Instant;

const FEATURES: usize = 784;
const CLASSES: usize = 10;
const HIDDEN: i64 = 128;
const BATCH: usize = 128;
const STEPS: u64 = 400;

/// `n` examples: each a class prototype plus Gaussian-ish noise.
fn dataset(rng: &mut rand::rngs::StdRng, prototypes: &[Vec<f32>], n: usize) -> (Vec<f32>, Vec<i64>) {
    let mut xs = Vec::with_capacity(n * FEATURES);
    let mut ys = Vec::with_capacity(n);
    for _ in 0..n {
        let class = rng.random_range(0..CLASSES);
        for p in &prototypes[class] {
            let noise: f32 = (0..3).map(|_| rng.random::<f32>() - 0.5).sum();
            xs.push((0.35 * p + 0.8 * noise).clamp(0.0, 1.0));
        }
        ys.push(class as i64);
    }
    (xs, ys)
}

#[tokio::main]
async fn main() -> Result<()> {
    let cluster = LocalCluster::start(&[("ps", 1), ("worker", 1)], 2).await?;
    let target = format!("grpc://{}", cluster.address("worker", 0).expect("worker address"));
    println!("cluster: ps at {}, worker at {}", cluster.address("ps", 0).unwrap_or_default(), cluster.address("worker", 0).unwrap_or_default());

    let graph = Graph::new();
    graph.set_random_seed(7);
    let root = graph.scope();
    let x = array::placeholder(&root.named("x"), DType::Float, [-1, FEATURES as i64])?;
    let y = array::placeholder(&root.named("y"), DType::Int64, [-1])?;
    let ps = root.with_device("/job:ps/task:0")?;
    let glorot = || VariableOptions { initializer: Initializer::GlorotUniform { seed: None }, ..Default::default() };
    let zeros = || VariableOptions { initializer: Initializer::Zeros, ..Default::default() };
    let (w1, b1, w2, b2) = {
        let l1 = ps.name_scope("hidden")?;
        let l2 = ps.name_scope("logits")?;
        (
            get_variable(&l1, "w", &[FEATURES as i64, HIDDEN], glorot())?,
            get_variable(&l1, "b", &[HIDDEN], zeros())?,
            get_variable(&l2, "w", &[HIDDEN, CLASSES as i64], glorot())?,
            get_variable(&l2, "b", &[CLASSES as i64], zeros())?,
        )
    };
    let worker = root.with_device("/job:worker/task:0")?;
    let hidden = nn::relu(&worker, &nn::bias_add(&worker, &math::matmul(&worker, &x, &w1, false, false)?, &b1)?)?;
    let logits = nn::bias_add(&worker, &math::matmul(&worker, &hidden, &w2, false, false)?, &b2)?;
    let xent = nn::sparse_softmax_cross_entropy_with_logits(&worker, &y, &logits)?;
    let loss = math::reduce_mean(&worker, &xent, math::Axes::All, false)?;
    let correct = math::equal(&worker, &math::argmax(&worker, &logits, 1)?, &y)?;
    let accuracy = math::reduce_mean(&worker, &array::cast(&worker, &correct, DType::Float)?, math::Axes::All, false)?;
    let train = Optimizer::adam(1e-3).minimize(&worker, &loss, None)?;
    let init = global_variables_initializer(&root)?;
    println!("graph: {} nodes", graph.num_nodes());

    let session = Session::connect(&target).await?;
    session.run(&[], &[], &[&init]).await?;

    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let prototypes: Vec<Vec<f32>> = (0..CLASSES).map(|_| (0..FEATURES).map(|_| if rng.random::<f32>() < 0.2 { 1.0 } else { 0.0 }).collect()).collect();
    let (test_x, test_y) = dataset(&mut rng, &prototypes, 1000);
    let test_x = Tensor::from_vec(vec![1000, FEATURES as i64], test_x)?;
    let test_y = Tensor::from_vec(vec![1000], test_y)?;

    let bar = ProgressBar::new(STEPS);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} steps  {msg}")?);
    let start = Instant::now();
    let mut last_loss = f32::NAN;
    for step in 1..=STEPS {
        let (bx, by) = dataset(&mut rng, &prototypes, BATCH);
        let feeds = [(&x, Tensor::from_vec(vec![BATCH as i64, FEATURES as i64], bx)?), (&y, Tensor::from_vec(vec![BATCH as i64], by)?)];
        let out = session.run(&feeds, &[&loss], &[&train]).await?;
        last_loss = out[0].scalar_value::<f32>()?;
        let rate = step as f64 / start.elapsed().as_secs_f64();
        bar.set_message(format!("loss {last_loss:.4}  {rate:.0} steps/s"));
        bar.inc(1);
    }
    bar.finish();
    let out = session.run(&[(&x, test_x), (&y, test_y)], &[&loss, &accuracy], &[]).await?;
    println!(
        "final training loss {last_loss:.4}; held-out loss {:.4}, accuracy {:.1}%; {:.0} steps/s",
        out[0].scalar_value::<f32>()?,
        100.0 * out[1].scalar_value::<f32>()?,
        STEPS as f64 / start.elapsed().as_secs_f64()
    );
    session.close().await?;
    cluster.shutdown().await?;
    Ok(())
}
