//! The API against a real server over the sample store.

use std::time::Duration;

use secmaster_core::{Fact, Table, Value};
use secmaster_server::Config;
use secmaster_store::{IngestOptions, Store};
use serde_json::json;

use crate::common::{TOKEN, client, eventually, get, get_accept, read, rows, sample_store, start};

fn loopback() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn day(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

/// The rows of `table` valid on `day`.
fn on(table: Table, d: chrono::NaiveDate) -> Table {
    table.filter(|row| {
        matches!(row[1], Value::Date(s) if s <= d) && !matches!(row[2], Value::Date(e) if e <= d)
    })
}

#[test]
fn a_security_as_of_a_day_and_as_known_at_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample_store(dir.path());
    let server = start(Config::new(&root, loopback()));
    let base = format!("http://{}/api/v1", server.addr());
    let agent = client();
    let store = Store::open(&root).unwrap();

    // Every row, and the one valid on a day, as the store's master after each batch has them.
    for batch in 1..=3 {
        let master = store.master_after(batch).unwrap();
        let got = get(&agent, &format!("{base}/securities/1?as_known_at={batch}"));
        assert_eq!(got.status, 200, "{}", got.text());
        assert_eq!(got.batch, Some(batch));
        assert_eq!(got.etag.as_deref(), Some(&*format!("\"b{batch}\"")));
        assert_eq!(got.json()["rows"], rows(&master.history(1)));
        let got = get(
            &agent,
            &format!("{base}/securities/1?as_of=2024-03-15&as_known_at={batch}"),
        );
        let want = on(master.history(1), day("2024-03-15"));
        assert_eq!(want.num_rows(), 1);
        assert_eq!(got.json()["rows"], rows(&want));
    }
    // The late correction: 100 as known at batch 2, 110 from batch 3 (the current one).
    let cap = |url: &str| get(&agent, url).json()["rows"][0]["market_cap"].clone();
    assert_eq!(
        cap(&format!("{base}/securities/1?as_of=2024-03-15")),
        json!(110)
    );
    assert_eq!(
        cap(&format!(
            "{base}/securities/1?as_of=2024-03-15&as_known_at=2"
        )),
        json!(100)
    );
    assert_eq!(
        cap(&format!(
            "{base}/securities/1?as_of=2024-03-15&as_known_at=1"
        )),
        json!(null)
    );
    // As known at a time: the end of the day of the commits is after all three.
    let today = chrono::Utc::now().date_naive();
    let got = get(&agent, &format!("{base}/securities/1?as_known_at={today}"));
    assert_eq!(got.batch, Some(3));
    // Columns: the keys and those named, in that order.
    let got = get(
        &agent,
        &format!("{base}/securities/2?as_of=2024-06-01&columns=ticker,market_cap"),
    );
    let body = got.json();
    let names: Vec<&str> = body["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "security_id",
            "effective_start_date",
            "effective_end_date",
            "ticker",
            "market_cap"
        ]
    );
    assert_eq!(got.json()["rows"][0]["market_cap"], json!(548000));
    server.stop().unwrap();
}

#[test]
fn history_is_the_lineage_with_batches() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample_store(dir.path());
    let server = start(Config::new(&root, loopback()));
    let base = format!("http://{}/api/v1", server.addr());
    let agent = client();
    let store = Store::open(&root).unwrap();
    for batch in 1..=3 {
        let got = get(
            &agent,
            &format!("{base}/securities/1/history?as_known_at={batch}"),
        );
        assert_eq!(got.batch, Some(batch));
        assert_eq!(
            got.json()["rows"],
            rows(&store.lineage_after(1, batch).unwrap())
        );
    }
    let got = get(&agent, &format!("{base}/securities/1/history"));
    let cells = got.json()["rows"].as_array().unwrap().clone();
    let corrected = cells
        .iter()
        .find(|c| c["attribute"] == "market_cap" && c["effective_start_date"] == "2024-03-01")
        .unwrap();
    assert_eq!(
        (&corrected["value"], &corrected["batch"]),
        (&json!("110"), &json!(3))
    );
    let csv = get_accept(&agent, &format!("{base}/securities/1/history"), "text/csv");
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.text().starts_with(
        "effective_start_date,effective_end_date,attribute,value,value_type,set_on,batch\n"
    ));
    let missing = get(&agent, &format!("{base}/securities/99/history"));
    assert!(missing.error(404).contains("security 99"));
    server.stop().unwrap();
}

#[test]
fn resolve_finds_who_carried_a_value_on_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample_store(dir.path());
    let server = start(Config::new(&root, loopback()));
    let base = format!("http://{}/api/v1", server.addr());
    let agent = client();
    let master = Store::open(&root).unwrap().master().unwrap();
    let ids = |url: &str| -> Vec<i64> {
        let got = get(&agent, url);
        assert_eq!(got.status, 200, "{}", got.text());
        got.json()["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["security_id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(&format!("{base}/resolve?where=ticker=GRPH&on=2024-02-01")),
        [1]
    );
    assert_eq!(
        ids(&format!("{base}/resolve?where=ticker=GRPH&on=2024-04-01")),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&format!("{base}/resolve?where=ticker=LENZ&on=2024-04-01")),
        [1]
    );
    assert_eq!(
        ids(&format!(
            "{base}/resolve?where=market_cap=110&on=2024-03-02"
        )),
        [1]
    );
    assert_eq!(
        ids(&format!(
            "{base}/resolve?where=market_cap=110&on=2024-03-02&as_known_at=2"
        )),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&format!(
            "{base}/resolve?where=market_cap=100&on=2024-03-02&as_known_at=2"
        )),
        [1]
    );
    // The row is the table's row valid that day, whole.
    let got = get(
        &agent,
        &format!("{base}/resolve?where=ticker=V&on=2024-06-01"),
    );
    let want = on(master.history(2), day("2024-06-01"));
    assert_eq!(got.json()["rows"], rows(&want));
    let e = get(
        &agent,
        &format!("{base}/resolve?where=isin=X&on=2024-06-01"),
    )
    .error(400);
    assert!(
        e.contains("no attribute `isin`") && e.contains("ticker"),
        "{e}"
    );
    let e = get(
        &agent,
        &format!("{base}/resolve?where=market_cap=big&on=2024-06-01"),
    )
    .error(400);
    assert!(e.contains("not a value of `market_cap`"), "{e}");
    let e = get(&agent, &format!("{base}/resolve?where=ticker=V")).error(400);
    assert!(e.contains("on: missing"), "{e}");
    server.stop().unwrap();
}

#[test]
fn a_snapshot_in_json_csv_and_arrow() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample_store(dir.path());
    let server = start(Config::new(&root, loopback()));
    let base = format!("http://{}/api/v1", server.addr());
    let agent = client();
    let master = Store::open(&root).unwrap().master().unwrap();
    let want = master.as_of(day("2024-06-01"));
    let url = format!("{base}/snapshot?as_of=2024-06-01");

    assert_eq!(get(&agent, &url).json()["rows"], rows(&want));
    let csv = get_accept(&agent, &url, "text/csv");
    let mut text = Vec::new();
    secmaster_io::csv::to_writer(&mut text, &want).unwrap();
    assert_eq!(csv.body, text);
    let arrow = get_accept(&agent, &url, "application/vnd.apache.arrow.stream");
    assert_eq!(arrow.content_type, "application/vnd.apache.arrow.stream");
    assert_eq!(arrow.batch, Some(3));
    let reader =
        arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(arrow.body), None).unwrap();
    let batches: Vec<_> = reader.map(Result::unwrap).collect();
    assert_eq!(batches.len(), 1);
    assert_eq!(
        secmaster_io::arrow::from_record_batch(&batches[0]).unwrap(),
        want
    );
    // format= wins over Accept; Parquet reads back as the same table.
    let parquet = get_accept(&agent, &format!("{url}&format=parquet"), "text/csv");
    let file = dir.path().join("got.parquet");
    std::fs::write(&file, &parquet.body).unwrap();
    assert_eq!(secmaster_io::parquet::read(&file).unwrap(), want);
    // An asset class, some columns.
    let got = get(
        &agent,
        &format!("{url}&asset_class=fixed_income&columns=ticker"),
    );
    let want = want
        .where_asset_class(Some("fixed_income"))
        .select(&["ticker"])
        .unwrap();
    assert_eq!(got.json()["rows"], rows(&want));
    // As known at batch 1, from the log.
    let got = get(
        &agent,
        &format!("{base}/snapshot?as_of=2024-03-15&as_known_at=1"),
    );
    assert_eq!(got.batch, Some(1));
    let before = Store::open(&root).unwrap().master_after(1).unwrap();
    assert_eq!(got.json()["rows"], rows(&before.as_of(day("2024-03-15"))));
    server.stop().unwrap();
}

#[test]
fn bad_requests_get_a_json_error_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample_store(dir.path());
    let server = start(Config::new(&root, loopback()).with_max_json_rows(2));
    let base = format!("http://{}/api/v1", server.addr());
    let agent = client();
    let e = |url: &str, status| get(&agent, &format!("{base}{url}")).error(status);
    assert!(e("/securities/abc", 400).contains("`abc` is not a security id"));
    assert!(e("/securities/1?as_of=2024-13-01", 400).contains("as_of: `2024-13-01` is not a date"));
    assert!(e("/securities/1?color=red", 400).contains("unknown parameter `color`"));
    assert!(e("/securities/1?as_known_at=soon", 400).contains("as_known_at: `soon`"));
    assert!(e("/securities/1?as_known_at=0", 400).contains("before the first batch"));
    assert!(e("/securities/1?as_known_at=2020-01-01", 400).contains("no batch was committed by"));
    assert!(e("/securities/1?as_known_at=7", 404).contains("no batch 7"));
    assert!(e("/securities/42", 404).contains("no security 42"));
    assert!(e("/securities/1?columns=colour", 400).contains("colour"));
    assert!(e("/securities/1?format=xml", 400).contains("format: `xml`"));
    assert!(e("/snapshot", 400).contains("as_of: missing"));
    // More rows than a JSON response holds: 413, unless streamed as CSV.
    assert!(e("/snapshot?as_of=2024-06-01", 413).contains("ask for text/csv"));
    let csv = get(
        &agent,
        &format!("{base}/snapshot?as_of=2024-06-01&format=csv"),
    );
    assert_eq!((csv.status, csv.text().lines().count()), (200, 4));
    let nowhere = get(&agent, &format!("http://{}/nowhere", server.addr()));
    assert!(nowhere.error(404).contains("no such route"));
    server.stop().unwrap();
}

#[test]
fn the_log_health_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample_store(dir.path());
    let server = start(Config::new(&root, loopback()));
    let agent = client();
    let url = |path: &str| format!("http://{}{path}", server.addr());
    let log = get(&agent, &url("/api/v1/batches")).json();
    let store = Store::open(&root).unwrap();
    assert_eq!(log["batch"], json!(3));
    let batches = log["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 3);
    assert_eq!(batches[2]["sources"], json!(["late"]));
    assert_eq!(batches[2]["facts"], json!(1));
    assert_eq!(
        batches[0]["xxh3"],
        json!(store.batches()[0].checksum().xxh3())
    );
    let health = get(&agent, &url("/healthz"));
    assert_eq!(
        (health.json()["status"].clone(), health.batch),
        (json!("ok"), Some(3))
    );
    get(&agent, &url("/api/v1/securities/1"));
    get(&agent, &url("/api/v1/securities/x"));
    let metrics = get(&agent, &url("/metrics"));
    assert!(metrics.content_type.starts_with("text/plain"));
    let text = metrics.text();
    for line in [
        "secmaster_requests_total{route=\"/api/v1/securities/{id}\",status=\"200\"} 1",
        "secmaster_requests_total{route=\"/api/v1/securities/{id}\",status=\"400\"} 1",
        "secmaster_requests_total{route=\"/api/v1/batches\",status=\"200\"} 1",
        "secmaster_batch 3",
        "# TYPE secmaster_request_duration_seconds histogram",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
    let count = text
        .lines()
        .find_map(|l| l.strip_prefix("secmaster_request_duration_seconds_count "))
        .unwrap();
    assert!(count.parse::<u64>().unwrap() >= 4, "{text}");
    let rss = text
        .lines()
        .find_map(|l| l.strip_prefix("secmaster_resident_memory_bytes "))
        .unwrap();
    assert!(rss.parse::<f64>().unwrap() > 0.0);
    server.stop().unwrap();
}

#[test]
fn ingest_over_http_needs_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample_store(dir.path());
    let agent = client();
    let body = "security_id,attribute,value,effective_date\n3,ticker,ACMX,2024-07-01\n";
    let post = |url: &str, token: Option<&str>, kind: &str, body: &str| {
        let mut request = agent.post(url).header("Content-Type", kind);
        if let Some(t) = token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        read(request.send(body).unwrap())
    };
    // Without a token file, writes are off.
    let server = start(Config::new(&root, loopback()));
    let url = format!("http://{}/api/v1/batches", server.addr());
    let e = post(&url, Some(TOKEN), "text/csv", body).error(403);
    assert!(e.contains("writes are disabled"), "{e}");
    server.stop().unwrap();

    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let config = Config::new(&root, loopback())
        .with_token_file(&token_file)
        .unwrap()
        .with_max_body(1024);
    let server = start(config);
    let url = format!("http://{}/api/v1/batches", server.addr());
    assert!(
        post(&url, None, "text/csv", body)
            .error(401)
            .contains("Bearer")
    );
    assert!(
        post(&url, Some("test-token-0123456780"), "text/csv", body)
            .error(403)
            .contains("wrong")
    );
    assert!(
        post(&url, Some("short"), "text/csv", body)
            .error(403)
            .contains("wrong")
    );
    let e = post(&url, Some(TOKEN), "application/xml", body).error(415);
    assert!(e.contains("text/csv"), "{e}");
    let big = format!("{body}{}", "3,ticker,ACMX,2024-07-01\n".repeat(100));
    assert_eq!(post(&url, Some(TOKEN), "text/csv", &big).status, 413);
    let e = post(&url, Some(TOKEN), "text/csv", "security_id,attribute\n1\n").error(422);
    assert!(!e.is_empty());

    // A dry run reports and commits nothing.
    let dry = post(
        &format!("{url}?dry_run=true"),
        Some(TOKEN),
        "text/csv",
        body,
    );
    assert_eq!(dry.status, 200, "{}", dry.text());
    assert_eq!(
        (dry.json()["dry_run"].clone(), dry.json()["batch"].clone()),
        (json!(true), json!(4))
    );
    assert_eq!(Store::open(&root).unwrap().last_batch(), 3);
    // A batch: committed, and served from the response on.
    let done = post(
        &format!("{url}?source=acme.csv"),
        Some(TOKEN),
        "text/csv",
        body,
    );
    assert_eq!(done.status, 201, "{}", done.text());
    assert_eq!(
        (done.json()["batch"].clone(), done.batch),
        (json!(4), Some(4))
    );
    let store = Store::open(&root).unwrap();
    assert_eq!(store.last_batch(), 4);
    assert_eq!(store.batches()[3].sources(), ["acme.csv"]);
    let got = get(
        &agent,
        &format!(
            "http://{}/api/v1/securities/3?as_of=2024-07-02",
            server.addr()
        ),
    );
    assert_eq!(
        (got.batch, got.json()["rows"][0]["ticker"].clone()),
        (Some(4), json!("ACMX"))
    );
    // The same facts again: refused as a likely retry.
    let e = post(&url, Some(TOKEN), "text/csv", body).error(422);
    assert!(e.contains("duplicate") || e.contains("same"), "{e}");
    // JSON Lines too.
    let jsonl = "{\"security_id\": 3, \"attribute\": \"name\", \"value\": \"Acme\", \"effective_date\": \"2024-07-01\"}\n";
    let done = post(&url, Some(TOKEN), "application/x-ndjson", jsonl);
    assert_eq!(done.status, 201, "{}", done.text());
    server.stop().unwrap();
}

#[test]
fn a_commit_by_another_writer_is_picked_up_whole() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample_store(dir.path());
    let server = start(Config::new(&root, loopback()));
    let agent = client();
    let base = format!("http://{}/api/v1", server.addr());
    let d = day("2024-08-01");
    let facts: Vec<Fact> = (1..=3)
        .flat_map(|id| {
            [
                Fact::new(id, "ticker", format!("NEW{id}"), d),
                Fact::new(id, "market_cap", 1000 * id, d),
            ]
        })
        .collect();
    let options = IngestOptions::default();
    Store::lock(&root)
        .unwrap()
        .ingest_facts(facts, "later", &options)
        .unwrap();
    assert!(eventually(Duration::from_secs(10), || {
        get(&agent, &format!("http://{}/healthz", server.addr())).batch == Some(4)
    }));
    let master = Store::open(&root).unwrap().master().unwrap();
    let got = get(&agent, &format!("{base}/snapshot?as_of=2024-08-02"));
    assert_eq!(got.batch, Some(4));
    assert_eq!(got.json()["rows"], rows(&master.as_of(d)));
    // A compaction changes the files, not the batch: still served, history included.
    Store::lock(&root).unwrap().compact().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let got = get(&agent, &format!("{base}/securities/1/history"));
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(
        got.json()["rows"],
        rows(&Store::open(&root).unwrap().lineage(1).unwrap())
    );
    server.stop().unwrap();
}
