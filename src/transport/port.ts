import type { EventEmitter } from 'node:events';

/** Where a transport is in its life. Only `ready` may send. */
export type TransportState = 'starting' | 'qr' | 'ready' | 'disconnected';

/** What goes out: text, and optionally one image (http(s) URL or local file path). */
export interface OutboundContent {
  text: string;
  mediaUrl?: string;
}

/** A message a lead wrote. `from` is E.164. */
export interface InboundEvent {
  id: string;
  from: string;
  text: string;
  hasMedia: boolean;
  profileName?: string;
  at: Date;
}

/** A delivery report for a message we sent. */
export interface AckEvent {
  waMessageId: string;
  status: 'server' | 'delivered' | 'read' | 'error';
  at: Date;
}

/** Events every transport emits. */
export interface TransportEvents {
  qr: [qr: string];
  state: [state: TransportState, reason?: string];
  inbound: [message: InboundEvent];
  ack: [ack: AckEvent];
}

/**
 * What carries messages to WhatsApp. The rest of Cadence knows only this interface.
 * `send` resolves to WhatsApp's message id or rejects with one of the three
 * {@link TransportError} kinds, each named for what the caller does next.
 */
export interface Transport extends EventEmitter<TransportEvents> {
  readonly name: string;
  readonly state: TransportState;
  start(): Promise<void>;
  stop(): Promise<void>;
  send(to: string, content: OutboundContent): Promise<string>;
  /** True when the number has a WhatsApp account; null when the transport cannot tell now. */
  checkNumber(to: string): Promise<boolean | null>;
  /**
   * Whether a message with this text went to `to` at or after `since`: the message id
   * when found, null when surely not, undefined when the transport cannot tell.
   */
  findSent(to: string, content: OutboundContent, since: Date): Promise<string | null | undefined>;
  /** The latest login QR while `state` is `qr`. */
  readonly lastQr?: string;
}

/** Base of the errors `send` rejects with; `cause` keeps the library's original error. */
export abstract class TransportError extends Error {
  abstract readonly kind: 'permanent' | 'transient' | 'unavailable';
}

/** Never retry: the number has no WhatsApp account, or the content is refused. */
export class PermanentSendError extends TransportError {
  readonly kind = 'permanent';
  override name = 'PermanentSendError';
}

/**
 * Retry later with backoff: a timeout, a detached frame, "No LID for user". When
 * `mayHaveSent` is true the message may have gone out, so it must not be re-sent
 * blindly.
 */
export class TransientSendError extends TransportError {
  readonly kind = 'transient';
  override name = 'TransientSendError';
  constructor(
    message: string,
    readonly mayHaveSent = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Pause sending: the transport is not connected or not logged in. */
export class TransportUnavailableError extends TransportError {
  readonly kind = 'unavailable';
  override name = 'TransportUnavailableError';
}
