/**
 * A load generator for `bench/fanout.ts`, run as a child process (one process holds at most
 * CLIENTS_PER_PROCESS sockets: the open-file limit is per process). Driven over IPC (it says `ready`
 * once started):
 * - `connect`: open `count` more WebSocket clients to `url` (at most `concurrency` handshakes at once);
 *   a client counts once its first message (the snapshot) arrived. Answers `connected`.
 * - `expect`: from now on, note when each client first receives a frame containing `marker`; answers
 *   `armed` at once and `arrived` (earliest and latest arrival, count, frame size) when every open
 *   client has it, or when `timeoutMs` passed.
 * - `close`: terminate every client and exit.
 * Times are CLOCK_MONOTONIC milliseconds (process.hrtime), comparable across processes.
 */
import { WebSocket } from 'ws';
import { CLIENTS_PER_PROCESS, type GeneratorCommand, type GeneratorEvent } from './fanout-ipc.js';

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const send = (event: GeneratorEvent): void => void process.send!(event);

const sockets: WebSocket[] = [];
/** Per client: 0 = no snapshot yet, 1 = ready, 2 = closed. */
const status = new Uint8Array(CLIENTS_PER_PROCESS);
/** Per client: has the current marker arrived. */
const seen = new Uint8Array(CLIENTS_PER_PROCESS);
/** Clients ready and open; clients that saw the current marker and closed since. */
let openCount = 0;
let closedAfterSeeing = 0;
let watch: { marker: Buffer; arrived: number; first: number; last: number; frameBytes: number; timer: NodeJS.Timeout } | undefined;

/** Open `count` more clients (a process may be asked several times, up to CLIENTS_PER_PROCESS in all). */
function openClients(url: string, count: number, concurrency: number, timeoutMs: number): void {
  count = Math.min(count, CLIENTS_PER_PROCESS - sockets.length);
  const base = sockets.length;
  let started = 0;
  let settled = 0;
  let open = 0;
  let failed = 0;
  let lastError: string | undefined;
  const deadline = setTimeout(() => finish('timeout'), timeoutMs);
  const finish = (error?: string) => {
    clearTimeout(deadline);
    send({ evt: 'connected', open, failed, ...(error ?? lastError ? { error: error ?? lastError } : {}) });
  };
  if (count === 0) return finish();
  const next = (): void => {
    if (started >= count) return;
    const index = base + started++;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    sockets.push(ws);
    const settle = (ok: boolean) => {
      if (status[index] !== 0) return;
      status[index] = ok ? 1 : 2;
      if (ok) (open++, openCount++);
      else failed++;
      if (++settled === count) finish();
      else next();
    };
    ws.on('message', (data: Buffer) => {
      if (status[index] === 0) return settle(true);
      onFrame(index, data);
    });
    ws.on('error', (error) => (lastError = error.message));
    ws.on('close', () => {
      if (status[index] === 0) return settle(false);
      if (status[index] === 1) {
        openCount--;
        if (seen[index]) closedAfterSeeing++;
      }
      status[index] = 2;
      checkDone();
    });
  };
  for (let i = 0; i < Math.min(concurrency, count); i++) next();
}

function onFrame(index: number, data: Buffer): void {
  if (!watch || seen[index] || data.indexOf(watch.marker) < 0) return;
  seen[index] = 1;
  const t = now();
  watch.first = Math.min(watch.first, t);
  watch.last = Math.max(watch.last, t);
  watch.frameBytes = data.length;
  watch.arrived++;
  checkDone();
}

const expected = (): number => openCount + closedAfterSeeing;

function checkDone(timedOut = false): void {
  if (!watch) return;
  const total = expected();
  if (!timedOut && watch.arrived < total) return;
  const { arrived, first, last, frameBytes, timer } = watch;
  clearTimeout(timer);
  watch = undefined;
  send({ evt: 'arrived', count: arrived, expected: total, first, last, frameBytes, timedOut });
}

process.on('message', (command: GeneratorCommand) => {
  if (command.cmd === 'connect') openClients(command.url, command.count, command.concurrency, command.timeoutMs);
  else if (command.cmd === 'expect') {
    seen.fill(0);
    closedAfterSeeing = 0;
    const timer = setTimeout(() => checkDone(true), command.timeoutMs);
    watch = { marker: Buffer.from(command.marker), arrived: 0, first: Infinity, last: 0, frameBytes: 0, timer };
    send({ evt: 'armed' });
  } else if (command.cmd === 'close') {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
// The parent going away ends us too (no orphaned sockets).
process.on('disconnect', () => process.exit(0));
send({ evt: 'ready' });
