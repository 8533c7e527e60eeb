/**
 * How many WebSocket connections the relay holds, in total and per client address, and whether one
 * more may come in. The per-address map only has entries for addresses with open connections, so it
 * is bounded by the total limit; without a per-address limit there is no map at all.
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

  /** Whether connections are counted per address (the per-address limit is on). */
  get perAddress(): boolean {
    return this.options.maxPerAddress > 0;
  }

  /** Count a new connection from `address`, or say why it is refused (nothing is counted then). */
  admit(address: string): Refusal | undefined {
    const { maxConnections, maxPerAddress } = this.options;
    if (this.#total >= maxConnections) return { code: CloseCode.RelayFull, reason: 'relay full: try again later' };
    // Without a per-address limit there is no per-address map either.
    if (maxPerAddress > 0) {
      const fromAddress = this.#perAddress.get(address) ?? 0;
      if (fromAddress >= maxPerAddress) return { code: CloseCode.TooManyConnectionsFromAddress, reason: 'too many connections from your address' };
      this.#perAddress.set(address, fromAddress + 1);
    }
    this.#total++;
    return undefined;
  }

  /** A connection counted by `admit` has closed. */
  release(address: string): void {
    this.#total = Math.max(0, this.#total - 1);
    if (this.options.maxPerAddress === 0) return;
    const left = (this.#perAddress.get(address) ?? 0) - 1;
    if (left > 0) this.#perAddress.set(address, left);
    else this.#perAddress.delete(address);
  }
}
