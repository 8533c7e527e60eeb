export { startFakeIcecast, STATUS_PATH } from './server.js';
export type { FakeIcecast, FakeIcecastOptions } from './server.js';
export { parseMountPatch } from './mount-state.js';
export type { MountState } from './mount-state.js';
export { parseFault, FAULT_KINDS } from './faults.js';
export type { Fault, FaultKind, RedirectStatus } from './faults.js';
export { renderStatusJson, formatIcecastDate, formatIso8601, SERVER_ID } from './status-json.js';
export type { ServerInfo, MountSnapshot } from './status-json.js';
export type { ControlState } from './control.js';
