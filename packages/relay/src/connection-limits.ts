/**
 * How many WebSocket connections the relay holds, in total and per client address, and whether one
 * more may come in. The per-address map only has entries for addresses with open connections, so it
 * is bounded by the total limit.
 */
import { CloseCode } from '@now-playing/protocol';

export interface ConnectionLimitsOptions {
  /** Open connections at most. */
  maxConnections: number;
  /** Open connections per address at most; 0 = no limit. */
  maxPerAddress: number;
}

export interface Refusal {
  code: number;
  reason: string;
}

export class ConnectionLimits {
  readonly #perAddress = new Map<string, number>();
  #total = 0;

  constructor(private readonly options: ConnectionLimitsOptions) {}

  get total(): number {
    return this.#total;
  }

  /** Count a new connection from `address`, or say why it is refused (nothing is counted then). */
  admit(address: string): Refusal | undefined {
    const { maxConnections, maxPerAddress } = this.options;
    if (this.#total >= maxConnections) return { code: CloseCode.RelayFull, reason: 'relay full: try again later' };
    const fromAddress = this.#perAddress.get(address) ?? 0;
    if (maxPerAddress > 0 && fromAddress >= maxPerAddress) {
      return { code: CloseCode.TooManyConnectionsFromAddress, reason: 'too many connections from your address' };
    }
    this.#total++;
    this.#perAddress.set(address, fromAddress + 1);
    return undefined;
  }

  /** A connection counted by `admit` has closed. */
  release(address: string): void {
    const left = (this.#perAddress.get(address) ?? 0) - 1;
    if (left > 0) this.#perAddress.set(address, left);
    else this.#perAddress.delete(address);
    this.#total = Math.max(0, this.#total - 1);
  }
}
