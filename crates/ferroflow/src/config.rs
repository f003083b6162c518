//! A task's configuration: the cluster (from `--cluster JOB=HOST:PORT,...` flags or TF's
//! `TF_CONFIG` environment variable), which task of it this process is, and how it talks to its
//! peers (peer timeout, TLS). Plain data.

use anyhow::{Context, Result, anyhow, bail};
use ferroflow_distributed::ClusterSpec;
use ferroflow_grpc::ChannelOptions;
use ferroflow_grpc::tls::TlsIdentity;
use std::sync::Arc;
use std::time::Duration;

/// Which task of which cluster this process serves.
#[derive(Debug, Clone)]
pub struct TaskConfig {
    pub cluster: ClusterSpec,
    pub job: String,
    pub task: i32,
    /// Threads for kernels (0: one per core).
    pub compute_threads: usize,
    pub transport: TransportConfig,
}

/// How a task serves and calls its peers.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// A peer that leaves a pending call this long without a sign of life fails it (`--peer-timeout`).
    pub peer_timeout: Duration,
    /// Serve and call over TLS with this identity (`--tls-cert`, `--tls-key`, `--tls-ca`).
    pub tls: Option<Arc<TlsIdentity>>,
    /// With TLS, also serve plaintext on 127.0.0.1 at this port (0: any free one), for stock TF
    /// clients on the same host (`--plaintext-local-port`).
    pub plaintext_local_port: Option<u16>,
}

impl Default for TransportConfig {
    fn default() -> TransportConfig {
        TransportConfig { peer_timeout: ferroflow_grpc::transport::DEFAULT_PEER_TIMEOUT, tls: None, plaintext_local_port: None }
    }
}

impl TransportConfig {
    /// The options of this task's client channels.
    pub fn channel_options(&self) -> ChannelOptions {
        ChannelOptions { peer_timeout: self.peer_timeout, tls: self.tls.as_ref().map(|t| t.client_config()) }
    }
}

/// Parses a duration as `--peer-timeout` takes it: a number with a unit, `ms`, `s` or `m`
/// (`5s`, `1.5s`, `500ms`, `2m`); at least 10 ms.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).with_context(|| format!("'{text}' has no unit (ms, s or m)"))?;
    let (number, unit) = text.split_at(split);
    let n: f64 = number.parse().with_context(|| format!("'{text}' is not a number with a unit"))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => bail!("'{text}': unknown unit '{unit}' (ms, s or m)"),
    };
    let duration = Duration::try_from_secs_f64(seconds).map_err(|e| anyhow!("'{text}': {e}"))?;
    if duration < Duration::from_millis(10) {
        bail!("'{text}' is too short (at least 10ms)");
    }
    Ok(duration)
}

impl TaskConfig {
    /// The `host:port` this task serves, from the cluster definition.
    pub fn address(&self) -> Result<String> {
        self.cluster
            .address(&self.job, self.task)
            .map(str::to_string)
            .ok_or_else(|| anyhow!("task {} of job '{}' is not in the cluster definition", self.task, self.job))
    }
}

/// Parses `--cluster` values (`JOB=HOST:PORT[,HOST:PORT...]`), one job each.
pub fn cluster_from_flags(flags: &[String]) -> Result<ClusterSpec> {
    let mut cluster = ClusterSpec::new();
    for flag in flags {
        let (job, tasks) = flag.split_once('=').with_context(|| format!("--cluster '{flag}' is not JOB=HOST:PORT[,HOST:PORT...]"))?;
        let addresses: Vec<String> = tasks.split(',').map(|a| a.trim().to_string()).collect();
        if let Some(bad) = addresses.iter().find(|a| a.rsplit_once(':').is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err())) {
            bail!("--cluster '{flag}': '{bad}' is not HOST:PORT");
        }
        cluster.add_job(job, addresses).map_err(|e| anyhow!("--cluster '{flag}': {}", e.message))?;
    }
    Ok(cluster)
}

/// Parses TF's `TF_CONFIG`: `{"cluster": {"worker": ["h:p", ...], ...}, "task": {"type": "worker", "index": 0}}`.
pub fn from_tf_config(json: &str) -> Result<(ClusterSpec, String, i32)> {
    let v: serde_json::Value = serde_json::from_str(json).context("TF_CONFIG is not valid JSON")?;
    let jobs = v["cluster"].as_object().context("TF_CONFIG has no \"cluster\" object")?;
    let mut cluster = ClusterSpec::new();
    for (job, tasks) in jobs {
        let addresses: Vec<String> = tasks
            .as_array()
            .with_context(|| format!("TF_CONFIG cluster job '{job}' is not a list of addresses"))?
            .iter()
            .map(|a| a.as_str().map(str::to_string).with_context(|| format!("TF_CONFIG job '{job}' has a non-string address")))
            .collect::<Result<_>>()?;
        cluster.add_job(job, addresses).map_err(|e| anyhow!("TF_CONFIG: {}", e.message))?;
    }
    let job = v["task"]["type"].as_str().context("TF_CONFIG has no task.type")?.to_string();
    let task = v["task"]["index"].as_i64().unwrap_or(0) as i32;
    Ok((cluster, job, task))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_tf_config_describe_the_same_cluster() {
        let flags = cluster_from_flags(&["worker=127.0.0.1:1,127.0.0.1:2".into(), "ps=127.0.0.1:3".into()]).unwrap();
        let (tf, job, task) = from_tf_config(
            r#"{"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"], "ps": ["127.0.0.1:3"]}, "task": {"type": "worker", "index": 1}}"#,
        )
        .unwrap();
        assert_eq!(flags, tf);
        assert_eq!((job.as_str(), task), ("worker", 1));
        assert!(cluster_from_flags(&["worker".into()]).is_err());
        assert!(cluster_from_flags(&["worker=nohost".into()]).is_err());
    }

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        for bad in ["5", "s", "5h", "1ms", "-1s", "1e999s", ""] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
