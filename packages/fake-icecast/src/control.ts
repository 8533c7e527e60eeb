/**
 * The JSON control API under `/control/`, for the demo page and for tests in other processes.
 * CORS is open because the demo page is served from another port.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseFault, type Fault } from './faults.js';
import { BodyTooLargeError, readBody, sendJson } from './http.js';
import { normaliseMountName, parseMountPatch, type MountState } from './mount-state.js';

const MAX_CONTROL_BODY_BYTES = 64 * 1024;

/** What `GET /control/state` returns (and every successful change). */
export interface ControlState {
  mounts: Record<string, MountState>;
  fault: Fault | null;
  statusRequests: number;
  maxConcurrentStatusRequests: number;
}

/** The part of the server the control API drives. */
export interface ControlTarget {
  readonly fault: Fault | null;
  readonly statusRequests: number;
  readonly maxConcurrentStatusRequests: number;
  mounts(): Record<string, MountState>;
  setMount(mount: string, patch: MountState): void;
  removeMount(mount: string): void;
  setFault(fault: Fault | null): void;
  resetStats(): void;
}

const CORS = { 'Access-Control-Allow-Origin': '*' };
const MOUNTS_PREFIX = '/control/mounts/';

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  target: ControlTarget,
): Promise<void> {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      ...CORS,
      'Access-Control-Allow-Methods': 'GET, PUT, DELETE, POST',
      'Access-Control-Allow-Headers': 'content-type',
      'Access-Control-Max-Age': '600',
    });
    res.end();
    return;
  }
  try {
    route(req.method ?? 'GET', pathname, target, await readJsonBody(req));
    sendJson(res, 200, controlState(target), CORS);
  } catch (error) {
    if (!(error instanceof ControlError)) throw error;
    sendJson(res, error.status, { error: error.message }, { ...CORS, ...error.headers });
  }
}

function controlState(target: ControlTarget): ControlState {
  return {
    mounts: target.mounts(),
    fault: target.fault,
    statusRequests: target.statusRequests,
    maxConcurrentStatusRequests: target.maxConcurrentStatusRequests,
  };
}

function route(method: string, pathname: string, target: ControlTarget, body: () => unknown): void {
  if (pathname === '/control/state') {
    allow(method, ['GET']);
  } else if (pathname === '/control/fault') {
    allow(method, ['PUT', 'DELETE']);
    target.setFault(method === 'PUT' ? validated(() => parseFault(body())) : null);
  } else if (pathname === '/control/reset-stats') {
    allow(method, ['POST']);
    target.resetStats();
  } else if (pathname.startsWith(MOUNTS_PREFIX)) {
    allow(method, ['PUT', 'DELETE']);
    const mount = validated(() => normaliseMountName(decodePath(pathname.slice(MOUNTS_PREFIX.length))));
    if (method === 'PUT') {
      target.setMount(mount, validated(() => parseMountPatch(body())));
    } else {
      if (!Object.hasOwn(target.mounts(), mount)) throw new ControlError(404, `no mount ${mount}`);
      target.removeMount(mount);
    }
  } else {
    throw new ControlError(404, `no control endpoint ${pathname}`);
  }
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) {
    throw new ControlError(405, `method ${method} not allowed, use ${methods.join(' or ')}`, {
      Allow: methods.join(', '),
    });
  }
}

/** Turns a validator's TypeError into a 400 answer. */
function validated<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw error instanceof TypeError ? new ControlError(400, error.message) : error;
  }
}

function decodePath(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new ControlError(400, `mount name is not valid percent-encoding: ${encoded}`);
  }
}

/** Reads the whole body up front; parsing waits until a route needs it, so GET ignores its body. */
async function readJsonBody(req: IncomingMessage): Promise<() => unknown> {
  let text: string;
  try {
    text = await readBody(req, MAX_CONTROL_BODY_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new ControlError(413, error.message);
    throw error;
  }
  return () => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ControlError(400, `invalid JSON body: ${(error as Error).message}`);
    }
  };
}
