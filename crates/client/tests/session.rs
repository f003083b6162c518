//! The client against a real in-process ferroflow cluster (a master task and two workers on
//! 127.0.0.1, OS-chosen ports): steps, partial runs, callables, devices, errors with TF's codes,
//! the blocking facade, and a short training whose loss falls.

use ferroflow::LocalCluster;
use ferroflow_client::gradients::gradients;
use ferroflow_client::ops::{array, math, nn};
use ferroflow_client::optimizers::Optimizer;
use ferroflow_client::variables::{Initializer, VariableOptions, get_variable, global_variables_initializer};
use ferroflow_client::{Code, DType, Graph, Session, Tensor, blocking};

async fn cluster() -> (LocalCluster, String) {
    let c = LocalCluster::start(&[("master", 1), ("worker", 2)], 1).await.expect("cluster starts");
    let target = format!("grpc://{}", c.address("master", 0).expect("master address"));
    (c, target)
}

fn values(t: &Tensor) -> Vec<f32> {
    t.to_vec::<f32>().expect("float tensor")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_feeds_fetches_and_places_ops_on_workers() {
    let (c, target) = cluster().await;
    let g = Graph::new();
    let s = g.scope();
    let w0 = s.with_device("/job:worker/task:0").unwrap();
    let x = array::placeholder(&w0.named("x"), DType::Float, [2, 2]).unwrap();
    let m = math::matmul(&w0, &x, Tensor::from_vec(vec![2, 2], vec![1.0f32, 2.0, 3.0, 4.0]).unwrap(), false, false).unwrap();
    let w1 = s.with_device("/job:worker/task:1").unwrap();
    let y = math::op_add(&w1, math::op_mul(&w1, &m, 2.0f32).unwrap(), 1.0f32).unwrap();
    let session = Session::connect(&target).await.unwrap();
    let feed = Tensor::from_vec(vec![2, 2], vec![1.0f32, 0.0, 0.0, 1.0]).unwrap();
    let out = session.run(&[(&x, feed.clone())], &[&y, &m, &y], &[]).await.unwrap();
    assert_eq!(values(&out[0]), vec![3.0, 5.0, 7.0, 9.0]);
    assert_eq!(values(&out[1]), vec![1.0, 2.0, 3.0, 4.0]);
    assert_eq!(values(&out[2]), values(&out[0]));
    // Nodes added after the first step go with ExtendSession.
    let z = math::reduce_sum(&s, &y, math::Axes::All, false).unwrap();
    let out = session.run(&[(&x, feed)], &[&z], &[]).await.unwrap();
    assert_eq!(values(&out[0]), vec![24.0]);
    let devices = session.list_devices().await.unwrap();
    assert_eq!(devices.len(), 3, "{devices:?}");
    session.close().await.unwrap();
    c.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_runs_and_callables() {
    let (c, target) = cluster().await;
    let g = Graph::new();
    let s = g.scope();
    let a = array::placeholder(&s.named("a"), DType::Float, [1]).unwrap();
    let b = array::placeholder(&s.named("b"), DType::Float, [1]).unwrap();
    let cc = array::placeholder(&s.named("c"), DType::Float, [1]).unwrap();
    let r1 = math::op_add(&s, &a, &b).unwrap();
    let r2 = math::op_mul(&s, &r1, &cc).unwrap();
    let session = Session::connect(&target).await.unwrap();
    let run = session.partial_run_setup(&[&a, &b, &cc], &[&r1, &r2], &[]).await.unwrap();
    let one = |v: f32| Tensor::from_vec(vec![1], vec![v]).unwrap();
    let got1 = session.partial_run(&run, &[(&a, one(1.0)), (&b, one(2.0))], &[&r1]).await.unwrap();
    assert_eq!(values(&got1[0]), vec![3.0]);
    let got2 = session.partial_run(&run, &[(&cc, one(17.0))], &[&r2]).await.unwrap();
    assert_eq!(values(&got2[0]), vec![51.0]);

    let callable = session.make_callable(&[&a, &b], &[&r1], &[], None).await.unwrap();
    for k in 0..3 {
        let out = session.run_callable(&callable, &[one(k as f32), one(10.0)]).await.unwrap();
        assert_eq!(values(&out[0]), vec![10.0 + k as f32]);
    }
    let wrong = session.run_callable(&callable, &[one(1.0)]).await.unwrap_err();
    assert_eq!(wrong.code, Code::InvalidArgument);
    session.release_callable(&callable).await.unwrap();
    let released = session.run_callable(&callable, &[one(1.0), one(2.0)]).await.unwrap_err();
    assert_eq!(released.code, Code::InvalidArgument, "{released}");
    c.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_tf_codes_and_name_the_node() {
    let (c, target) = cluster().await;
    let g = Graph::new();
    let s = g.scope();
    let x = array::placeholder(&s.named("x"), DType::Float, [-1]).unwrap();
    let r = array::reshape_to(&s.with_device("/job:worker/task:0").unwrap(), &x, &[2, 2]).unwrap();
    let v = get_variable(&s.with_device("/job:worker/task:1").unwrap(), "v", &[3], VariableOptions::default()).unwrap();
    let read = v.value().unwrap();
    let session = Session::connect(&target).await.unwrap();
    let bad = session.run(&[(&x, Tensor::from_vec(vec![3], vec![1.0f32, 2.0, 3.0]).unwrap())], &[&r], &[]).await.unwrap_err();
    assert_eq!(bad.code, Code::InvalidArgument, "{bad}");
    assert!(bad.message.contains("Reshape"), "{bad}");
    let uninit = session.run(&[], &[&read], &[]).await.unwrap_err();
    assert_eq!(uninit.code, Code::FailedPrecondition, "{uninit}");
    let unfed = session.run(&[], &[&r], &[]).await.unwrap_err();
    assert_eq!(unfed.code, Code::InvalidArgument, "{unfed}");
    let missing = session.run_names(&Default::default(), &[], &["no_such_node:0".into()], &[]).await.unwrap_err();
    assert_eq!(missing.code, Code::NotFound, "{missing}");
    c.shutdown().await.unwrap();
}

#[test]
fn the_blocking_facade_runs_steps_without_a_runtime_of_the_callers() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (c, target) = rt.block_on(cluster());
    let g = Graph::new();
    let s = g.scope();
    let x = array::placeholder(&s.named("x"), DType::Float, [3]).unwrap();
    let y = nn::relu(&s, &x).unwrap();
    let session = blocking::Session::connect(&target).unwrap();
    let out = session.run(&[(&x, Tensor::from_vec(vec![3], vec![-1.0f32, 0.5, 2.0]).unwrap())], &[&y], &[]).unwrap();
    assert_eq!(values(&out[0]), vec![0.0, 0.5, 2.0]);
    let inside = rt.block_on(async { session.run(&[], &[&y], &[]).unwrap_err() });
    assert_eq!(inside.code, Code::FailedPrecondition);
    session.close().unwrap();
    rt.block_on(c.shutdown()).unwrap();
}

/// A linearly separable 3-class problem.
fn data(n: usize) -> (Tensor, Tensor) {
    let mut xs = Vec::with_capacity(n * 4);
    let mut ys = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % 3;
        for f in 0..4 {
            let noise = (((i * 7 + f * 13) % 11) as f32 - 5.0) * 0.05;
            xs.push(if f == class { 2.0 } else { 0.0 } + noise);
        }
        ys.push(class as i64);
    }
    (Tensor::from_vec(vec![n as i64, 4], xs).unwrap(), Tensor::from_vec(vec![n as i64], ys).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn training_with_each_optimizer_lowers_the_loss() {
    let (c, target) = cluster().await;
    for opt in [Optimizer::gradient_descent(0.5), Optimizer::momentum(0.1, 0.9), Optimizer::adam(0.05)] {
        let g = Graph::new();
        g.set_random_seed(1);
        let s = g.scope();
        let x = array::placeholder(&s.named("x"), DType::Float, [-1, 4]).unwrap();
        let y = array::placeholder(&s.named("y"), DType::Int64, [-1]).unwrap();
        let ps = s.with_device("/job:worker/task:1").unwrap();
        let dense = ps.name_scope("dense").unwrap();
        let w = get_variable(&dense, "w", &[4, 3], VariableOptions::default()).unwrap();
        let b = get_variable(&dense, "b", &[3], VariableOptions { initializer: Initializer::Zeros, ..Default::default() }).unwrap();
        let compute = s.with_device("/job:worker/task:0").unwrap();
        let logits = nn::bias_add(&compute, math::matmul(&compute, &x, &w, false, false).unwrap(), &b).unwrap();
        let xent = nn::sparse_softmax_cross_entropy_with_logits(&compute, &y, &logits).unwrap();
        let loss = math::reduce_mean(&compute, &xent, math::Axes::All, false).unwrap();
        let train = opt.minimize(&s, &loss, None).unwrap();
        let init = global_variables_initializer(&s).unwrap();
        assert_eq!(g.collection_nodes("train_op").unwrap(), vec![train.name().to_string()]);
        let session = Session::connect(&target).await.unwrap();
        session.run(&[], &[], &[&init]).await.unwrap();
        let (xs, ys) = data(60);
        let mut losses = Vec::new();
        for _ in 0..30 {
            let out = session.run(&[(&x, xs.clone()), (&y, ys.clone())], &[&loss], &[&train]).await.unwrap();
            losses.push(values(&out[0])[0]);
        }
        let (first, last) = (losses[0], *losses.last().unwrap());
        assert!(last < first * 0.5, "{}: loss {first} -> {last}: {losses:?}", opt.name());
        // The gradient the optimizer used agrees with a plain tf.gradients-style one.
        let grads = gradients(&g, &[loss.clone()], &[w.handle().clone()]).unwrap();
        let gw = session.run(&[(&x, xs.clone()), (&y, ys.clone())], &[grads[0].as_ref().unwrap()], &[]).await.unwrap();
        assert_eq!(gw[0].dims(), &[4, 3]);
        session.close().await.unwrap();
    }
    c.shutdown().await.unwrap();
}
