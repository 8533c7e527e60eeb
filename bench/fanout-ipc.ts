/** What `bench/fanout.ts` and its child processes (fanout-clients.ts, fanout-probe.ts) say to each other over IPC. */

export const CLIENTS_PER_PROCESS = 5000;

export type GeneratorCommand =
  | { cmd: 'connect'; url: string; count: number; concurrency: number; timeoutMs: number }
  | { cmd: 'expect'; marker: string; timeoutMs: number }
  | { cmd: 'close' };

export type GeneratorEvent =
  | { evt: 'ready' }
  | { evt: 'connected'; open: number; failed: number; error?: string }
  | { evt: 'armed' }
  | { evt: 'arrived'; count: number; expected: number; first: number; last: number; frameBytes: number; timedOut: boolean };

export const PROBE_INTERVAL_MS = 10;

export type ProbeCommand = { cmd: 'reset' } | { cmd: 'report' } | { cmd: 'stop' };
export type ProbeEvent = { evt: 'ready' } | { evt: 'report'; maxMs: number; probes: number; failures: number };
