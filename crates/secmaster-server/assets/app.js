// The page: search a security, then show its periods as a timeline from the API's history
// (per period and attribute: value, the date of the fact that set it, its batch). Plain JS.
"use strict";

const api = "/api/v1";
const $ = (id) => document.getElementById(id);
let batches = [];
let current = null; // { id, knownAt }

function today() {
  return new Date().toISOString().slice(0, 10);
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function text(value) {
  return value === null || value === undefined ? "" : String(value);
}

function cellOf(tag, content, attrs) {
  const cell = document.createElement(tag);
  cell.textContent = content;
  for (const [k, v] of Object.entries(attrs || {})) cell.setAttribute(k, v);
  return cell;
}

async function loadBatches() {
  const log = await getJson(`${api}/batches`);
  batches = log.batches;
  $("status").textContent = `Serving batch ${log.batch} of ${batches.length}`;
  const select = $("known-at");
  const chosen = select.value;
  select.replaceChildren(
    ...batches
      .slice()
      .reverse()
      .map((b) => {
        const option = document.createElement("option");
        option.value = b.batch;
        option.textContent = `batch ${b.batch} — ${b.committed_at} (${b.sources.join(", ")})`;
        return option;
      }),
  );
  select.value = chosen && batches.some((b) => String(b.batch) === chosen) ? chosen : String(log.batch);
}

async function search(event) {
  event.preventDefault();
  const q = $("q").value.trim();
  const on = $("search-on").value || today();
  const message = $("search-message");
  message.className = "";
  try {
    const found = await getJson(`${api}/search?q=${encodeURIComponent(q)}&on=${on}`);
    const body = $("results").tBodies[0];
    body.replaceChildren(
      ...found.results.map((r) => {
        const row = document.createElement("tr");
        const id = cellOf("td", "");
        const link = cellOf("a", text(r.security_id), {
          href: `#security=${r.security_id}`,
          class: "open-security",
          "data-id": r.security_id,
        });
        id.append(link);
        row.append(id, cellOf("td", text(r.ticker)), cellOf("td", text(r.name)), cellOf("td", text(r.asset_class)));
        return row;
      }),
    );
    $("results").hidden = found.results.length === 0;
    message.textContent = `${found.results.length} found on ${found.on} (batch ${found.batch}).`;
  } catch (e) {
    message.className = "error";
    message.textContent = e.message;
  }
}

// The periods of a lineage: [{start, end, cells: {attribute: {value, set_on, batch}}}].
function periods(lineage) {
  const out = [];
  const attributes = [];
  for (const row of lineage.rows) {
    let last = out[out.length - 1];
    if (!last || last.start !== row.effective_start_date) {
      last = { start: row.effective_start_date, end: row.effective_end_date, cells: {} };
      out.push(last);
    }
    last.cells[row.attribute] = row;
    if (!attributes.includes(row.attribute)) attributes.push(row.attribute);
  }
  return { periods: out, attributes };
}

async function openSecurity(id) {
  const knownAt = $("known-at").value;
  const section = $("security");
  section.hidden = false;
  current = { id, knownAt };
  const detail = $("cell-detail");
  detail.className = "";
  detail.textContent = "";
  let lineage;
  try {
    lineage = await getJson(`${api}/securities/${id}/history?as_known_at=${knownAt}`);
  } catch (e) {
    $("security-title").textContent = `Security ${id}`;
    $("timeline").tHead.replaceChildren();
    $("timeline").tBodies[0].replaceChildren();
    detail.className = "error";
    detail.textContent = e.message;
    return;
  }
  const { periods: list, attributes } = periods(lineage);
  const last = list[list.length - 1];
  const name = last && last.cells.ticker ? ` — ${last.cells.ticker.value}` : "";
  $("security-title").textContent = `Security ${id}${name}`;
  $("timeline-caption").textContent = `Periods of security ${id} as known at batch ${lineage.batch}`;
  const head = document.createElement("tr");
  head.append(cellOf("th", "From", { scope: "col" }), cellOf("th", "Until", { scope: "col" }));
  for (const a of attributes) head.append(cellOf("th", a, { scope: "col" }));
  $("timeline").tHead.replaceChildren(head);
  const asOf = $("as-of").value;
  const rows = list.map((p, i) => {
    const row = document.createElement("tr");
    row.dataset.start = p.start;
    const valid = asOf && p.start <= asOf && (p.end === null || asOf < p.end);
    if (valid) {
      row.className = "current";
      row.setAttribute("aria-current", "true");
    }
    row.append(cellOf("th", p.start, { scope: "row" }), cellOf("td", text(p.end)));
    const before = i > 0 ? list[i - 1].cells : {};
    for (const a of attributes) {
      const cell = p.cells[a];
      const value = cell ? text(cell.value) : "";
      const was = before[a] ? text(before[a].value) : "";
      const td = cellOf("td", value, { "data-attribute": a, "data-start": p.start });
      if (cell) {
        const why = `${a} = ${value || "null"}: set by batch ${cell.batch}, from the fact effective ${cell.set_on}`;
        td.title = why;
        td.dataset.batch = cell.batch;
        td.tabIndex = 0;
        td.setAttribute("aria-label", `${value || "null"} (${why})`);
        const show = () => {
          detail.textContent = `${p.start}: ${why}.`;
        };
        td.addEventListener("click", show);
        td.addEventListener("focus", show);
      }
      if (i > 0 && value !== was) td.classList.add("changed");
      row.append(td);
    }
    return row;
  });
  $("timeline").tBodies[0].replaceChildren(...rows);
  const view = `${api}/securities/${id}?as_known_at=${knownAt}`;
  $("download-csv").href = `${view}&format=csv`;
  $("download-parquet").href = `${view}&format=parquet`;
}

function route() {
  const match = /security=(-?\d+)/.exec(location.hash);
  if (match) openSecurity(match[1]);
}

document.addEventListener("DOMContentLoaded", async () => {
  $("search-on").value = today();
  $("as-of").value = today();
  $("search").addEventListener("submit", search);
  $("known-at").addEventListener("change", () => current && openSecurity(current.id));
  $("as-of").addEventListener("change", () => current && openSecurity(current.id));
  window.addEventListener("hashchange", route);
  try {
    await loadBatches();
  } catch (e) {
    $("status").textContent = e.message;
  }
  route();
  document.body.dataset.ready = "true";
  // A new commit: the batch list (the view stays as known at the batch chosen).
  setInterval(() => loadBatches().catch(() => {}), 5000);
});
