// The details of each member (name, peer address, client URLs of the REST and gRPC APIs),
// kept in the replicated state: they arrive in the context of the ConfChange that adds a
// member, in a member's published attributes (etcd's publish: name and client URLs) or in a
// new peer address (etcd's MemberUpdate), travel in every Raft snapshot's data, and are
// rebuilt after a restart from the snapshot plus the membership entries after it. Raft's
// ConfState says who is a voter or a learner; this says who they are.

import { BinaryReader } from '../codec/binary-reader.js';
import { BinaryWriter } from '../codec/binary-writer.js';
import type { ConfChange, ConfState, NodeId } from '../raft/types.js';
import { ConfChangeType, nodeId } from '../raft/types.js';
import { type EntryEnvelope, EntryKind } from './entry-envelope.js';
import type { MemberInfo } from './kv-node.js';
import { memberIdOf } from './identity.js';
import type { MemberAddress } from './node-options.js';

export interface MemberDetails {
  readonly name: string;
  readonly peerAddress: string;
  /** The REST API's URLs. */
  readonly clientUrls: readonly string[];
  /** The gRPC APIs' URLs: what etcd clients are given as a member's client URLs. */
  readonly grpcUrls: readonly string[];
}

/** Version 2 added the gRPC URLs; a version 1 table (in an old log or snapshot) has none. */
const MEMBER_TABLE_FORMAT_VERSION = 2;
const MEMBER_TABLE_FORMAT_VERSIONS_READ = new Set([1, 2]);
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export class MemberTable {
  // Invariant: holds exactly the members added and not yet removed by the applied ConfChanges.
  private readonly details = new Map<NodeId, MemberDetails>();

  /** Members the bootstrap entry adds, by name and peer address only (see the constructor). */
  private readonly bootstrapMembers: ReadonlyMap<NodeId, MemberDetails>;

  /**
   * The bootstrap entry's context is empty, so every node knows the initial members from its
   * options. Only names and peer addresses are configured identically everywhere (the cluster
   * id covers them); a node may know its own client URLs, the others not, so client URLs
   * enter the table only when each member publishes them, identically on every replica.
   */
  constructor(bootstrapMembers: ReadonlyMap<NodeId, MemberDetails>) {
    this.bootstrapMembers = new Map([...bootstrapMembers].map(([id, member]) => [id, { name: member.name, peerAddress: member.peerAddress, clientUrls: [], grpcUrls: [] }]));
  }

  /** Replaces the table with the one in a Raft snapshot's data (empty data: an empty table). */
  load(bytes: Uint8Array): void {
    this.details.clear();
    for (const [id, member] of decodeMembers(bytes)) this.details.set(id, member);
  }

  encode(): Uint8Array {
    return encodeMembers(this.details);
  }

  applyConfChange(cc: ConfChange): void {
    const announced = decodeMembers(cc.context);
    for (const change of cc.changes) {
      if (change.type === ConfChangeType.RemoveNode) {
        this.details.delete(change.nodeId);
        continue;
      }
      const member = announced.get(change.nodeId) ?? this.bootstrapMembers.get(change.nodeId) ?? this.details.get(change.nodeId);
      this.details.set(change.nodeId, member ?? { name: `member-${change.nodeId}`, peerAddress: '', clientUrls: [], grpcUrls: [] });
    }
  }

  /**
   * Applies an entry that changes members' details: published attributes (name, client and gRPC
   * URLs) or a new peer address. A member the table does not hold (removed since) is ignored,
   * and so is an entry of any other kind.
   */
  applyEntry(envelope: EntryEnvelope): void {
    const { kind, payload } = envelope;
    if (kind !== EntryKind.MemberAttributes && kind !== EntryKind.MemberPeerAddress) return;
    for (const [id, changed] of decodeMembers(payload)) {
      const member = this.details.get(id);
      if (member === undefined) continue;
      if (kind === EntryKind.MemberPeerAddress) this.details.set(id, { ...member, peerAddress: changed.peerAddress });
      else this.details.set(id, { ...member, name: changed.name, clientUrls: changed.clientUrls, grpcUrls: changed.grpcUrls });
    }
  }

  get(id: NodeId): MemberDetails | undefined {
    return this.details.get(id);
  }

  entries(): IterableIterator<[NodeId, MemberDetails]> {
    return this.details.entries();
  }

  /** Every member of `confState` with its details, voters first. */
  members(confState: ConfState): MemberInfo[] {
    const voters = new Set([...confState.voters, ...confState.votersOutgoing]);
    const ids = [...voters, ...confState.learners.filter((id) => !voters.has(id))];
    return ids.map((id) => {
      const member = this.details.get(id);
      return {
        id,
        name: member?.name ?? `member-${id}`,
        peerAddress: member?.peerAddress ?? '',
        clientUrls: member?.clientUrls ?? [],
        grpcUrls: member?.grpcUrls ?? [],
        isLearner: !voters.has(id),
      };
    });
  }
}

/** The details of members given by name, keyed by their derived member ids. */
export function detailsByMemberId(members: readonly MemberAddress[]): Map<NodeId, MemberDetails> {
  return new Map(members.map((member) => [memberIdOf(member.name), { name: member.name, peerAddress: member.peerAddress, clientUrls: member.clientUrls ?? [], grpcUrls: member.grpcUrls ?? [] }]));
}

/** The ConfChange context announcing the members it adds; also the payload of published attributes and of a peer address change. */
export function encodeMemberContext(members: ReadonlyMap<NodeId, MemberDetails>): Uint8Array {
  return encodeMembers(members);
}

function encodeMembers(members: ReadonlyMap<NodeId, MemberDetails>): Uint8Array {
  const writer = new BinaryWriter(64 * (members.size + 1));
  writer.byte(MEMBER_TABLE_FORMAT_VERSION);
  writer.varint(members.size);
  for (const [id, member] of [...members].sort(([a], [b]) => a - b)) {
    writer.varint(id);
    writer.bytes(utf8.encode(member.name));
    writer.bytes(utf8.encode(member.peerAddress));
    writeUrls(writer, member.clientUrls);
    writeUrls(writer, member.grpcUrls);
  }
  return writer.finish();
}

function decodeMembers(bytes: Uint8Array): Map<NodeId, MemberDetails> {
  const members = new Map<NodeId, MemberDetails>();
  if (bytes.byteLength === 0) return members;
  const reader = new BinaryReader(bytes);
  const version = reader.byte('member table format version');
  if (!MEMBER_TABLE_FORMAT_VERSIONS_READ.has(version)) throw new RangeError(`unknown member table format ${version}`);
  const count = reader.varint('member count');
  for (let i = 0; i < count; i++) {
    const id = nodeId(reader.varint('member id'));
    const name = fromUtf8.decode(reader.bytes('member name'));
    const peerAddress = fromUtf8.decode(reader.bytes('peer address'));
    const clientUrls = readUrls(reader, 'client url');
    const grpcUrls = version >= 2 ? readUrls(reader, 'grpc url') : [];
    members.set(id, { name, peerAddress, clientUrls, grpcUrls });
  }
  reader.expectEnd('the member table');
  return members;
}

function writeUrls(writer: BinaryWriter, urls: readonly string[]): void {
  writer.varint(urls.length);
  for (const url of urls) writer.bytes(utf8.encode(url));
}

function readUrls(reader: BinaryReader, what: string): string[] {
  const count = reader.varint(`${what} count`);
  const urls: string[] = [];
  for (let index = 0; index < count; index++) urls.push(fromUtf8.decode(reader.bytes(what)));
  return urls;
}
