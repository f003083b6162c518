//! A session on a `tensorflow.MasterService` (ferroflow's or stock TF's), as TF's `GrpcSession`
//! drives it: the graph goes with `CreateSession` on first use and new nodes with `ExtendSession`
//! before a step needs them; steps, partial runs and callables carry tensors as `TensorProto`s
//! that share the tensors' buffers; step errors come back in the response body with TF's code and
//! message.
//!
//! Calls go over the project's own HTTP/2 channel (`ferroflow_grpc::channel::PeerChannel`, gRPC's
//! 4 GiB - 1 message limit): `RunStep` and `RunCallable` below tonic's codec (tensors neither copied
//! on send nor reassembled twice on receipt), the rest through tonic's generated client.
//!
//! Concurrency: a `Session` is a cheap clone (`Arc`); steps run concurrently as HTTP/2 streams.
//! The session handle and the count of nodes already sent sit behind an async mutex held across
//! `CreateSession`/`ExtendSession`, so concurrent first steps send the graph once.

use crate::graph::{Graph, Operation, Output};
use ferroflow_framework::{Code, Error, Result, Tensor, tensor_from_proto, tensor_to_proto};
use ferroflow_grpc::bulk::call_unary;
use ferroflow_grpc::channel::PeerChannel;
use ferroflow_grpc::receive::content_path;
use ferroflow_grpc::transport::{self, status_to_error};
use ferroflow_proto as pb;
use ferroflow_proto::master_service_client::MasterServiceClient;
use std::collections::HashMap;
use std::sync::Arc;

/// How a session is created.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Sent with `CreateSession` (placement, timeouts, ...).
    pub config: pb::ConfigProto,
}

/// Fetched tensors of one step, in the order asked, and its metadata.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub tensors: Vec<Tensor>,
    pub metadata: pb::RunMetadata,
}

/// A callable made by [`Session::make_callable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callable {
    pub handle: i64,
    pub num_feeds: usize,
    pub num_fetches: usize,
}

/// A partial run set up by [`Session::partial_run_setup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialRun {
    pub handle: String,
}

struct State {
    handle: Option<String>,
    graph_version: i64,
    graph: Option<Graph>,
    nodes_sent: usize,
}

struct Inner {
    target: String,
    channel: PeerChannel,
    client: MasterServiceClient<PeerChannel>,
    config: pb::ConfigProto,
    state: tokio::sync::Mutex<State>,
}

/// A session; clones share it.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

/// `host:port` of a `grpc://host:port` target.
pub fn parse_target(target: &str) -> Result<String> {
    let address = target.strip_prefix("grpc://").ok_or_else(|| {
        Error::invalid_argument(format!("Invalid target '{target}': a ferroflow-client session target is grpc://host:port"))
    })?;
    if address.is_empty() || !address.contains(':') {
        return Err(Error::invalid_argument(format!("Invalid target '{target}': expected grpc://host:port")));
    }
    Ok(address.trim_end_matches('/').to_string())
}

fn request_id() -> i64 {
    (rand::random::<u64>() & (u64::MAX >> 1)) as i64
}

fn named(name: String, t: &Tensor) -> Result<pb::NamedTensorProto> {
    Ok(pb::NamedTensorProto { name, tensor: Some(tensor_to_proto(t)?) })
}

impl Session {
    /// A session on the master at `grpc://host:port`. Nothing is sent until the first call; the
    /// connection is made then (and again after it fails).
    pub async fn connect(target: &str) -> Result<Session> {
        Session::connect_with(target, SessionOptions::default()).await
    }

    pub async fn connect_with(target: &str, options: SessionOptions) -> Result<Session> {
        let address = parse_target(target)?;
        let channel = PeerChannel::new(&address);
        let client = MasterServiceClient::new(channel.clone())
            .max_decoding_message_size(transport::MAX_MESSAGE_SIZE)
            .max_encoding_message_size(transport::MAX_MESSAGE_SIZE);
        let state = State { handle: None, graph_version: 0, graph: None, nodes_sent: 0 };
        let inner = Inner { target: target.to_string(), channel, client, config: options.config, state: tokio::sync::Mutex::new(state) };
        Ok(Session { inner: Arc::new(inner) })
    }

    pub fn target(&self) -> &str {
        &self.inner.target
    }

    /// The session handle the master gave, once the session exists.
    pub async fn handle(&self) -> Option<String> {
        self.inner.state.lock().await.handle.clone()
    }

    fn client(&self) -> MasterServiceClient<PeerChannel> {
        self.inner.client.clone()
    }

    async fn create(&self, state: &mut State, graph_def: pb::GraphDef) -> Result<()> {
        let req = pb::CreateSessionRequest { graph_def: Some(graph_def), config: Some(self.inner.config.clone()), target: self.inner.target.clone() };
        let resp = self.client().create_session(req).await.map_err(status_to_error)?.into_inner();
        state.handle = Some(resp.session_handle);
        state.graph_version = resp.graph_version;
        Ok(())
    }

    /// Sends the nodes of `graph` the master has not seen: the whole graph with `CreateSession`
    /// the first time, the new ones with `ExtendSession` after. A session serves one graph.
    pub async fn extend(&self, graph: &Graph) -> Result<()> {
        let mut state = self.inner.state.lock().await;
        match &state.graph {
            Some(g) if g.id() != graph.id() => {
                return Err(Error::invalid_argument("This session already runs another graph; make a new session for this one"));
            }
            _ => {}
        }
        let n = graph.num_nodes();
        if state.graph.is_some() && n == state.nodes_sent {
            return Ok(());
        }
        let def = graph.graph_def_from(state.nodes_sent);
        match state.handle.clone() {
            None => self.create(&mut state, def).await?,
            Some(handle) => {
                let req = pb::ExtendSessionRequest { session_handle: handle, graph_def: Some(def), current_graph_version: state.graph_version };
                let resp = self.client().extend_session(req).await.map_err(status_to_error)?.into_inner();
                state.graph_version = resp.new_graph_version;
            }
        }
        state.graph = Some(graph.clone());
        state.nodes_sent = n;
        Ok(())
    }

    /// The session handle, creating the session with an empty graph if there is none yet (as TF's
    /// `GrpcSession` does for calls that need one).
    async fn ensure_handle(&self) -> Result<String> {
        let mut state = self.inner.state.lock().await;
        if state.handle.is_none() {
            self.create(&mut state, pb::GraphDef { versions: Some(pb::VersionDef { producer: crate::graph::PRODUCER_VERSION, ..Default::default() }), ..Default::default() })
                .await?;
        }
        state.handle.clone().ok_or_else(|| Error::internal("CreateSession returned no handle"))
    }

    /// Extends with the graph the handles belong to (all must share one).
    async fn extend_for(&self, graphs: impl Iterator<Item = Graph>) -> Result<()> {
        let mut first: Option<Graph> = None;
        for g in graphs {
            match &first {
                None => first = Some(g),
                Some(f) if f.id() != g.id() => return Err(Error::invalid_argument("Feeds, fetches and targets must come from one graph")),
                Some(_) => {}
            }
        }
        match first {
            Some(g) => self.extend(&g).await,
            None => Ok(()),
        }
    }

    /// One step: feeds, fetched tensors (returned in order) and target operations.
    pub async fn run(&self, feeds: &[(&Output, Tensor)], fetches: &[&Output], targets: &[&Operation]) -> Result<Vec<Tensor>> {
        Ok(self.run_with_options(&pb::RunOptions::default(), feeds, fetches, targets).await?.tensors)
    }

    /// [`Session::run`] with `RunOptions`, returning the `RunMetadata` too.
    pub async fn run_with_options(&self, options: &pb::RunOptions, feeds: &[(&Output, Tensor)], fetches: &[&Output], targets: &[&Operation]) -> Result<RunResult> {
        let graphs = feeds.iter().map(|(o, _)| o.graph().clone()).chain(fetches.iter().map(|o| o.graph().clone())).chain(targets.iter().map(|t| t.graph().clone()));
        self.extend_for(graphs).await?;
        let feeds: Vec<(String, Tensor)> = feeds.iter().map(|(o, t)| (o.name(), t.clone())).collect();
        let fetches: Vec<String> = fetches.iter().map(|o| o.name()).collect();
        let targets: Vec<String> = targets.iter().map(|t| t.name().to_string()).collect();
        self.run_names(options, &feeds, &fetches, &targets).await
    }

    /// A step named by strings (`node:index` tensors, node names for targets), for graphs the
    /// master already has (the session must exist: call [`Session::extend`] first).
    pub async fn run_names(&self, options: &pb::RunOptions, feeds: &[(String, Tensor)], fetches: &[String], targets: &[String]) -> Result<RunResult> {
        let handle = self.ensure_handle().await?;
        self.step(handle, String::new(), options, feeds, fetches, targets).await
    }

    async fn step(&self, handle: String, partial: String, options: &pb::RunOptions, feeds: &[(String, Tensor)], fetches: &[String], targets: &[String]) -> Result<RunResult> {
        let mut options = options.clone();
        if options.timeout_in_ms == 0 {
            options.timeout_in_ms = self.inner.config.operation_timeout_in_ms;
        }
        let mut unique: Vec<String> = Vec::new();
        let mut offset: HashMap<&str, usize> = HashMap::new();
        for f in fetches {
            if !offset.contains_key(f.as_str()) {
                offset.insert(f, unique.len());
                unique.push(f.clone());
            }
        }
        let is_partial = !partial.is_empty();
        let req = pb::RunStepRequest {
            session_handle: handle,
            feed: feeds.iter().map(|(n, t)| named(n.clone(), t)).collect::<Result<_>>()?,
            fetch: unique.clone(),
            target: targets.to_vec(),
            options: Some(options),
            partial_run_handle: partial,
            store_errors_in_response_body: true,
            request_id: if is_partial { 0 } else { request_id() },
        };
        let resp: pb::RunStepResponse = call_unary(&self.inner.channel, "/tensorflow.MasterService/RunStep", req, content_path::RUN_STEP_RESPONSE).await?;
        if resp.status_code != 0 {
            return Err(Error::new(Code::from_i32(resp.status_code), resp.status_error_message));
        }
        let mut got: Vec<Option<Tensor>> = vec![None; unique.len()];
        for t in &resp.tensor {
            let i = *offset.get(t.name.as_str()).ok_or_else(|| Error::internal(format!("Received response for unrequested fetch: {}", t.name)))?;
            let proto = t.tensor.as_ref().ok_or_else(|| Error::internal(format!("Fetch {} came without a tensor", t.name)))?;
            got[i] = Some(tensor_from_proto(proto)?);
        }
        let mut tensors = Vec::with_capacity(fetches.len());
        for f in fetches {
            let t = got[offset[f.as_str()]].clone().ok_or_else(|| Error::internal(format!("No value was returned for fetch {f}")))?;
            tensors.push(t);
        }
        Ok(RunResult { tensors, metadata: resp.metadata.unwrap_or_default() })
    }

    /// `Session.partial_run_setup(fetches, feeds)`: declares every feed, fetch and target of the
    /// partial run up front.
    pub async fn partial_run_setup(&self, feeds: &[&Output], fetches: &[&Output], targets: &[&Operation]) -> Result<PartialRun> {
        let graphs = feeds.iter().map(|o| o.graph().clone()).chain(fetches.iter().map(|o| o.graph().clone())).chain(targets.iter().map(|t| t.graph().clone()));
        self.extend_for(graphs).await?;
        let handle = self.ensure_handle().await?;
        let req = pb::PartialRunSetupRequest {
            session_handle: handle,
            feed: feeds.iter().map(|o| o.name()).collect(),
            fetch: fetches.iter().map(|o| o.name()).collect(),
            target: targets.iter().map(|t| t.name().to_string()).collect(),
            request_id: request_id(),
        };
        let resp = self.client().partial_run_setup(req).await.map_err(status_to_error)?.into_inner();
        Ok(PartialRun { handle: resp.partial_run_handle })
    }

    /// `Session.partial_run(handle, fetches, feeds)`: one part of a partial run.
    pub async fn partial_run(&self, run: &PartialRun, feeds: &[(&Output, Tensor)], fetches: &[&Output]) -> Result<Vec<Tensor>> {
        let handle = self.ensure_handle().await?;
        let feeds: Vec<(String, Tensor)> = feeds.iter().map(|(o, t)| (o.name(), t.clone())).collect();
        let fetches: Vec<String> = fetches.iter().map(|o| o.name()).collect();
        Ok(self.step(handle, run.handle.clone(), &pb::RunOptions::default(), &feeds, &fetches, &[]).await?.tensors)
    }

    /// `Session._make_callable_from_options`: a step fixed in advance, run by [`Session::run_callable`].
    pub async fn make_callable(&self, feeds: &[&Output], fetches: &[&Output], targets: &[&Operation], run_options: Option<pb::RunOptions>) -> Result<Callable> {
        let graphs = feeds.iter().map(|o| o.graph().clone()).chain(fetches.iter().map(|o| o.graph().clone())).chain(targets.iter().map(|t| t.graph().clone()));
        self.extend_for(graphs).await?;
        let options = pb::CallableOptions {
            feed: feeds.iter().map(|o| o.name()).collect(),
            fetch: fetches.iter().map(|o| o.name()).collect(),
            target: targets.iter().map(|t| t.name().to_string()).collect(),
            run_options,
            ..Default::default()
        };
        self.make_callable_from_options(options).await
    }

    pub async fn make_callable_from_options(&self, options: pb::CallableOptions) -> Result<Callable> {
        let handle = self.ensure_handle().await?;
        let (num_feeds, num_fetches) = (options.feed.len(), options.fetch.len());
        let req = pb::MakeCallableRequest { session_handle: handle, options: Some(options), request_id: request_id() };
        let resp = self.client().make_callable(req).await.map_err(status_to_error)?.into_inner();
        Ok(Callable { handle: resp.handle, num_feeds, num_fetches })
    }

    /// Runs a callable with its feeds in the order they were declared.
    pub async fn run_callable(&self, callable: &Callable, feeds: &[Tensor]) -> Result<Vec<Tensor>> {
        if feeds.len() != callable.num_feeds {
            return Err(Error::invalid_argument(format!("Invalid number of feed values: expected {}, got {}", callable.num_feeds, feeds.len())));
        }
        let handle = self.ensure_handle().await?;
        let req = pb::RunCallableRequest { session_handle: handle, handle: callable.handle, feed: feeds.iter().map(tensor_to_proto).collect::<Result<_>>()?, request_id: request_id() };
        let resp: pb::RunCallableResponse = call_unary(&self.inner.channel, "/tensorflow.MasterService/RunCallable", req, content_path::RUN_CALLABLE_RESPONSE).await?;
        if resp.fetch.len() != callable.num_fetches {
            return Err(Error::internal(format!("RunCallable returned {} tensors for {} fetches", resp.fetch.len(), callable.num_fetches)));
        }
        resp.fetch.iter().map(tensor_from_proto).collect()
    }

    pub async fn release_callable(&self, callable: &Callable) -> Result<()> {
        let handle = self.ensure_handle().await?;
        self.client().release_callable(pb::ReleaseCallableRequest { session_handle: handle, handle: callable.handle }).await.map_err(status_to_error)?;
        Ok(())
    }

    /// The cluster's devices (creating the session first if needed, as TF does).
    pub async fn list_devices(&self) -> Result<Vec<pb::DeviceAttributes>> {
        let handle = self.ensure_handle().await?;
        let resp = self.client().list_devices(pb::ListDevicesRequest { session_handle: handle }).await.map_err(status_to_error)?.into_inner();
        Ok(resp.local_device.into_iter().chain(resp.remote_device).collect())
    }

    /// Closes the session on the master (a session never created needs nothing closed).
    pub async fn close(&self) -> Result<()> {
        let mut state = self.inner.state.lock().await;
        if let Some(handle) = state.handle.take() {
            self.client().close_session(pb::CloseSessionRequest { session_handle: handle }).await.map_err(status_to_error)?;
        }
        state.graph = None;
        state.nodes_sent = 0;
        Ok(())
    }

    /// `tf.compat.v1.Session.reset(target, containers)`: clears resource containers on every
    /// worker (all of them when `containers` is empty) and closes all sessions of the master.
    pub async fn reset(&self, containers: &[String]) -> Result<()> {
        let req = pb::ResetRequest { container: containers.to_vec(), device_filters: self.inner.config.device_filters.clone() };
        self.client().reset(req).await.map_err(status_to_error)?;
        let mut state = self.inner.state.lock().await;
        state.handle = None;
        state.graph = None;
        state.nodes_sent = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_must_be_grpc_urls() {
        assert_eq!(parse_target("grpc://127.0.0.1:2222").unwrap(), "127.0.0.1:2222");
        assert_eq!(parse_target("localhost:1").unwrap_err().code, Code::InvalidArgument);
        assert!(parse_target("grpc://").is_err());
        assert!(request_id() >= 0);
    }
}
