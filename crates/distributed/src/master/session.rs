//! A master session (TF's `MasterSession`): the client's graph, the cluster's devices as found at
//! creation, one execution plan per signature, and the steps run with them. A step runs every
//! partition at once under a fresh cluster-unique step id; the first error cleans the step up on
//! every worker (aborting their rendezvous, so none stays blocked on a receive) and reaches the
//! client with TF's `From /job:...` context; after every step the workers drop its state. A step
//! honours TF's `RunOptions`: a timeout (or the session's `operation_timeout_in_ms`) ends it with
//! DEADLINE_EXCEEDED and cancels it on every worker; tracing returns each partition's step stats
//! and the partition graphs in `RunMetadata`.
//!
//! Concurrency: steps of one session may run at once. The graph is behind a mutex; plans are
//! built under an async mutex (so a signature registers once) and then shared by `Arc`.

use crate::master::plan::{Endpoint, Plan, PlanContext, Signature};
use crate::worker_cache::WorkerCache;
use ferroflow_framework::{Code, Error, Result};
use ferroflow_proto as pb;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// What a client asked of one step beyond its feeds and fetches (TF's `RunOptions`).
#[derive(Debug, Clone, Default)]
pub struct StepOptions {
    /// Fail the step with DEADLINE_EXCEEDED if it has not finished by then.
    pub timeout: Option<std::time::Duration>,
    /// Collect every partition's step stats (`trace_level` above `NO_TRACE`).
    pub trace: bool,
    /// Return the partition graphs that ran.
    pub partition_graphs: bool,
}

impl StepOptions {
    /// From a request's `RunOptions`; a session's `operation_timeout_in_ms` applies when the
    /// request sets no timeout of its own.
    pub fn from_proto(options: Option<&pb::RunOptions>, session_timeout_ms: i64) -> StepOptions {
        let default = pb::RunOptions::default();
        let o = options.unwrap_or(&default);
        let timeout_ms = if o.timeout_in_ms > 0 { o.timeout_in_ms } else { session_timeout_ms };
        StepOptions {
            timeout: (timeout_ms > 0).then(|| std::time::Duration::from_millis(timeout_ms as u64)),
            trace: o.trace_level > 0,
            partition_graphs: o.output_partition_graphs,
        }
    }
}

/// What a step gives back: the fetched tensors, in the order asked for, and its metadata.
#[derive(Debug, Default)]
pub struct StepOutput {
    pub fetches: Vec<pb::TensorProto>,
    pub metadata: pb::RunMetadata,
}

/// Spawns its future on the current runtime when dropped.
struct SpawnOnDrop<F: std::future::Future<Output = ()> + Send + 'static>(Option<F>);

impl<F: std::future::Future<Output = ()> + Send + 'static> Drop for SpawnOnDrop<F> {
    fn drop(&mut self) {
        if let (Some(future), Ok(runtime)) = (self.0.take(), tokio::runtime::Handle::try_current()) {
            runtime.spawn(future);
        }
    }
}

/// A partial run in progress: its plan, step id, and its feeds and fetches (true once fed or fetched).
struct PartialRun {
    plan: Arc<Plan>,
    step_id: i64,
    started: bool,
    pending_feeds: HashMap<String, bool>,
    pending_fetches: HashMap<String, bool>,
}

impl PartialRun {
    /// TF's checks of one partial-run call: every feed and fetch named at setup and not used yet
    /// (feeds checked before fetches); then marks them used. True when no fetch is left.
    fn take(&mut self, feeds: &[&str], fetches: &[String]) -> Result<bool> {
        for &feed in feeds {
            match self.pending_feeds.get(feed) {
                None => return Err(Error::invalid_argument(format!("The feed {feed} was not specified in partial_run_setup."))),
                Some(true) => return Err(Error::invalid_argument(format!("The feed {feed} has already been fed."))),
                Some(false) => {}
            }
        }
        for fetch in fetches {
            match self.pending_fetches.get(fetch) {
                None => return Err(Error::invalid_argument(format!("The fetch {fetch} was not specified in partial_run_setup."))),
                Some(true) => return Err(Error::invalid_argument(format!("The fetch {fetch} has already been fetched."))),
                Some(false) => {}
            }
        }
        for &feed in feeds {
            self.pending_feeds.insert(feed.to_string(), true);
        }
        for fetch in fetches {
            self.pending_fetches.insert(fetch.clone(), true);
        }
        Ok(self.pending_fetches.values().all(|&done| done))
    }
}

pub struct MasterSession {
    pub handle: String,
    worker_cache: Arc<WorkerCache>,
    client_device: String,
    client_incarnation: u64,
    devices: Vec<pb::DeviceAttributes>,
    /// Every task with a worker session for this master session.
    tasks: Vec<String>,
    graph: Mutex<(pb::GraphDef, i64)>,
    /// `ConfigProto.operation_timeout_in_ms` of the session (0: none).
    operation_timeout_ms: i64,
    plans: tokio::sync::Mutex<HashMap<Signature, Arc<Plan>>>,
    partial_runs: tokio::sync::Mutex<HashMap<String, PartialRun>>,
    callables: Mutex<HashMap<i64, (Signature, pb::RunOptions)>>,
    next_id: AtomicI64,
    /// The session-wide count in the names of the nodes partitioning adds (`_Send`, `_Recv`, ...),
    /// as TF's master keeps one: a TF worker caches the kernels of stateful nodes by name for
    /// the whole session, so a `_Recv` of one plan must never share a name with another plan's.
    partition_node_count: Mutex<u64>,
}

/// A fresh step id: random, positive, 63 bits, like TF's.
fn new_step_id() -> i64 {
    loop {
        let id = rand::random::<i64>() & i64::MAX;
        if id != 0 {
            return id;
        }
    }
}

/// A worker's reply as a result: errors carried in the body become errors.
fn body_status(resp: pb::RunGraphResponse) -> Result<pb::RunGraphResponse> {
    if resp.status_code != 0 {
        return Err(Error::new(Code::from_i32(resp.status_code), resp.status_error_message));
    }
    Ok(resp)
}

pub struct SessionParts {
    pub handle: String,
    pub worker_cache: Arc<WorkerCache>,
    pub client_device: String,
    pub client_incarnation: u64,
    pub devices: Vec<pb::DeviceAttributes>,
    pub tasks: Vec<String>,
    pub graph: pb::GraphDef,
    pub operation_timeout_ms: i64,
}

impl MasterSession {
    pub fn new(parts: SessionParts) -> MasterSession {
        MasterSession {
            handle: parts.handle,
            worker_cache: parts.worker_cache,
            client_device: parts.client_device,
            client_incarnation: parts.client_incarnation,
            devices: parts.devices,
            tasks: parts.tasks,
            graph: Mutex::new((parts.graph, 0)),
            operation_timeout_ms: parts.operation_timeout_ms,
            plans: tokio::sync::Mutex::new(HashMap::new()),
            partial_runs: tokio::sync::Mutex::new(HashMap::new()),
            callables: Mutex::new(HashMap::new()),
            next_id: AtomicI64::new(0),
            partition_node_count: Mutex::new(0),
        }
    }

    pub fn operation_timeout_ms(&self) -> i64 {
        self.operation_timeout_ms
    }

    pub fn devices(&self) -> &[pb::DeviceAttributes] {
        &self.devices
    }

    pub fn tasks(&self) -> &[String] {
        &self.tasks
    }

    /// The device feeds and fetches are exchanged with the client on.
    pub fn client_device(&self) -> &str {
        &self.client_device
    }

    /// Adds nodes to the graph; the client must name the version it extends.
    pub fn extend(&self, nodes: pb::GraphDef, current_version: i64) -> Result<i64> {
        let mut graph = self.graph.lock();
        if graph.1 != current_version {
            return Err(Error::aborted(format!(
                "Current graph version {} does not match the version {current_version} the client extends",
                graph.1
            )));
        }
        let known: std::collections::HashSet<String> = graph.0.node.iter().map(|n| n.name.clone()).collect();
        if let Some(dup) = nodes.node.iter().find(|n| known.contains(&n.name)) {
            return Err(Error::invalid_argument(format!("Duplicate node name in graph: '{}'", dup.name)));
        }
        graph.0.node.extend(nodes.node);
        graph.1 += 1;
        Ok(graph.1)
    }

    async fn plan_for(&self, sig: &Signature) -> Result<Arc<Plan>> {
        let key = sig.key();
        let mut plans = self.plans.lock().await;
        if let Some(p) = plans.get(&key) {
            return Ok(p.clone());
        }
        let graph = self.graph.lock().0.clone();
        let ctx = PlanContext {
            session_handle: &self.handle,
            graph: &graph,
            devices: &self.devices,
            client_device: &self.client_device,
            client_incarnation: self.client_incarnation,
            worker_cache: &self.worker_cache,
            partition_node_count: &self.partition_node_count,
        };
        let plan = Arc::new(Plan::build(ctx, &key).await?);
        plans.insert(key, plan.clone());
        Ok(plan)
    }

    fn run_request(&self, graph_handle: &str, step_id: i64, opts: &StepOptions) -> pb::RunGraphRequest {
        pb::RunGraphRequest {
            session_handle: self.handle.clone(),
            create_worker_session_called: true,
            graph_handle: graph_handle.to_string(),
            step_id,
            exec_opts: Some(pb::ExecutorOpts { record_timeline: opts.trace, record_costs: opts.trace, ..Default::default() }),
            store_errors_in_response_body: true,
            request_id: rand::random::<i64>() & i64::MAX,
            ..Default::default()
        }
    }

    /// Puts each feed into the `RunGraph` request of the partition that receives it (`requests` maps
    /// partition index -> request; a feed nothing uses is dropped).
    fn add_feeds(plan: &Plan, requests: &mut HashMap<usize, pb::RunGraphRequest>, feeds: Vec<(String, pb::TensorProto)>) -> Result<()> {
        for (name, tensor) in feeds {
            let endpoint =
                plan.feeds.get(&name).ok_or_else(|| Error::invalid_argument(format!("Tensor {name}, specified in feeds, is not a feed of this run")))?;
            if let Some(p) = endpoint.partition
                && let Some(req) = requests.get_mut(&p)
            {
                req.send.push(pb::NamedTensorProto { name: endpoint.key.clone(), tensor: Some(tensor) });
            }
        }
        Ok(())
    }

    /// The endpoints of `fetches`, in order.
    fn fetch_endpoints<'p>(plan: &'p Plan, fetches: &[String]) -> Result<Vec<(usize, &'p str)>> {
        fetches
            .iter()
            .map(|f| match plan.fetches.get(f) {
                Some(Endpoint { partition: Some(p), key }) => Ok((*p, key.as_str())),
                _ => Err(Error::internal(format!("no partition sends fetch {f}"))),
            })
            .collect()
    }

    /// Asks each fetch's partition for it (once, however often it is fetched).
    fn add_fetches(requests: &mut HashMap<usize, pb::RunGraphRequest>, endpoints: &[(usize, &str)]) -> Result<()> {
        for &(p, key) in endpoints {
            let req = requests.get_mut(&p).ok_or_else(|| Error::internal(format!("fetch {key} comes from a partition that does not run")))?;
            if !req.recv_key.iter().any(|k| k == key) {
                req.recv_key.push(key.to_string());
            }
        }
        Ok(())
    }

    /// The fetched tensors, in the order asked for, from the partitions' replies.
    fn take_fetches(responses: &mut HashMap<usize, pb::RunGraphResponse>, endpoints: &[(usize, &str)]) -> Result<Vec<pb::TensorProto>> {
        let mut received: HashMap<String, pb::TensorProto> = HashMap::new();
        for resp in responses.values_mut() {
            for named in std::mem::take(&mut resp.recv) {
                received.insert(named.name, named.tensor.unwrap_or_default());
            }
        }
        endpoints
            .iter()
            .map(|(_, key)| received.get(*key).cloned().ok_or_else(|| Error::internal(format!("fetch {key} was not returned"))))
            .collect()
    }

    /// Tells every worker of the plan to drop the step (aborting whatever still runs there).
    fn cleanup(&self, plan: &Plan, step_id: i64) -> impl std::future::Future<Output = ()> + Send + 'static {
        let workers: Vec<_> = plan.partitions.iter().map(|p| p.worker.clone()).collect();
        async move {
            let calls = workers.iter().map(|w| w.cleanup_graph(pb::CleanupGraphRequest { step_id }));
            let _ = futures::future::join_all(calls).await;
        }
    }

    /// Runs the given partitions' `RunGraph`s within the step's timeout; the first error (or the
    /// timeout) aborts the step on all workers.
    async fn run_partitions(
        &self,
        plan: &Plan,
        requests: HashMap<usize, pb::RunGraphRequest>,
        step_id: i64,
        opts: &StepOptions,
    ) -> Result<HashMap<usize, pb::RunGraphResponse>> {
        let Some(timeout) = opts.timeout else {
            return self.run_partitions_to_end(plan, requests, step_id).await;
        };
        match tokio::time::timeout(timeout, self.run_partitions_to_end(plan, requests, step_id)).await {
            Ok(result) => result,
            Err(_) => {
                // Whoever runs the step cleans it up (which aborts it on every worker).
                Err(Error::deadline_exceeded(format!(
                    "Timed out: step {step_id} did not finish within {} ms (RunOptions.timeout_in_ms or ConfigProto.operation_timeout_in_ms)",
                    timeout.as_millis()
                )))
            }
        }
    }

    async fn run_partitions_to_end(
        &self,
        plan: &Plan,
        requests: HashMap<usize, pb::RunGraphRequest>,
        step_id: i64,
    ) -> Result<HashMap<usize, pb::RunGraphResponse>> {
        let mut pending: FuturesUnordered<_> = requests
            .into_iter()
            .map(|(i, req)| {
                let worker = plan.partitions[i].worker.clone();
                async move { (i, worker.run_graph(req).await.and_then(body_status)) }
            })
            .collect();
        let mut responses = HashMap::new();
        let mut first_error: Option<Error> = None;
        while let Some((i, result)) = pending.next().await {
            match result {
                Ok(resp) => {
                    responses.insert(i, resp);
                }
                Err(e) => {
                    let from_abort = first_error.is_some() && e.code == Code::Cancelled;
                    if first_error.is_none() {
                        tokio::spawn(self.cleanup(plan, step_id));
                    }
                    if first_error.is_none() || (!from_abort && first_error.as_ref().is_some_and(|f| f.code == Code::Cancelled)) {
                        first_error = Some(e.context(format!("From {}:\n", plan.partitions[i].task)));
                    }
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(responses),
        }
    }

    /// Runs one step: feeds in, fetches out, targets run.
    pub async fn run(&self, sig: Signature, feeds: Vec<(String, pb::TensorProto)>, opts: &StepOptions) -> Result<StepOutput> {
        let plan = self.plan_for(&sig).await?;
        let step_id = new_step_id();
        let mut requests: HashMap<usize, pb::RunGraphRequest> =
            plan.partitions.iter().enumerate().map(|(i, p)| (i, self.run_request(&p.graph_handle, step_id, opts))).collect();
        let endpoints = Self::fetch_endpoints(&plan, &sig.fetches)?;
        Self::add_feeds(&plan, &mut requests, feeds)?;
        Self::add_fetches(&mut requests, &endpoints)?;
        // Cleans the step up when it ends — or when the client gives up and this future is dropped.
        let _cleanup = SpawnOnDrop(Some(self.cleanup(&plan, step_id)));
        let responses = self.run_partitions(&plan, requests, step_id, opts).await;
        Self::output(&plan, &mut responses?, &endpoints, opts)
    }

    /// The fetches and the metadata asked for.
    fn output(plan: &Plan, responses: &mut HashMap<usize, pb::RunGraphResponse>, endpoints: &[(usize, &str)], opts: &StepOptions) -> Result<StepOutput> {
        let fetches = Self::take_fetches(responses, endpoints)?;
        let mut metadata = pb::RunMetadata::default();
        if opts.trace {
            let mut indices: Vec<&usize> = responses.keys().collect();
            indices.sort();
            let dev_stats = indices.into_iter().filter_map(|i| responses[i].step_stats.as_ref()).flat_map(|s| s.dev_stats.iter().cloned()).collect();
            metadata.step_stats = Some(pb::StepStats { dev_stats });
        }
        if opts.partition_graphs {
            metadata.partition_graphs = plan.partitions.iter().map(|p| p.graph.clone()).collect();
        }
        Ok(StepOutput { fetches, metadata })
    }

    /// Starts a partial run; returns its handle.
    pub async fn partial_run_setup(&self, sig: Signature) -> Result<String> {
        let plan = self.plan_for(&sig).await?;
        let handle = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
        let run = PartialRun {
            plan,
            step_id: new_step_id(),
            started: false,
            pending_feeds: sig.feeds.iter().map(|f| (f.clone(), false)).collect(),
            pending_fetches: sig.fetches.iter().map(|f| (f.clone(), false)).collect(),
        };
        self.partial_runs.lock().await.insert(handle.clone(), run);
        Ok(handle)
    }

    /// One call of a partial run: some feeds in, some fetches out. The run ends with its last fetch.
    /// The first call starts every partition; later calls go to the partitions that take this call's
    /// feeds or give its fetches, and the last one to all of them (to finish the step everywhere).
    pub async fn partial_run(
        &self,
        handle: &str,
        fetches: &[String],
        feeds: Vec<(String, pb::TensorProto)>,
        opts: &StepOptions,
    ) -> Result<StepOutput> {
        let (plan, step_id, first, last) = {
            let mut runs = self.partial_runs.lock().await;
            let run = runs.get_mut(handle).ok_or_else(|| Error::invalid_argument("Must run 'setup' before performing partial runs!"))?;
            let feed_names: Vec<&str> = feeds.iter().map(|(name, _)| name.as_str()).collect();
            let last = run.take(&feed_names, fetches)?;
            let first = !run.started;
            run.started = true;
            (run.plan.clone(), run.step_id, first, last)
        };
        let endpoints = Self::fetch_endpoints(&plan, fetches)?;
        let mut involved: Vec<usize> = endpoints.iter().map(|(p, _)| *p).collect();
        for (name, _) in &feeds {
            involved.extend(plan.feeds.get(name).and_then(|e| e.partition));
        }
        let mut requests: HashMap<usize, pb::RunGraphRequest> = HashMap::new();
        for (i, p) in plan.partitions.iter().enumerate() {
            if first || last || involved.contains(&i) {
                let mut req = self.run_request(&p.graph_handle, step_id, opts);
                req.is_partial = true;
                req.is_last_partial_run = last;
                requests.insert(i, req);
            }
        }
        Self::add_feeds(&plan, &mut requests, feeds)?;
        Self::add_fetches(&mut requests, &endpoints)?;
        let result = self.run_partitions(&plan, requests, step_id, opts).await;
        if last || result.is_err() {
            self.partial_runs.lock().await.remove(handle);
            tokio::spawn(self.cleanup(&plan, step_id));
        }
        Self::output(&plan, &mut result?, &endpoints, opts)
    }

    /// Registers a callable: a signature, and the run options every call of it uses.
    pub fn make_callable(&self, sig: Signature, options: pb::RunOptions) -> i64 {
        let handle = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.callables.lock().insert(handle, (sig, options));
        handle
    }

    pub fn callable(&self, handle: i64) -> Result<(Signature, pb::RunOptions)> {
        self.callables.lock().get(&handle).cloned().ok_or_else(|| Error::invalid_argument(format!("No such callable handle: {handle}")))
    }

    pub fn release_callable(&self, handle: i64) {
        self.callables.lock().remove(&handle);
    }

    /// Deregisters every plan's partitions and deletes the worker sessions.
    pub async fn close(&self) {
        let plans: Vec<Arc<Plan>> = self.plans.lock().await.drain().map(|(_, p)| p).collect();
        for plan in &plans {
            plan.deregister(&self.handle).await;
        }
        let deletes = self.tasks.iter().filter_map(|t| self.worker_cache.worker(t).ok()).map(|w| {
            let handle = self.handle.clone();
            async move { w.delete_worker_session(pb::DeleteWorkerSessionRequest { session_handle: handle }).await }
        });
        let _ = futures::future::join_all(deletes).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_options_win_over_the_session_timeout_and_tracing_follows_the_trace_level() {
        let none = StepOptions::from_proto(None, 0);
        assert!(none.timeout.is_none() && !none.trace && !none.partition_graphs);
        assert_eq!(StepOptions::from_proto(None, 250).timeout, Some(std::time::Duration::from_millis(250)));
        let options = pb::RunOptions { timeout_in_ms: 40, trace_level: 3, output_partition_graphs: true, ..Default::default() };
        let opts = StepOptions::from_proto(Some(&options), 250);
        assert_eq!(opts.timeout, Some(std::time::Duration::from_millis(40)));
        assert!(opts.trace && opts.partition_graphs);
    }
}
