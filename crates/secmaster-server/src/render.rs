//! A table as a response: JSON (rows as objects), CSV, an Arrow IPC stream or Parquet,
//! chosen by `format=` or the `Accept` header. CSV and Arrow are streamed as they are
//! written; JSON holds at most the configured number of rows.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secmaster_core::{Table, Value, ValueType};
use serde_json::{Map, json};

use crate::api::ApiError;

pub(crate) const ARROW: &str = "application/vnd.apache.arrow.stream";
pub(crate) const PARQUET: &str = "application/vnd.apache.parquet";

/// A table's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Csv,
    Arrow,
    Parquet,
}

impl Format {
    /// `format=` if given, else the first of the `Accept` header's types this serves.
    pub(crate) fn negotiate(param: Option<&str>, headers: &HeaderMap) -> Result<Format, ApiError> {
        if let Some(p) = param {
            return match p {
                "json" => Ok(Format::Json),
                "csv" => Ok(Format::Csv),
                "arrow" => Ok(Format::Arrow),
                "parquet" => Ok(Format::Parquet),
                other => Err(ApiError::bad(format!(
                    "format: `{other}` is not one of json, csv, arrow, parquet"
                ))),
            };
        }
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        for kind in accept.split(',') {
            match kind.split(';').next().unwrap_or("").trim() {
                "application/json" | "*/*" | "application/*" => return Ok(Format::Json),
                "text/csv" => return Ok(Format::Csv),
                ARROW => return Ok(Format::Arrow),
                PARQUET => return Ok(Format::Parquet),
                _ => {}
            }
        }
        Ok(Format::Json)
    }
}

/// A cell as JSON: numbers and booleans as themselves, dates as `YYYY-MM-DD`.
pub(crate) fn cell(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Str(s) => json!(&**s),
        Value::Date(d) => json!(d.to_string()),
    }
}

/// A table as JSON: `{"batch", "columns": [{"name", "type"}], "rows": [{column: cell}]}`.
pub(crate) fn table_json(table: &Table, batch: u64) -> serde_json::Value {
    let names: Vec<&str> = table.columns().iter().map(|c| c.name()).collect();
    let columns: Vec<serde_json::Value> = table
        .columns()
        .iter()
        .map(|c| json!({"name": c.name(), "type": c.value_type().map_or("null", ValueType::name)}))
        .collect();
    let rows: Vec<serde_json::Value> = table
        .rows()
        .map(|row| {
            let object: Map<String, serde_json::Value> = names
                .iter()
                .zip(row)
                .map(|(n, v)| (n.to_string(), cell(v)))
                .collect();
            serde_json::Value::Object(object)
        })
        .collect();
    json!({"batch": batch, "columns": columns, "rows": rows})
}

/// `table` in `format`, named `name` (without extension) when downloaded.
pub(crate) fn table(
    table: Table,
    format: Format,
    batch: u64,
    max_json_rows: usize,
    name: &str,
) -> Result<Response, ApiError> {
    match format {
        Format::Json => {
            if table.num_rows() > max_json_rows {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the result has {} rows, more than the {max_json_rows} a JSON response \
                         holds: ask for text/csv or {ARROW} (streamed), or narrow it",
                        table.num_rows()
                    ),
                ));
            }
            Ok(axum::Json(table_json(&table, batch)).into_response())
        }
        Format::Csv => Ok(stream("text/csv; charset=utf-8", name, "csv", move |w| {
            secmaster_io::csv::to_writer(w, &table)
        })),
        Format::Arrow => Ok(stream(ARROW, name, "arrows", move |w| {
            let batch = secmaster_io::arrow::to_record_batch(&table);
            let mut writer = arrow_ipc::writer::StreamWriter::try_new(w, &batch.schema())
                .map_err(std::io::Error::other)?;
            writer.write(&batch).map_err(std::io::Error::other)?;
            writer.finish().map_err(std::io::Error::other)
        })),
        Format::Parquet => {
            let dir = tempfile::tempdir().map_err(ApiError::internal)?;
            let path = dir.path().join("table.parquet");
            secmaster_io::parquet::write(&path, &table).map_err(ApiError::internal)?;
            let bytes = std::fs::read(&path).map_err(ApiError::internal)?;
            let mut response = Body::from(bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PARQUET));
            attachment(headers, name, "parquet");
            Ok(response)
        }
    }
}

fn attachment(headers: &mut HeaderMap, name: &str, ext: &str) {
    let value = format!("attachment; filename=\"{name}.{ext}\"");
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
}

/// A body `write` makes on a blocking thread, sent in 64 KiB chunks as they are written.
fn stream(
    content_type: &'static str,
    name: &str,
    ext: &str,
    write: impl FnOnce(&mut Chunks) -> std::io::Result<()> + Send + 'static,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(8);
    tokio::task::spawn_blocking(move || {
        let mut chunks = Chunks {
            tx,
            buf: Vec::with_capacity(CHUNK),
        };
        let done = write(&mut chunks).and_then(|()| chunks.flush());
        if let Err(e) = done {
            // The client sees the body end early (a torn body is an error, not a table).
            let _ = chunks.tx.blocking_send(Err(e));
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    attachment(headers, name, ext);
    response
}

const CHUNK: usize = 64 << 10;

/// A writer that sends what it is given down a channel, a chunk at a time.
pub(crate) struct Chunks {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl Write for Chunks {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}
