// bvault lease grant|revoke|keep-alive|timetolive|list and bvault member list|add|promote|remove.
import { CLIENT_EXIT_CODES, type ClientExitCode, UsageError } from './client-exit-codes.js';
import { type CommandContext, positiveInteger, requiredPositional } from './command-context.js';
import { formatId, parseId } from './ids.js';
import { print, renderTable } from './output.js';

export const LEASE_MEMBER_OPTIONS = {
  keys: { type: 'boolean' },
  once: { type: 'boolean' },
  'peer-address': { type: 'string' },
  'client-urls': { type: 'string' },
  voter: { type: 'boolean' },
} as const;

export const LEASE_MEMBER_USAGE = `  lease grant <ttl-seconds>                    prints the lease id (0x hex)
  lease revoke <id>
  lease keep-alive <id> [--once]               renews until Ctrl-C (or once)
  lease timetolive <id> [--keys]
  lease list
  member list
  member add <name> --peer-address host:port [--client-urls url,...] [--voter]   joins as a learner unless --voter
  member promote <id>
  member remove <id>`;

export async function leaseCommand(context: CommandContext): Promise<ClientExitCode> {
  const [subcommand, argument] = context.positionals;
  const leases = context.client.leases;
  switch (subcommand) {
    case 'grant': {
      const lease = await leases.grant(positiveInteger(requiredPositional(context, 1, 'ttl'), 'ttl'), { keepAlive: false });
      print(context, { id: formatId(lease.id), ttlSeconds: lease.ttlSeconds }, () => `lease ${formatId(lease.id)} granted with TTL(${lease.ttlSeconds}s)\n`);
      return CLIENT_EXIT_CODES.ok;
    }
    case 'revoke': {
      const id = parseId(argument, 'lease id');
      await leases.revoke(id);
      print(context, { id: formatId(id), revoked: true }, () => `lease ${formatId(id)} revoked\n`);
      return CLIENT_EXIT_CODES.ok;
    }
    case 'keep-alive':
      return keepAlive(context, parseId(argument, 'lease id'));
    case 'timetolive': {
      const answer = await leases.timeToLive(parseId(argument, 'lease id'), { keys: context.values.keys === true });
      const keys = answer.keys.map((key) => key.toString('utf8'));
      print(context, { id: formatId(answer.id), ttlSeconds: answer.ttlSeconds, grantedTtlSeconds: answer.grantedTtlSeconds, keys }, () =>
        `lease ${formatId(answer.id)} granted with TTL(${answer.grantedTtlSeconds}s), remaining(${answer.ttlSeconds}s)${keys.length > 0 ? `, attached keys(${keys.join(', ')})` : ''}\n`);
      return answer.ttlSeconds < 0 ? CLIENT_EXIT_CODES.notFound : CLIENT_EXIT_CODES.ok;
    }
    case 'list': {
      const all = await leases.list();
      print(context, { leases: all.map((lease) => ({ id: formatId(lease.id), grantedTtlSeconds: lease.grantedTtlSeconds })) }, () =>
        renderTable(['id', 'granted ttl'], all.map((lease) => [formatId(lease.id), lease.grantedTtlSeconds])));
      return CLIENT_EXIT_CODES.ok;
    }
    default:
      throw new UsageError(`lease needs grant, revoke, keep-alive, timetolive or list, got ${JSON.stringify(subcommand ?? '')}`);
  }
}

async function keepAlive(context: CommandContext, id: bigint): Promise<ClientExitCode> {
  for (;;) {
    const ttlSeconds = await context.client.leases.keepAliveOnce(id);
    if (ttlSeconds <= 0) {
      context.stderr.write(`bvault lease keep-alive: lease ${formatId(id)} expired or was revoked\n`);
      return CLIENT_EXIT_CODES.notFound;
    }
    print(context, { id: formatId(id), ttlSeconds }, () => `lease ${formatId(id)} keepalived with TTL(${ttlSeconds})\n`);
    if (context.values.once === true) return CLIENT_EXIT_CODES.ok;
    await new Promise((resolve) => setTimeout(resolve, (ttlSeconds * 1_000) / 3));
  }
}

export async function memberCommand(context: CommandContext): Promise<ClientExitCode> {
  const [subcommand, argument] = context.positionals;
  const members = context.client.members;
  switch (subcommand) {
    case 'list':
      printMembers(context, await members.list());
      return CLIENT_EXIT_CODES.ok;
    case 'add': {
      const name = requiredPositional(context, 1, 'member name');
      const peerAddress = context.values['peer-address'];
      if (typeof peerAddress !== 'string') throw new UsageError('member add needs --peer-address host:port');
      const clientUrls = typeof context.values['client-urls'] === 'string' ? context.values['client-urls'].split(',') : [];
      const answer = await members.add({ name, peerAddress, clientUrls, learner: context.values.voter !== true });
      context.stderr.write(`member ${name} added with id ${formatId(answer.member.id)}${answer.member.isLearner ? ' as a learner' : ''}\n`);
      printMembers(context, answer.members);
      return CLIENT_EXIT_CODES.ok;
    }
    case 'promote':
      printMembers(context, await members.promote(parseId(argument, 'member id')));
      return CLIENT_EXIT_CODES.ok;
    case 'remove':
      printMembers(context, await members.remove(parseId(argument, 'member id')));
      return CLIENT_EXIT_CODES.ok;
    default:
      throw new UsageError(`member needs list, add, promote or remove, got ${JSON.stringify(subcommand ?? '')}`);
  }
}

function printMembers(context: CommandContext, members: Awaited<ReturnType<CommandContext['client']['members']['list']>>): void {
  print(context, { members: members.map((member) => ({ ...member, id: formatId(member.id) })) }, () =>
    renderTable(['id', 'name', 'peer address', 'client urls', 'learner'], members.map((member) => [formatId(member.id), member.name, member.peerAddress, member.clientUrls.join(',') || '-', member.isLearner])));
}
