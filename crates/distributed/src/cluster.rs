//! The cluster definition (TF's ClusterSpec): jobs, their task indices and addresses. Immutable
//! after construction; shared by `Arc`.

use ferroflow_framework::{Error, Result};
use ferroflow_proto::{ClusterDef, JobDef};
use std::collections::BTreeMap;

/// Jobs -> task index -> `host:port`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterSpec {
    jobs: BTreeMap<String, BTreeMap<i32, String>>,
}

impl ClusterSpec {
    pub fn new() -> ClusterSpec {
        ClusterSpec::default()
    }

    /// Adds a job whose tasks are numbered in the order of `addresses`.
    pub fn add_job(&mut self, job: &str, addresses: Vec<String>) -> Result<()> {
        if job.is_empty() || !job.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(Error::invalid_argument(format!("Invalid job name '{job}'")));
        }
        if self.jobs.contains_key(job) {
            return Err(Error::invalid_argument(format!("Job '{job}' is defined twice")));
        }
        if addresses.is_empty() {
            return Err(Error::invalid_argument(format!("Job '{job}' has no tasks")));
        }
        self.jobs.insert(job.to_string(), addresses.into_iter().enumerate().map(|(i, a)| (i as i32, a)).collect());
        Ok(())
    }

    /// Adds a job whose tasks have the given indices (TF allows sparse ones: `{37: "host:port"}`).
    pub fn add_job_tasks(&mut self, job: &str, tasks: BTreeMap<i32, String>) -> Result<()> {
        if tasks.keys().any(|&i| i < 0) {
            return Err(Error::invalid_argument(format!("Job '{job}' has a negative task index")));
        }
        self.add_job(job, tasks.values().cloned().collect())?;
        self.jobs.insert(job.to_string(), tasks);
        Ok(())
    }

    pub fn from_proto(def: &ClusterDef) -> ClusterSpec {
        ClusterSpec {
            jobs: def.job.iter().map(|j| (j.name.clone(), j.tasks.iter().map(|(k, v)| (*k, v.clone())).collect())).collect(),
        }
    }

    pub fn to_proto(&self) -> ClusterDef {
        ClusterDef {
            job: self
                .jobs
                .iter()
                .map(|(name, tasks)| JobDef { name: name.clone(), tasks: tasks.iter().map(|(k, v)| (*k, v.clone())).collect() })
                .collect(),
        }
    }

    /// The `host:port` of a task.
    pub fn address(&self, job: &str, task: i32) -> Option<&str> {
        self.jobs.get(job)?.get(&task).map(String::as_str)
    }

    /// Every task's name (`/job:J/replica:0/task:T`), sorted by job then index.
    pub fn task_names(&self) -> Vec<String> {
        self.jobs.iter().flat_map(|(job, tasks)| tasks.keys().map(move |t| task_name(job, *t))).collect()
    }

    /// The address of a task given by name (`/job:J/replica:R/task:T`).
    pub fn address_of_task(&self, name: &str) -> Option<&str> {
        let d = ferroflow_framework::device_name::DeviceName::parse(name).ok()?;
        self.address(d.job.as_deref()?, d.task?)
    }

    pub fn jobs(&self) -> impl Iterator<Item = (&str, &BTreeMap<i32, String>)> {
        self.jobs.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}

/// `/job:J/replica:0/task:T`.
pub fn task_name(job: &str, task: i32) -> String {
    format!("/job:{job}/replica:0/task:{task}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_are_named_and_found_by_name() {
        let mut c = ClusterSpec::new();
        c.add_job("worker", vec!["127.0.0.1:1".into(), "127.0.0.1:2".into()]).unwrap();
        c.add_job("ps", vec!["127.0.0.1:3".into()]).unwrap();
        assert_eq!(c.task_names(), vec!["/job:ps/replica:0/task:0", "/job:worker/replica:0/task:0", "/job:worker/replica:0/task:1"]);
        assert_eq!(c.address_of_task("/job:worker/replica:0/task:1"), Some("127.0.0.1:2"));
        assert_eq!(ClusterSpec::from_proto(&c.to_proto()), c);
        assert!(c.add_job("ps", vec!["x:1".into()]).is_err());
        c.add_job_tasks("local", [(37, "127.0.0.1:4".to_string())].into()).unwrap();
        assert_eq!(c.address_of_task("/job:local/replica:0/task:37"), Some("127.0.0.1:4"));
        assert_eq!(c.address("local", 0), None);
        assert!(c.task_names().contains(&"/job:local/replica:0/task:37".to_string()));
    }
}
