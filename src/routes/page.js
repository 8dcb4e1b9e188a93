"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  // The same colour as the server's (page.rs): FNV-1a of the hostname.
  const encoder = new TextEncoder();
  const colour = (host) => {
    let h = 0x811c9dc5;
    for (const b of encoder.encode(host)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    return `hsl(${h % 360},60%,${[30, 40, 50][(h >>> 16) % 3]}%)`;
  };
  const STRIP = 50, WINDOW = 200;
  const counts = new Map(), rows = new Map(), latencies = [], cells = [];
  let total = 0, errors = 0, perSecond = 10, timer = null, drawing = false;

  const strip = $("strip");
  for (let i = 0; i < STRIP; i++) cells.push(strip.appendChild(document.createElement("li")));
  const recent = [];

  function percentile(sorted, q) {
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  }

  function row(host) {
    let li = rows.get(host);
    if (li) return li;
    li = document.createElement("li");
    li.dataset.host = host;
    li.dataset.colour = colour(host);
    const sw = li.appendChild(document.createElement("span"));
    sw.className = "sw";
    sw.style.background = li.dataset.colour;
    li.appendChild(document.createElement("span")).textContent = host;
    li.appendChild(document.createElement("span")).className = "count";
    const track = li.appendChild(document.createElement("div"));
    track.className = "track";
    const bar = track.appendChild(document.createElement("div"));
    bar.className = "bar";
    bar.style.background = li.dataset.colour;
    rows.set(host, li);
    const bars = $("bars");
    const after = [...rows.keys()].sort().find((h) => h > host);
    bars.insertBefore(li, after ? rows.get(after) : null);
    return li;
  }

  function draw() {
    drawing = false;
    $("total").textContent = total;
    $("errors").textContent = errors;
    $("replicas").textContent = counts.size;
    const answered = total - errors;
    for (const [host, n] of counts) {
      const li = row(host), share = answered ? (100 * n) / answered : 0;
      li.querySelector(".count").textContent = `${n} (${share.toFixed(1)}%)`;
      li.querySelector(".bar").style.width = `${share}%`;
    }
    recent.forEach((host, i) => {
      const cell = cells[i];
      cell.className = host === null ? "e" : "";
      cell.style.background = host === null ? "" : colour(host);
      cell.title = host === null ? "error" : host;
    });
    if (latencies.length) {
      const sorted = [...latencies].sort((a, b) => a - b);
      $("p50").textContent = percentile(sorted, 0.5).toFixed(1);
      $("p99").textContent = percentile(sorted, 0.99).toFixed(1);
    }
  }

  function record(host, ms) {
    total++;
    if (host === null) errors++;
    else counts.set(host, (counts.get(host) || 0) + 1);
    recent.push(host);
    if (recent.length > STRIP) recent.shift();
    latencies.push(ms);
    if (latencies.length > WINDOW) latencies.shift();
    if (!drawing) {
      drawing = true;
      requestAnimationFrame(draw);
    }
  }

  // An error is any answer but a 200 with a hostname, or no answer at all.
  async function ask() {
    const started = performance.now();
    let host = null;
    try {
      const response = await fetch("/info", { cache: "no-store" });
      const upstream = response.headers.get("X-Upstream");
      if (upstream) $("upstream").textContent = upstream;
      const body = await response.json().catch(() => null);
      if (response.status === 200 && body && typeof body.hostname === "string") host = body.hostname;
    } catch (_) {
      host = null;
    }
    record(host, performance.now() - started);
  }

  function start() {
    clearInterval(timer);
    timer = setInterval(ask, 1000 / perSecond);
  }

  const rate = $("rate"), pause = $("pause");
  rate.addEventListener("change", () => {
    const value = Number(rate.value);
    const valid = Number.isInteger(value) && value >= 1 && value <= 50;
    rate.setAttribute("aria-invalid", String(!valid));
    if (!valid) return;
    perSecond = value;
    if (pause.getAttribute("aria-pressed") === "false") start();
  });
  pause.addEventListener("click", () => {
    const paused = pause.getAttribute("aria-pressed") === "false";
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume" : "Pause";
    if (paused) clearInterval(timer);
    else start();
  });
  $("live").hidden = false;
  start();
})();
