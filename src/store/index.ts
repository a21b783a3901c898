import type { Connection } from 'mongoose';
import { AckRepository } from './acks.js';
import { AuditRepository } from './audit.js';
import { CampaignRepository } from './campaigns.js';
import { EnrollmentRepository } from './enrollments.js';
import { InboundRepository } from './inbound.js';
import { LeadRepository } from './leads.js';
import { MessageRepository } from './messages.js';
import { SendAttemptRepository } from './send-attempts.js';
import { SequenceRepository } from './sequences.js';

/** Every repository over one database connection. */
export interface Store {
  connection: Connection;
  leads: LeadRepository;
  campaigns: CampaignRepository;
  sequences: SequenceRepository;
  enrollments: EnrollmentRepository;
  messages: MessageRepository;
  attempts: SendAttemptRepository;
  acks: AckRepository;
  inbound: InboundRepository;
  audit: AuditRepository;
}

/** Builds the repositories on `connection`. Call {@link ensureIndexes} once at start-up. */
export function createStore(connection: Connection): Store {
  const attempts = new SendAttemptRepository(connection);
  return {
    connection,
    leads: new LeadRepository(connection),
    campaigns: new CampaignRepository(connection),
    sequences: new SequenceRepository(connection),
    enrollments: new EnrollmentRepository(connection),
    messages: new MessageRepository(connection, attempts),
    attempts,
    acks: new AckRepository(connection),
    inbound: new InboundRepository(connection),
    audit: new AuditRepository(connection),
  };
}

/** Creates every collection and the indexes the models declare (idempotent). */
export async function ensureIndexes(store: Store): Promise<void> {
  for (const model of Object.values(store.connection.models)) {
    await model.createCollection().catch((error: { codeName?: string }) => {
      if (error.codeName !== 'NamespaceExists') throw error;
    });
    await model.createIndexes();
  }
}

export * from './db.js';
export type { Lead, LeadInput, Audience } from './leads.js';
export type { Campaign, CampaignInput } from './campaigns.js';
export type { Sequence, SequenceStep, SequenceInput, StepCondition } from './sequences.js';
export type { Enrollment } from './enrollments.js';
export type { BroadcastMessage, NewMessage, MessageKind } from './messages.js';
export { isDuplicateKey } from './leads.js';
