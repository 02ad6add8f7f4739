// The JSON bodies of the REST API's routes other than transactions (see transaction-schemas.ts).
// Each is a strict object: a field the route does not know is refused, never ignored.
import { z } from 'zod';
import { strictObject } from '../../validation/strict-schema.js';
import { consistency, integerAtLeast, jsonBytes, nonEmptyString } from './json-schemas.js';

export const batchPutBody = strictObject({
  items: z
    .array(
      strictObject({
        key: jsonBytes,
        value: jsonBytes,
        lease: integerAtLeast(1).optional().describe('an existing lease to attach'),
        contentType: z.string().optional().describe('stored with the value and answered as its Content-Type'),
        tags: z.record(z.string(), z.string()).optional().describe('string tags stored with the key'),
      }),
    )
    .describe('written in one transaction: all under one revision, or none'),
  ttl: integerAtLeast(1).optional().describe('seconds; grants one lease for the items without their own'),
});

export const batchGetBody = strictObject({
  keys: z.array(jsonBytes).describe('read at one revision; answered in this order, null where missing'),
  consistency: consistency.optional(),
});

export const batchDeleteBody = strictObject({
  keys: z.array(jsonBytes).describe('deleted in one transaction'),
  prevKv: z.boolean().optional().describe('answer with the deleted key items'),
});

export const leaseGrantBody = strictObject({
  ttl: integerAtLeast(1).describe('seconds'),
  id: integerAtLeast(1).optional().describe('the id to grant; chosen by the server when absent'),
});

export const compactBody = strictObject({
  revision: integerAtLeast(1).describe('history below this revision is discarded'),
});

export const transferLeadershipBody = strictObject({
  to: z.union([nonEmptyString, integerAtLeast(1)]).optional().describe('the member (id or name); the most caught-up voter when absent'),
}).optional();

export const addMemberBody = strictObject({
  name: nonEmptyString,
  peerAddress: nonEmptyString.describe('host:port of its Raft transport'),
  clientUrls: z.array(nonEmptyString).optional(),
  learner: z.boolean().optional().describe('true (the default): added as a learner, to be promoted once caught up'),
});

export const updateMemberBody = strictObject({
  peerAddress: nonEmptyString.describe('host:port of its Raft transport from now on; the member must then listen there'),
});

export const raftJoinBody = strictObject({
  NodeID: nonEmptyString.describe('the name of the new member'),
  RaftAddress: nonEmptyString.describe('host:port of its Raft transport'),
});

export const authenticateBody = strictObject({
  name: z.string().describe('the user name'),
  password: z.string().describe('the password; send it over HTTPS'),
});
