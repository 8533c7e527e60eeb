/**
 * The outside view of event-loop stalls for `bench/fanout.ts`, run as its own process: a `GET
 * /healthz` every PROBE_INTERVAL_MS over one keep-alive connection, one at a time. A probe's
 * latency is how long the relay left it unanswered, so the longest one is the longest stall seen
 * from outside. Driven over IPC: it says `ready` after its first answer; `reset` starts a window, `report` answers the window's longest
 * latency and probe count; `stop` exits.
 */
import { Agent, get } from 'node:http';
import { PROBE_INTERVAL_MS, type ProbeCommand, type ProbeEvent } from './fanout-ipc.js';

const url = process.argv[2]!;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
let window = { maxMs: 0, probes: 0, failures: 0 };
let stopped = false;

function probe(): void {
  if (stopped) return;
  const started = now();
  const done = (ok: boolean) => {
    const latency = now() - started;
    window.probes++;
    if (!ok) window.failures++;
    window.maxMs = Math.max(window.maxMs, latency);
    if (ok && window.probes === 1) process.send!({ evt: 'ready' } satisfies ProbeEvent);
    setTimeout(probe, Math.max(0, PROBE_INTERVAL_MS - latency));
  };
  const req = get(url, { agent, timeout: 10_000 }, (res) => {
    res.resume();
    res.once('end', () => done(res.statusCode === 200));
  });
  req.once('timeout', () => req.destroy());
  req.once('error', () => done(false));
}

process.on('message', (command: ProbeCommand) => {
  if (command.cmd === 'reset') window = { maxMs: 0, probes: 0, failures: 0 };
  else if (command.cmd === 'report') process.send!({ evt: 'report', ...window } satisfies ProbeEvent);
  else {
    stopped = true;
    agent.destroy();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
probe();
