/**
 * Watches a relay process during an attack: its RSS every `rssEveryMs` (from /proc) and `/healthz`
 * latency, one request at a time on a fresh connection, started every `probeEveryMs`.
 * It runs in its own thread so a busy test thread (flood senders, the in-process fake Icecast) does
 * not show up as relay latency. Plain JavaScript: worker threads load files natively, without vitest.
 *
 * workerData: { pid, healthUrl, probeEveryMs, probeTimeoutMs, rssEveryMs }
 * Post 'stop' to it; it answers with one report (see MonitorReport in harness.ts) and exits.
 */
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { pid, healthUrl, probeEveryMs, probeTimeoutMs, rssEveryMs } = workerData;
/** Only the first few failures are kept, with their text; the rest are counted. */
const KEPT_FAILURES = 10;
/** Latencies kept for percentiles: 40 s of probes at 25 ms, more than any attack lasts. */
const KEPT_LATENCIES = 1600;

const report = {
  probes: 0,
  latencies: [],
  maxLatencyMs: 0,
  failureCount: 0,
  failures: [],
  rssSamples: 0,
  maxRssMb: 0,
  lastRssMb: 0,
};
let stopped = false;
/** Start time of the probe in flight, so a probe that never answers still counts at stop. */
let inFlightSince;

function rssMb() {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m);
    return line ? Number(line[1]) / 1024 : undefined;
  } catch {
    return undefined; // the process is gone: the probes will say so
  }
}

function sampleRss() {
  const mb = rssMb();
  if (mb === undefined) return;
  report.rssSamples++;
  report.lastRssMb = mb;
  report.maxRssMb = Math.max(report.maxRssMb, mb);
}

function fail(text) {
  report.failureCount++;
  if (report.failures.length < KEPT_FAILURES) report.failures.push(text);
}

/** One GET /healthz on its own connection: resolves when the whole body is in, or on failure. */
function probe() {
  return new Promise((resolve) => {
    const started = performance.now();
    inFlightSince = started;
    let settled = false;
    const done = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      inFlightSince = undefined;
      const ms = performance.now() - started;
      report.probes++;
      if (report.latencies.length < KEPT_LATENCIES) report.latencies.push(Math.round(ms * 10) / 10);
      report.maxLatencyMs = Math.max(report.maxLatencyMs, ms);
      if (error) fail(`${Math.round(ms)} ms: ${error}`);
      resolve();
    };
    const req = get(healthUrl, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return done(`HTTP ${res.statusCode}`);
        try {
          JSON.parse(body);
          done();
        } catch {
          done('body is not JSON');
        }
      });
      res.on('error', (error) => done(error.message));
    });
    req.on('error', (error) => done(error.code ?? error.message));
    const deadline = setTimeout(() => {
      done(`no answer within ${probeTimeoutMs} ms`);
      req.destroy();
    }, probeTimeoutMs);
  });
}

async function probeLoop() {
  while (!stopped) {
    const started = performance.now();
    await probe();
    const wait = probeEveryMs - (performance.now() - started);
    if (wait > 0 && !stopped) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

sampleRss();
const rssTimer = setInterval(sampleRss, rssEveryMs);
void probeLoop();

parentPort.on('message', (message) => {
  if (message !== 'stop' || stopped) return;
  stopped = true;
  clearInterval(rssTimer);
  sampleRss();
  // A probe still waiting is a latency at least this long: a frozen relay must not look fast.
  if (inFlightSince !== undefined) report.maxLatencyMs = Math.max(report.maxLatencyMs, performance.now() - inFlightSince);
  parentPort.postMessage(report); // the harness terminates this thread once it has the report
});
