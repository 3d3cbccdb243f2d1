//! The routes: the API under `/api/v1`, `/healthz`, `/metrics`, and the page's files. Every
//! handler takes the current snapshot once and answers from it (or from the store as known
//! at an earlier batch), naming the batch in `X-Secmaster-Batch` and the ETag.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use secmaster_core::{KEY_COLUMNS, SecurityMaster, Table, Value};
use secmaster_store::{IngestOptions, KnownAt, Store};
use serde_json::json;

use crate::Config;
use crate::render::{self, Format};
use crate::snapshot::{App, Snapshot};

type Params = Query<HashMap<String, String>>;

pub(crate) fn router(app: Arc<App>, config: &Config) -> Router {
    let api = Router::new()
        .route("/securities/{id}", get(security))
        .route("/securities/{id}/history", get(history))
        .route("/resolve", get(resolve))
        .route("/search", get(search))
        .route("/snapshot", get(snapshot))
        .route("/batches", get(batches).post(ingest));
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(crate::page::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(config.max_body))
        .layer(middleware::from_fn_with_state(app.clone(), count))
        .with_state(app)
}

/// Counts every request by route and status, and times it.
async fn count(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_string();
    let response = next.run(request).await;
    app.metrics
        .request(&route, response.status().as_u16(), started.elapsed());
    response
}

/// A request refused or failed: its status, and a JSON body naming the problem.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn internal(e: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }

    fn store(e: secmaster_store::Error) -> ApiError {
        use secmaster_store::Error as E;
        match e {
            E::NoSuchBatch { .. } => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
            E::Locked { .. } | E::LockTimeout { .. } | E::Claimed { .. } | E::Conflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, e.to_string())
            }
            E::Duplicate { .. } | E::Io(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            _ => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("{e:#}")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.message, "status": self.status.as_u16()});
        (self.status, axum::Json(body)).into_response()
    }
}

type Answer = Result<Response, ApiError>;

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such route: see /api/v1 in the README",
    )
}

/// `response` named as read from batch `batch`.
fn stamped(mut response: Response, batch: u64) -> Response {
    let headers = response.headers_mut();
    headers.insert("x-secmaster-batch", HeaderValue::from(batch));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"b{batch}\"")) {
        headers.insert(header::ETAG, etag);
    }
    response
}

/// The query's parameters, refusing any but `allowed`.
fn check(params: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    match params.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(ApiError::bad(format!(
            "unknown parameter `{k}`: this route takes {}",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

fn date(params: &HashMap<String, String>, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    params
        .get(name)
        .map(|s| {
            s.parse()
                .map_err(|_| ApiError::bad(format!("{name}: `{s}` is not a date (YYYY-MM-DD)")))
        })
        .transpose()
}

/// The batch `as_known_at` names, or the snapshot's.
fn known_at(snap: &Snapshot, params: &HashMap<String, String>) -> Result<u64, ApiError> {
    let Some(text) = params.get("as_known_at") else {
        return Ok(snap.batch());
    };
    let at: KnownAt = text
        .parse()
        .map_err(|e: String| ApiError::bad(format!("as_known_at: {e}")))?;
    snap.store.batch_known_at(at).map_err(|e| {
        let status = match at {
            KnownAt::Batch(n) if n > snap.batch() => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, format!("as_known_at: {e}"))
    })
}

/// `columns=a,b`: the key columns and these.
fn columns(table: Table, params: &HashMap<String, String>) -> Result<Table, ApiError> {
    let Some(list) = params.get("columns") else {
        return Ok(table);
    };
    let names: Vec<&str> = list.split(',').filter(|s| !s.is_empty()).collect();
    table.select(&names).map_err(|e| {
        let known: Vec<&str> = table.columns().iter().map(|c| c.name()).collect();
        ApiError::bad(format!("columns: {e}; the table has {}", known.join(", ")))
    })
}

fn security_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::bad(format!("`{id}` is not a security id (an integer)")))
}

/// Runs blocking work (a read of the store) off the runtime's workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)?
}

/// The master as known at `batch`: the snapshot's, or read from the log.
async fn master_at(
    app: &Arc<App>,
    snap: &Arc<Snapshot>,
    batch: u64,
) -> Result<Arc<SecurityMaster>, ApiError> {
    if batch == snap.batch() {
        return Ok(snap.master.clone());
    }
    let app = app.clone();
    blocking(move || app.master_after(batch).map_err(ApiError::store)).await
}

/// `GET /api/v1/securities/{id}?as_of=&as_known_at=&columns=&format=`.
async fn security(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Answer {
    check(&params, &["as_of", "as_known_at", "columns", "format"])?;
    let id = security_id(&id)?;
    let as_of = date(&params, "as_of")?;
    let format = Format::negotiate(params.get("format").map(String::as_str), &headers)?;
    let snap = app.current();
    let batch = known_at(&snap, &params)?;
    // As known at an earlier batch: that batch's master, with that batch's columns.
    let rows = master_at(&app, &snap, batch).await?.history(id);
    if rows.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no security {id} as known at batch {batch}"),
        ));
    }
    let rows = match as_of {
        Some(day) => rows.filter(|row| valid_on(row, day)),
        None => rows,
    };
    let rows = columns(rows, &params)?;
    let name = format!("security-{id}-batch-{batch}");
    Ok(stamped(
        render::table(rows, format, batch, app.max_json_rows, &name)?,
        batch,
    ))
}

/// Whether a table row's period holds `day`.
fn valid_on(row: &[Value], day: NaiveDate) -> bool {
    let starts = matches!(row[1], Value::Date(s) if s <= day);
    let open = match row[2] {
        Value::Date(end) => day < end,
        _ => true,
    };
    starts && open
}

/// `GET /api/v1/securities/{id}/history?as_known_at=&format=`: per period and attribute,
/// the value, the date of the fact that set it and its batch (as `secmaster history`).
async fn history(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Answer {
    check(&params, &["as_known_at", "format"])?;
    let id = security_id(&id)?;
    let format = Format::negotiate(params.get("format").map(String::as_str), &headers)?;
    let snap = app.current();
    let batch = known_at(&snap, &params)?;
    let root = app.root.clone();
    let store = snap.store.clone();
    let lineage = blocking(move || {
        // A file of this snapshot's may be gone if a compaction committed since: then the
        // store as it is now, which still holds every batch.
        match store.lineage_after(id, batch) {
            Err(secmaster_store::Error::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Store::read(&root, |s| s.lineage_after(id, batch))
            }
            done => done,
        }
        .map_err(ApiError::store)
    })
    .await?;
    if lineage.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no facts about security {id} as known at batch {batch}"),
        ));
    }
    let name = format!("history-{id}-batch-{batch}");
    Ok(stamped(
        render::table(lineage, format, batch, app.max_json_rows, &name)?,
        batch,
    ))
}

/// `GET /api/v1/resolve?where=ticker=GRPH&on=DATE&as_known_at=&columns=&format=`: the rows
/// valid on `on` whose attribute holds the value.
async fn resolve(State(app): State<Arc<App>>, Query(params): Params, headers: HeaderMap) -> Answer {
    check(
        &params,
        &["where", "on", "as_known_at", "columns", "format"],
    )?;
    let filter = params
        .get("where")
        .ok_or_else(|| ApiError::bad("where: missing (e.g. where=ticker=GRPH)"))?;
    let (attribute, text) = filter
        .split_once('=')
        .ok_or_else(|| ApiError::bad(format!("where: `{filter}` is not ATTRIBUTE=VALUE")))?;
    let on = date(&params, "on")?.ok_or_else(|| ApiError::bad("on: missing (a date)"))?;
    let format = Format::negotiate(params.get("format").map(String::as_str), &headers)?;
    let snap = app.current();
    let batch = known_at(&snap, &params)?;
    let master = master_at(&app, &snap, batch).await?;
    let all = master.columns();
    let Some(column) = all.iter().position(|c| c.name() == attribute) else {
        let names: Vec<&str> = all[KEY_COLUMNS.len()..].iter().map(|c| c.name()).collect();
        return Err(ApiError::bad(format!(
            "where: the store has no attribute `{attribute}`; it has: {}",
            names.join(", ")
        )));
    };
    let ty = all[column].value_type();
    let wanted = ty.and_then(|ty| Value::parse_as(text, ty)).ok_or_else(|| {
        ApiError::bad(format!(
            "where: `{text}` is not a value of `{attribute}`, a {} column",
            ty.map_or("null", secmaster_core::ValueType::name)
        ))
    })?;
    let found = if batch == snap.batch() {
        let index = if column < KEY_COLUMNS.len() {
            None
        } else {
            let attribute = column - KEY_COLUMNS.len();
            match snap.built_index(attribute) {
                Some(index) => Some(index),
                // Built once per snapshot and attribute, off the workers.
                None => {
                    let snap = snap.clone();
                    Some(blocking(move || Ok(snap.index(attribute))).await?)
                }
            }
        };
        match index {
            Some(index) => {
                let mut rows = Vec::new();
                for &(id, start, end) in index.get(&wanted).into_iter().flatten() {
                    if start <= on && end.is_none_or(|e| on < e) {
                        let history = master.history(id);
                        rows.extend(
                            history
                                .rows()
                                .filter(|r| r[1] == Value::Date(start))
                                .map(<[Value]>::to_vec),
                        );
                    }
                }
                rows.sort_by(|a, b| a[0].cmp(&b[0]));
                Table::new(all, KEY_COLUMNS.len(), rows).map_err(ApiError::internal)?
            }
            None => master.as_of(on).filter(|row| row[column] == wanted),
        }
    } else {
        master.as_of(on).filter(|row| row[column] == wanted)
    };
    let found = columns(found, &params)?;
    Ok(stamped(
        render::table(found, format, batch, app.max_json_rows, "resolve")?,
        batch,
    ))
}

/// `GET /api/v1/search?q=&on=&as_known_at=`: the page's search — a security id, a ticker
/// (exactly, any case), or a part of a name (any case), among the rows valid on `on`
/// (today if not given); at most 50.
async fn search(State(app): State<Arc<App>>, Query(params): Params) -> Answer {
    check(&params, &["q", "on", "as_known_at"])?;
    let q = params.get("q").map_or("", |q| q.trim());
    if q.is_empty() {
        return Err(ApiError::bad(
            "q: missing (an id, a ticker or part of a name)",
        ));
    }
    let on = date(&params, "on")?.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let snap = app.current();
    let batch = known_at(&snap, &params)?;
    let master = master_at(&app, &snap, batch).await?;
    let q = q.to_string();
    let found = blocking(move || {
        let table = master.as_of(on);
        let at = |name: &str| table.column_index(name);
        let (ticker, name) = (at("ticker"), at("name"));
        let id: Option<i64> = q.parse().ok();
        let (upper, lower) = (q.to_uppercase(), q.to_lowercase());
        let text =
            |i: Option<usize>, row: &[Value]| i.and_then(|i| row[i].as_str().map(str::to_string));
        let mut hits: Vec<(u8, serde_json::Value)> = Vec::new();
        for row in table.rows() {
            let (t, n) = (text(ticker, row), text(name, row));
            let rank = if id.is_some() && row[0] == Value::Int(id.unwrap_or(0)) {
                0
            } else if t.as_deref().is_some_and(|t| t.to_uppercase() == upper) {
                1
            } else if n
                .as_deref()
                .is_some_and(|n| n.to_lowercase().contains(&lower))
            {
                2
            } else {
                continue;
            };
            let class = text(at("asset_class"), row);
            hits.push((
                rank,
                json!({"security_id": render::cell(&row[0]), "ticker": t, "name": n,
                       "asset_class": class, "effective_start_date": render::cell(&row[1])}),
            ));
        }
        hits.sort_by_key(|(rank, hit)| (*rank, hit["security_id"].as_i64()));
        hits.truncate(50);
        Ok(hits.into_iter().map(|(_, h)| h).collect::<Vec<_>>())
    })
    .await?;
    let body = json!({"batch": batch, "on": on.to_string(), "results": found});
    Ok(stamped(axum::Json(body).into_response(), batch))
}

/// `GET /api/v1/snapshot?as_of=DATE&asset_class=&columns=&as_known_at=&format=`: the table
/// valid on a day (CSV and Arrow streamed).
async fn snapshot(
    State(app): State<Arc<App>>,
    Query(params): Params,
    headers: HeaderMap,
) -> Answer {
    check(
        &params,
        &["as_of", "asset_class", "columns", "as_known_at", "format"],
    )?;
    let day = date(&params, "as_of")?.ok_or_else(|| ApiError::bad("as_of: missing (a date)"))?;
    let format = Format::negotiate(params.get("format").map(String::as_str), &headers)?;
    let snap = app.current();
    let batch = known_at(&snap, &params)?;
    let master = master_at(&app, &snap, batch).await?;
    let class = params.get("asset_class").cloned();
    let table = blocking(move || {
        let table = master.as_of(day);
        Ok(match class.as_deref() {
            None => table,
            Some("") | Some("null") => table.where_asset_class(None),
            Some(c) => table.where_asset_class(Some(c)),
        })
    })
    .await?;
    let table = columns(table, &params)?;
    let name = format!("snapshot-{day}-batch-{batch}");
    Ok(stamped(
        render::table(table, format, batch, app.max_json_rows, &name)?,
        batch,
    ))
}

/// `GET /api/v1/batches`: the log, oldest first.
async fn batches(State(app): State<Arc<App>>) -> Answer {
    let snap = app.current();
    let log: Vec<serde_json::Value> = snap
        .store
        .batches()
        .iter()
        .map(|b| {
            json!({
                "batch": b.number(),
                "committed_at": b.committed_at().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                "facts": b.facts(),
                "sources": b.sources(),
                "log": b.path(),
                "xxh3": b.checksum().xxh3(),
            })
        })
        .collect();
    let body = json!({"batch": snap.batch(), "batches": log});
    Ok(stamped(axum::Json(body).into_response(), snap.batch()))
}

/// Whether `given` equals `token`, in time that depends only on their lengths.
fn same_token(given: &[u8], token: &[u8]) -> bool {
    let mut diff = u8::from(given.len() != token.len());
    for (i, t) in token.iter().enumerate() {
        diff |= t ^ given.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

/// `POST /api/v1/batches?dry_run=&source=`: ingests the body (CSV, JSON Lines or Parquet, by
/// `Content-Type`) as one batch, with `Authorization: Bearer TOKEN`.
async fn ingest(
    State(app): State<Arc<App>>,
    Query(params): Params,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let Some(token) = &app.token else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "writes are disabled: the server was started without --token-file",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing `Authorization: Bearer TOKEN` (the token in the server's --token-file)",
            )
        })?;
    if !same_token(given.trim().as_bytes(), token) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "the bearer token is wrong",
        ));
    }
    check(&params, &["dry_run", "source"])?;
    let dry_run = match params.get("dry_run").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad(format!(
                "dry_run: `{other}` is not true or false"
            )));
        }
    };
    let body = body.map_err(|e| ApiError::new(e.status(), e.body_text()))?;
    if body.is_empty() {
        return Err(ApiError::bad("the body is empty: send the batch's facts"));
    }
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim();
    let ext = match kind {
        "text/csv" => "csv",
        "application/jsonl" | "application/x-ndjson" | "application/json-lines" => "jsonl",
        render::PARQUET | "application/x-parquet" => "parquet",
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "Content-Type `{other}`: send text/csv, application/x-ndjson or {}",
                    render::PARQUET
                ),
            ));
        }
    };
    let source = params
        .get("source")
        .map(|s| s.replace(['/', '\\'], "_"))
        .filter(|s| !s.is_empty() && !s.starts_with('.'))
        .unwrap_or_else(|| format!("http-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")));
    let name = if source.ends_with(&format!(".{ext}")) {
        source
    } else {
        format!("{source}.{ext}")
    };
    let worker = app.clone();
    let report = blocking(move || {
        let dir = tempfile::tempdir().map_err(ApiError::internal)?;
        let path = dir.path().join(format!("body.{ext}"));
        std::fs::write(&path, &body).map_err(ApiError::internal)?;
        let options = IngestOptions::default().with_dry_run(dry_run);
        let report = Store::lock(&worker.root)
            .and_then(|mut w| w.ingest_as(&[path], vec![name], &options))
            .map_err(ApiError::store)?;
        if !dry_run {
            // Serve the batch from this response on, without waiting for the watcher.
            worker.refresh().map_err(ApiError::store)?;
        }
        Ok(report)
    })
    .await?;
    let status = if dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let batch = app.current().batch();
    Ok(stamped((status, axum::Json(report)).into_response(), batch))
}

/// `GET /healthz`: the batch served.
async fn healthz(State(app): State<Arc<App>>) -> Response {
    let batch = app.current().batch();
    stamped(
        axum::Json(json!({"status": "ok", "batch": batch})).into_response(),
        batch,
    )
}

/// `GET /metrics`: Prometheus text.
async fn metrics(State(app): State<Arc<App>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::same_token;

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token(b"0123456789abcdef", b"0123456789abcdef"));
        assert!(!same_token(b"0123456789abcdeX", b"0123456789abcdef"));
        assert!(!same_token(b"0123456789abcde", b"0123456789abcdef"));
        assert!(!same_token(b"0123456789abcdef0", b"0123456789abcdef"));
        assert!(!same_token(b"", b"0123456789abcdef"));
    }
}
