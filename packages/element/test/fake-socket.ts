import { PROTOCOL_VERSION, type NowPlaying } from '@now-playing/protocol';

/** A WebSocket stand-in: the test plays the relay by calling open / receive / serverClose. */
export class FakeSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static instances: FakeSocket[] = [];

  readyState = FakeSocket.CONNECTING;
  binaryType = 'blob';
  bufferedAmount = 0;
  extensions = '';
  protocol = '';
  readonly sent: string[] = [];
  closedWith: number | undefined;

  constructor(readonly url: string) {
    super();
    FakeSocket.instances.push(this);
  }

  static reset(): void {
    FakeSocket.instances = [];
  }

  static get last(): FakeSocket {
    const socket = FakeSocket.instances.at(-1);
    if (!socket) throw new Error('no socket was created');
    return socket;
  }

  send(data: string): void {
    if (this.readyState !== FakeSocket.OPEN) throw new Error('send on a socket that is not open');
    this.sent.push(data);
  }

  close(code = 1000): void {
    if (this.readyState >= FakeSocket.CLOSING) return;
    this.closedWith = code;
    this.readyState = FakeSocket.CLOSED;
  }

  // ── the relay's side ──
  open(): void {
    this.readyState = FakeSocket.OPEN;
    this.dispatchEvent(new Event('open'));
  }

  receive(message: unknown): void {
    const data = typeof message === 'string' ? message : JSON.stringify(message);
    this.dispatchEvent(new MessageEvent('message', { data }));
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = FakeSocket.CLOSED;
    const event = new Event('close');
    Object.assign(event, { code, reason, wasClean: true });
    this.dispatchEvent(event);
  }

  /** The messages the client sent, parsed. */
  get sentMessages(): unknown[] {
    return this.sent.map((s) => JSON.parse(s) as unknown);
  }
}

export function nowPlaying(overrides: Partial<NowPlaying> = {}): NowPlaying {
  return {
    station: { id: 'live', name: 'Radio Test' },
    online: true,
    stale: false,
    track: { text: 'Artist A - Song One', artist: 'Artist A', title: 'Song One' },
    listeners: 3,
    history: {},
    ...overrides,
  };
}

export const snapshot = (seq: number, data: NowPlaying = nowPlaying(), heartbeat = 1000) => ({
  type: 'snapshot',
  v: PROTOCOL_VERSION,
  station: data.station.id,
  seq,
  heartbeat,
  data,
});

export const patch = (seq: number, body: unknown, station = 'live') => ({ type: 'patch', station, seq, patch: body });
