// What the node simulator checks while a run goes on and at its end:
// - at most one leader per term (SafetyChecker), from whom every member follows after each event;
// - at most one vote per voter and term, crashes included, from the vote responses sent;
// - identical MVCC state at each applied index: the hash of the whole key space a member
//   reports at index i equals every other member's at i, crashes and restarts included;
// - linearizability of the clients' puts and reads (the register model), which also finds an
//   acknowledged write lost to a crash: the final reads would miss it.
// Each failure is a SimulationViolation, the same as the Raft-core simulator's.

import { checkLinearizability } from '../../jepsen/checker/linearizability.js';
import { historyFromEvents } from '../../jepsen/checker/history.js';
import { registerModel } from '../../jepsen/checker/models/register.js';
import type { Message, NodeId } from '../../../src/raft/types.js';
import { MessageType } from '../../../src/raft/types.js';
import { SafetyChecker, SimulationViolation } from '../safety-checker.js';
import type { SimulatedMember } from './simulated-member.js';
import type { RegisterEvent } from './node-workload.js';

/** The linearizability search gives up (answering 'unknown', not a violation) after this long. */
const LINEARIZABILITY_TIMEOUT_MS = 10_000;

export class NodeChecks {
  private readonly safety = new SafetyChecker();
  private readonly stateByAppliedIndex = new Map<number, { readonly hash: string; readonly member: string }>();
  elections = 0;

  constructor(private readonly memberIds: readonly NodeId[]) {}

  /** A granted vote: the voter must not have granted another in that term, before a crash or after. */
  observeSent(message: Message): void {
    if (message.type !== MessageType.VoteResponse || message.reject) return;
    // The checker packs a voter into a few bits: member ids are hashes, so it gets their positions.
    this.safety.voteCast(this.memberIds.indexOf(message.from), message.term, this.memberIds.indexOf(message.to));
  }

  /** Reads whom each serving member follows; cheap enough to run after every event, so no brief leader goes unseen. */
  observeLeaders(members: readonly SimulatedMember[]): void {
    for (const member of members) {
      const position = member.node?.position();
      if (position === undefined || position.leaderId === 0) continue;
      if (this.safety.leaderElected(position.leaderId, position.term)) this.elections++;
    }
  }

  /** Reads each serving member's applied index and state hash. */
  async observeStates(members: readonly SimulatedMember[]): Promise<void> {
    for (const member of members) {
      const node = member.node;
      if (node === undefined) continue;
      let observed: { appliedIndex: number; hash: string };
      try {
        const { appliedIndex } = await node.status();
        observed = { appliedIndex, hash: await node.hash() };
      } catch {
        continue; // The node stopped meanwhile; its failure is reported on its own.
      }
      if (member.node !== node) continue;
      this.compareState(member.name, observed.appliedIndex, observed.hash);
    }
  }

  private compareState(member: string, appliedIndex: number, hash: string): void {
    const earlier = this.stateByAppliedIndex.get(appliedIndex);
    if (earlier === undefined) {
      this.stateByAppliedIndex.set(appliedIndex, { hash, member });
      return;
    }
    if (earlier.hash !== hash) {
      throw new SimulationViolation(
        'state-machine-safety',
        `at applied index ${appliedIndex} ${member} holds state ${hash.slice(0, 12)} but ${earlier.member} held ${earlier.hash.slice(0, 12)}`,
      );
    }
  }
}

export function checkHistory(events: readonly RegisterEvent[]): void {
  const result = checkLinearizability(registerModel, historyFromEvents(events), { timeoutMs: LINEARIZABILITY_TIMEOUT_MS });
  if (result.result !== 'illegal') return;
  throw new SimulationViolation('linearizability', result.violation.report);
}
