//! What the tests share: a sample store, a client, and what a response should hold.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use secmaster_core::{Fact, Table, Value, sample};
use secmaster_server::{Config, Running};
use secmaster_store::{IngestOptions, Store};
use serde_json::{Value as Json, json};

pub(crate) const TOKEN: &str = "test-token-0123456789";

/// The sample trail, its update and the late correction (`samples/late.csv`: security 1's
/// market cap on 2024-03-01 is 110, not 100) as batches 1, 2, 3.
pub(crate) fn sample_store(dir: &Path) -> PathBuf {
    let root = dir.join("sample.store");
    Store::init(&root, &Default::default()).unwrap();
    let mut writer = Store::lock(&root).unwrap();
    let options = IngestOptions::default();
    writer
        .ingest_facts(sample::trail(), "trail", &options)
        .unwrap();
    writer
        .ingest_facts(sample::update(), "update", &options)
        .unwrap();
    let day = "2024-03-01".parse().unwrap();
    let late = vec![Fact::new(1, "market_cap", 110, day)];
    writer.ingest_facts(late, "late", &options).unwrap();
    root
}

pub(crate) fn start(config: Config) -> Running {
    secmaster_server::start(config.with_poll(Duration::from_millis(10))).unwrap()
}

/// A client that returns 4xx and 5xx responses instead of failing on them.
pub(crate) fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// A response: status, batch header, body.
#[derive(Debug)]
pub(crate) struct Got {
    pub(crate) status: u16,
    pub(crate) batch: Option<u64>,
    pub(crate) etag: Option<String>,
    pub(crate) content_type: String,
    pub(crate) body: Vec<u8>,
}

impl Got {
    pub(crate) fn json(&self) -> Json {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    /// The JSON error's message, checking the status.
    pub(crate) fn error(&self, status: u16) -> String {
        assert_eq!(self.status, status, "{}", self.text());
        let body = self.json();
        assert_eq!(body["status"], json!(status));
        body["error"].as_str().unwrap().to_string()
    }
}

pub(crate) fn read(response: ureq::http::Response<ureq::Body>) -> Got {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let status = response.status().as_u16();
    let batch = header("x-secmaster-batch").map(|b| b.parse().unwrap());
    let etag = header("etag");
    let content_type = header("content-type").unwrap_or_default();
    let body = response
        .into_body()
        .into_with_config()
        .limit(1 << 30)
        .read_to_vec()
        .unwrap();
    Got {
        status,
        batch,
        etag,
        content_type,
        body,
    }
}

pub(crate) fn get(agent: &ureq::Agent, url: &str) -> Got {
    read(agent.get(url).call().unwrap())
}

pub(crate) fn get_accept(agent: &ureq::Agent, url: &str, accept: &str) -> Got {
    read(agent.get(url).header("Accept", accept).call().unwrap())
}

/// A cell as the API writes it.
pub(crate) fn cell(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Str(s) => json!(&**s),
        Value::Date(d) => json!(d.to_string()),
    }
}

/// A table's rows as the API's JSON rows.
pub(crate) fn rows(table: &Table) -> Json {
    let names: Vec<&str> = table.columns().iter().map(|c| c.name()).collect();
    Json::Array(
        table
            .rows()
            .map(|row| {
                let object = names
                    .iter()
                    .zip(row)
                    .map(|(n, v)| (n.to_string(), cell(v)))
                    .collect();
                Json::Object(object)
            })
            .collect(),
    )
}

/// Waits (at most `timeout`) until `ready`.
pub(crate) fn eventually(timeout: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + timeout;
    while Instant::now() < until {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    ready()
}
