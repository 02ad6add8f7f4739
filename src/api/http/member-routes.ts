// Cluster membership: list, add (as a learner unless told otherwise), promote, give a new peer
// address, remove, and the
// seed's POST /api/v1/raft/join {"NodeID","RaftAddress"}, which adds a learner named NodeID and
// invites it (it waits for that when started with wait-for-join).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AddMemberRequest, KvNode, MemberInfo } from '../../node/kv-node.js';
import type { NodeId } from '../../raft/types.js';
import { ApiError } from '../errors.js';
import { addMemberBody, raftJoinBody, updateMemberBody } from './body-schemas.js';
import { parseJsonBody } from './request-parsing.js';

export function registerMemberRoutes(app: FastifyInstance): void {
  app.get('/api/v1/cluster/members', async (request) => membership(request.callerNode));
  app.post('/api/v1/cluster/members', async (request, reply) => {
    const added = await request.callerNode.addMember(addRequestOf(parseJsonBody(request, addMemberBody)));
    return reply.code(201).send({ member: added, ...membership(request.callerNode) });
  });
  app.post('/api/v1/raft/join', async (request) => {
    const body = parseJsonBody(request, raftJoinBody);
    const added = await request.callerNode.addMember({ name: body.NodeID, peerAddress: body.RaftAddress, learner: true });
    // The seed starts the new member without any cluster (wait-for-join): tell it which one.
    void request.callerNode.inviteMember(added.id);
    return { member: added, ...membership(request.callerNode) };
  });
  app.post('/api/v1/cluster/members/:member/promote', async (request) => {
    await request.callerNode.promoteMember(memberOf(request.callerNode, memberParameter(request)).id);
    return membership(request.callerNode);
  });
  app.patch('/api/v1/cluster/members/:member', async (request) => {
    const { peerAddress } = parseJsonBody(request, updateMemberBody);
    await request.callerNode.updateMember(memberOf(request.callerNode, memberParameter(request)).id, peerAddress);
    return membership(request.callerNode);
  });
  app.delete('/api/v1/cluster/members/:member', async (request) => {
    await request.callerNode.removeMember(memberOf(request.callerNode, memberParameter(request)).id);
    return membership(request.callerNode);
  });
}

function membership(node: KvNode): { clusterId: string; members: readonly MemberInfo[] } {
  return { clusterId: node.clusterId, members: node.members() };
}

/** A member by its decimal id or its name. */
export function memberOf(node: KvNode, reference: string): MemberInfo {
  const members = node.members();
  const byId = /^\d+$/.test(reference) ? members.find((member) => member.id === (Number(reference) as NodeId)) : undefined;
  const member = byId ?? members.find((candidate) => candidate.name === reference);
  if (member === undefined) throw new ApiError('API_MEMBER_NOT_FOUND', { name: reference });
  return member;
}

function memberParameter(request: FastifyRequest): string {
  return (request.params as { member: string }).member;
}

function addRequestOf(body: z.output<typeof addMemberBody>): AddMemberRequest {
  return { name: body.name, peerAddress: body.peerAddress, clientUrls: body.clientUrls ?? [], learner: body.learner ?? true };
}
