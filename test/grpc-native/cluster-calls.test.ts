// Status, membership and leadership through the native service on a real 3-member cluster:
// every member reports itself and the same leader, a learner is added, refused promotion
// until it caught up, promoted once a real process caught up, and removed; leadership moves
// to the member asked for.
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemberAddRequest,
  type MemberAddResponse,
  type MemberListResponse,
  MemberPromoteRequest,
  MemberRemoveRequest,
  MoveLeaderRequest,
  type StatusResponse,
} from '../../src/generated/beavervault/v1/cluster.js';
import { type KVClient, PutRequest } from '../../src/generated/beavervault/v1/kv.js';
import { PROMOTION_LAG_ENTRIES_MAX } from '../../src/node/membership.js';
import { freePort, type ServerProcess, TestCluster, waitFor } from '../cluster/cluster-harness.js';
import { bytes, callOptions, Metadata, nativeClient, refusal, unary } from './native-client.js';

describe('native gRPC status, member and leadership calls on a 3-member cluster', { timeout: 90_000 }, () => {
  let cluster: TestCluster;
  const clients = new Map<ServerProcess, KVClient>();

  const clientOf = (member: ServerProcess): KVClient => {
    const client = clients.get(member) ?? nativeClient(member.grpcAddress);
    clients.set(member, client);
    return client;
  };
  const statusOf = (member: ServerProcess): Promise<StatusResponse> => unary((done) => clientOf(member).status({}, new Metadata(), callOptions(), done));
  const membersOf = async (member: ServerProcess): Promise<MemberListResponse> => unary((done) => clientOf(member).memberList({}, new Metadata(), callOptions(), done));

  beforeAll(async () => {
    cluster = await TestCluster.start({ size: 3, prefix: 'grpc-cluster' });
    await cluster.leader();
  }, 60_000);

  afterAll(async () => {
    for (const client of clients.values()) client.close();
    await cluster?.destroy();
  });

  it('reports every member\'s own status with the one leader they agree on', async () => {
    const statuses = await Promise.all(cluster.members.map((member) => statusOf(member)));
    const httpStatuses = await Promise.all(cluster.members.map((member) => member.status()));
    expect(statuses.map((answer) => answer.name)).toEqual(['n1', 'n2', 'n3']);
    expect(statuses.map((answer) => answer.header?.memberId)).toEqual(httpStatuses.map((answer) => BigInt(answer.id)));
    expect(statuses.filter((answer) => answer.role === 'leader')).toHaveLength(1);
    const leaderIds = new Set(statuses.map((answer) => answer.header?.leaderId));
    expect(leaderIds.size).toBe(1);
    expect(statuses.every((answer) => answer.ready && answer.notReadyReason === '' && answer.appliedIndex > 0n)).toBe(true);
  });

  it('lists the members with their peer addresses from any member', async () => {
    const listed = await membersOf(cluster.members[2]!);
    expect(listed.members.map((member) => [member.name, member.peerAddress, member.isLearner]).sort()).toEqual(
      cluster.members.map((member) => [member.name, member.peerAddress, false]).sort(),
    );
  });

  it('adds a learner, refuses to promote it before it caught up, and removes it', async () => {
    const leader = await cluster.leader();
    // A young log is short enough for any learner to count as caught up; make it longer.
    for (let index = 0; index < PROMOTION_LAG_ENTRIES_MAX + 16; index++) {
      await unary((done) => clientOf(leader).put(PutRequest.fromPartial({ key: bytes(`filler/${index}`), value: bytes('x') }), new Metadata(), callOptions(), done));
    }
    const peerAddress = `127.0.0.1:${await freePort()}`;
    const added = await unary<MemberAddResponse>((done) =>
      clientOf(cluster.members.find((member) => member !== leader)!).memberAdd(MemberAddRequest.fromPartial({ name: 'ghost', peerAddress, isLearner: true }), new Metadata(), callOptions(), done),
    );
    expect(added.member?.isLearner).toBe(true);
    expect(added.members.map((member) => member.name)).toContain('ghost');
    const ghostId = added.member!.id;
    const refused = await refusal(unary((done) => clientOf(leader).memberPromote(MemberPromoteRequest.fromPartial({ id: ghostId }), new Metadata(), callOptions(), done)));
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    expect(refused.errorCode).toBe('NODE_NOT_CAUGHT_UP');
    await unary((done) => clientOf(leader).memberRemove(MemberRemoveRequest.fromPartial({ id: ghostId }), new Metadata(), callOptions(), done));
    await waitFor('every member to drop ghost', 10_000, async () => {
      const lists = await Promise.all(cluster.members.map((member) => membersOf(member)));
      return lists.every((list) => list.members.length === 3 && !list.members.some((member) => member.name === 'ghost')) ? true : undefined;
    });
    const unknown = await refusal(unary((done) => clientOf(leader).memberRemove(MemberRemoveRequest.fromPartial({ id: ghostId }), new Metadata(), callOptions(), done)));
    expect(unknown.code).toBe(status.NOT_FOUND);
  });

  it('promotes a joined learner once it caught up, then removes it', async () => {
    const leader = await cluster.leader();
    const learner = await cluster.addJoiningMember('n4', leader);
    await learner.waitUntilReady();
    const learnerId = (await statusOf(learner)).header!.memberId;
    expect((await membersOf(leader)).members.find((member) => member.id === learnerId)?.isLearner).toBe(true);
    await waitFor('the learner to be promoted', 20_000, () =>
      unary((done) => clientOf(leader).memberPromote(MemberPromoteRequest.fromPartial({ id: learnerId }), new Metadata(), callOptions(), done)).then(
        () => true,
        () => undefined,
      ),
    );
    await waitFor('n4 to be a voter everywhere', 10_000, async () => {
      const lists = await Promise.all([leader, learner].map((member) => membersOf(member)));
      return lists.every((list) => list.members.some((member) => member.id === learnerId && !member.isLearner)) ? true : undefined;
    });
    await unary((done) => clientOf(leader).memberRemove(MemberRemoveRequest.fromPartial({ id: learnerId }), new Metadata(), callOptions(), done));
    expect((await membersOf(leader)).members.map((member) => member.name).sort()).toEqual(['n1', 'n2', 'n3']);
    await learner.kill();
  });

  it('moves leadership to the member asked for, and refuses an unknown one', async () => {
    const leader = await cluster.leader();
    const target = cluster.running().find((member) => member !== leader && member.name !== 'n4')!;
    const targetId = (await statusOf(target)).header!.memberId;
    await unary((done) => clientOf(leader).moveLeader(MoveLeaderRequest.fromPartial({ targetId }), new Metadata(), callOptions(), done));
    expect((await cluster.leader()).name).toBe(target.name);
    const unknown = await refusal(unary((done) => clientOf(target).moveLeader(MoveLeaderRequest.fromPartial({ targetId: 12_345n }), new Metadata(), callOptions(), done)));
    expect(unknown.code).toBe(status.NOT_FOUND);
    expect((await cluster.leader()).name).toBe(target.name);
  });
});
