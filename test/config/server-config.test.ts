import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, HELP_REQUESTED, loadServerConfig, serverHelpText, type ServerConfig } from '../../src/config/index.js';

const THREE_MEMBERS = 'n1=127.0.0.1:7000,n2=127.0.0.1:7001,n3=127.0.0.1:7002';
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'bvault-config-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function load(args: readonly string[], environment: NodeJS.ProcessEnv = {}): Promise<ServerConfig> {
  const config = await loadServerConfig({ args, environment, workingDirectory: directory });
  if (config === HELP_REQUESTED) throw new Error('help was not asked for');
  return config;
}

async function problemsOf(args: readonly string[], environment: NodeJS.ProcessEnv = {}): Promise<readonly string[]> {
  try {
    await load(args, environment);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

async function writeYaml(name: string, text: string): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, text);
  return path;
}

describe('the server configuration', () => {
  it('accepts the documented server command and fills the defaults', async () => {
    const config = await load(['--node-id', 'n1', '--http-port', '8000', '--grpc-port', '9090', '--raft-port', '7000', '--data-dir', './data/n1', '--initial-cluster', THREE_MEMBERS]);
    expect(config.name).toBe('n1');
    expect(config.dataDir).toBe(join(directory, 'data/n1'));
    expect(config.start).toEqual({ kind: 'new', initialMembers: new Map([['n1', '127.0.0.1:7000'], ['n2', '127.0.0.1:7001'], ['n3', '127.0.0.1:7002']]) });
    expect(config.advertisePeerAddress).toBe('127.0.0.1:7000');
    expect(config.advertiseClientUrls).toEqual(['http://127.0.0.1:8000']);
    expect(config.tickMs).toBe(100);
    expect(config.electionTicks).toBe(10);
    expect(config.heartbeatTicks).toBe(1);
    expect(config.snapshotEntries).toBe(10_000);
    expect(config.compactionMarginEntries).toBe(5_000);
    expect(config.leaseCheckpointIntervalMs).toBe(1_000);
    expect(config.quotaBytes).toBe(2 * 1024 ** 3);
    expect(config.limits).toEqual({ keyBytesMax: 1024, valueBytesMax: 16 * 1024 ** 2, txnOperationsMax: 128, requestBytesMax: 32 * 1024 ** 2 });
    expect(config.autoCompaction).toEqual({ mode: 'off' });
    expect(config.logLevel).toBe('info');
  });

  it('reads the queue bounds from the file, the environment and flags, and refuses a bound of zero', async () => {
    const file = await writeYaml('queues.yaml', 'pending-proposal-bytes-max: 2MiB\npeer-inbox-bytes-max: 1MiB\n');
    const config = await load(['--node-id', 'n1', '--config', file, '--pending-proposals-max', '7', '--forwarded-requests-max', '3'], { BVAULT_PENDING_READS_MAX: '9', BVAULT_PEER_INBOX_MESSAGES_MAX: '11' });
    expect(config.queueLimits).toEqual({
      pendingProposalsMax: 7,
      pendingProposalBytesMax: 2 * 1024 ** 2,
      pendingReadsMax: 9,
      peerInboxMessagesMax: 11,
      peerInboxBytesMax: 1024 ** 2,
      forwardedRequestsMax: 3,
    });
    const defaults = await load(['--node-id', 'n1']);
    expect(defaults.queueLimits).toEqual({ pendingProposalsMax: 5_000, pendingProposalBytesMax: 128 * 1024 ** 2, pendingReadsMax: 10_000, peerInboxMessagesMax: 10_000, peerInboxBytesMax: 128 * 1024 ** 2, forwardedRequestsMax: 1_000 });
    expect(defaults.grpcConcurrentStreamsMax).toBe(256);
    expect((await load(['--node-id', 'n1'], { BVAULT_GRPC_CONCURRENT_STREAMS_MAX: '64' })).grpcConcurrentStreamsMax).toBe(64);
    const problems = await problemsOf(['--node-id', 'n1', '--pending-reads-max', '0']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('pending-reads-max');
    expect(problems[0]).toContain('"0"');
  });

  it('lets flags override environment variables, which override the file', async () => {
    const file = await writeYaml('precedence.yaml', 'node-id: n2\nhttp-port: 8100\nraft-port: 7001\ntick-ms: 50\ninitial-cluster: [n1=127.0.0.1:7000, n2=127.0.0.1:7001]\n');
    const config = await load(['--config', file, '--http-port', '8300'], { BVAULT_HTTP_PORT: '8200', BVAULT_TICK_MS: '20' });
    expect(config.httpPort).toBe(8300);
    expect(config.tickMs).toBe(20);
    expect(config.name).toBe('n2');
    expect(config.advertisePeerAddress).toBe('127.0.0.1:7001');
  });

  it('reads sizes with units, durations and both list spellings', async () => {
    const file = await writeYaml('units.yaml', 'quota-bytes: 64MiB\nvalue-bytes-max: 1 MiB\nauto-compaction-mode: periodic\nauto-compaction-retention: 30m\n');
    const config = await load(['--config', file, '--node-id', 'n1', '--initial-cluster', 'n1=127.0.0.1:7000', '--key-bytes-max', '2KiB']);
    expect(config.quotaBytes).toBe(64 * 1024 ** 2);
    expect(config.limits.valueBytesMax).toBe(1024 ** 2);
    expect(config.limits.keyBytesMax).toBe(2048);
    expect(config.autoCompaction).toEqual({ mode: 'periodic', retentionMs: 30 * 60_000 });
  });

  it('joins a running cluster with --join and advertises the given addresses', async () => {
    const config = await load(
      ['--node-id', 'n4', '--join', 'http://127.0.0.1:8000', '--raft-port', '7003', '--http-port', '8003', '--advertise-peer-address', 'n4.bvault.svc:7003'],
      { BVAULT_ADVERTISE_CLIENT_URLS: 'http://n4.bvault.svc:8003' },
    );
    expect(config.start).toEqual({ kind: 'join', joinUrl: 'http://127.0.0.1:8000' });
    expect(config.advertisePeerAddress).toBe('n4.bvault.svc:7003');
    expect(config.advertiseClientUrls).toEqual(['http://n4.bvault.svc:8003']);
  });

  it('advertises dialable addresses when listening on every interface', async () => {
    const config = await load(['--node-id', 'n1', '--initial-cluster', 'n1=bvault-0.peers:7000', '--http-host', '0.0.0.0', '--raft-host', '0.0.0.0']);
    expect(config.advertisePeerAddress).toBe('bvault-0.peers:7000');
    expect(config.advertiseClientUrls).toEqual(['http://bvault-0.peers:8000']);
    expect(await problemsOf(['--node-id', 'n4', '--join', 'http://bvault-0.peers:8000', '--raft-host', '0.0.0.0'])).toEqual([
      expect.stringMatching(/raft-host 0\.0\.0\.0 listens on every address, so peers cannot be told where to dial; set advertise-peer-address/),
    ]);
  });

  it('lets a one-member cluster started without initial-cluster advertise its DNS name', async () => {
    const config = await load(['--node-id', 'kv-x7k2p', '--raft-host', '0.0.0.0', '--advertise-peer-address', 'kv-x7k2p.kv-peers.ns.svc:7000']);
    expect(config.start).toMatchObject({ kind: 'new', implicit: true });
    expect(config.advertisePeerAddress).toBe('kv-x7k2p.kv-peers.ns.svc:7000');
  });

  it('lists every problem at once', async () => {
    const file = await writeYaml('bad.yaml', 'http-prot: 8000\nsnapshot-entries: many\n');
    const problems = await problemsOf(
      ['--config', file, '--node-id', 'n9', '--raft-port', '70000', '--election-ticks', '2', '--heartbeat-ticks', '3', '--initial-cluster', THREE_MEMBERS, '--bogus', 'x'],
      { BVAULT_LOG_LEVEL: 'loud' },
    );
    const expected = [
      /unknown setting "http-prot" \(did you mean "http-port"\?\)/,
      /snapshot-entries \(from .*bad\.yaml\) must be an integer, got "many"/,
      /raft-port \(from --raft-port\) must be between 1 and 65535, got "70000"/,
      /election-ticks \(2\) must be greater than heartbeat-ticks \(3\)/,
      /node-id n9 is not a member of initial-cluster \(n1, n2, n3\)/,
      /unknown flag --bogus/,
      /log-level \(from BVAULT_LOG_LEVEL\) must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/,
    ];
    for (const pattern of expected) expect(problems.some((problem) => pattern.test(problem)), `no problem matches ${pattern}: ${problems.join(' | ')}`).toBe(true);
    expect(problems).toHaveLength(expected.length);
  });

  it('names a flag given without its value and a stray argument', async () => {
    expect(await problemsOf(['--node-id', 'n1', '--initial-cluster', 'n1=127.0.0.1:7000', 'stray', '--http-port'])).toEqual([
      'unexpected argument "stray"; settings are given as --name value',
      'flag --http-port needs a value',
    ]);
  });

  it('refuses more than one of initial-cluster, join and wait-for-join', async () => {
    expect(await problemsOf(['--node-id', 'n1', '--initial-cluster', 'n1=127.0.0.1:7000', '--join', 'http://127.0.0.1:8000'])).toEqual([
      expect.stringMatching(/initial-cluster, join are set together/),
    ]);
    expect(await problemsOf(['--node-id', 'n1', '--join', 'http://127.0.0.1:8000', '--wait-for-join'])).toEqual([expect.stringMatching(/join, wait-for-join are set together/)]);
  });

  it('starts a one-member cluster of itself when given none of them, as etcd does', async () => {
    const config = await load(['--node-id', 'node1', '--raft-port', '7000']);
    expect(config.start).toEqual({ kind: 'new', initialMembers: new Map([['node1', '127.0.0.1:7000']]), implicit: true });
    expect(config.dataDir).toBe(join(directory, 'data', 'node1'));
  });

  it('reads the seeds\' Go-style single-dash flags and a bare wait-for-join', async () => {
    const config = await load(['-node-id', 'node1', '-http-port', '8000', '-raft-port', '7000', '-wait-for-join']);
    expect([config.name, config.httpPort, config.raftPort, config.start.kind]).toEqual(['node1', 8000, 7000, 'wait']);
    expect(await problemsOf(['-node-id', 'n1', '-htp-port', '1'])).toEqual([expect.stringMatching(/unknown flag --htp-port \(did you mean "http-port"\?\)/)]);
  });

  it('refuses a missing node-id, a bad join URL and malformed initial-cluster entries', async () => {
    expect(await problemsOf(['--join', 'ftp://x'])).toEqual([expect.stringMatching(/node-id is required/), expect.stringMatching(/join: "ftp:\/\/x" is not an http\(s\) URL/)]);
    const problems = await problemsOf(['--node-id', 'n1', '--initial-cluster', 'n1=127.0.0.1:7000,n2=127.0.0.1:7000,n1=h:1,bad,n3=host']);
    expect(problems).toEqual([
      'initial-cluster gives n1 and n2 the same address 127.0.0.1:7000',
      'initial-cluster names member n1 twice',
      'initial-cluster: "bad" is not name=host:port',
      'initial-cluster member n3: "host" is not host:port with a port between 1 and 65535',
    ]);
  });

  it('refuses listeners sharing a port and a raft-port that disagrees with the member\'s entry', async () => {
    const problems = await problemsOf(['--node-id', 'n1', '--initial-cluster', 'n1=127.0.0.1:7000', '--raft-port', '7005', '--grpc-port', '8000']);
    expect(problems).toEqual([
      'http-port and grpc-port are both 8000; each listener needs its own port',
      expect.stringMatching(/initial-cluster gives n1 the address 127\.0\.0\.1:7000 but raft-port is 7005/),
    ]);
  });

  it('refuses limits that contradict each other and a retention without a mode', async () => {
    const problems = await problemsOf(['--node-id', 'n1', '--initial-cluster', 'n1=127.0.0.1:7000', '--key-bytes-max', '2MiB', '--request-bytes-max', '1MiB', '--auto-compaction-retention', '100']);
    expect(problems).toEqual([
      'key-bytes-max (2097152) must not exceed request-bytes-max (1048576)',
      'value-bytes-max (16777216) must not exceed request-bytes-max (1048576)',
      expect.stringMatching(/auto-compaction-retention is set but auto-compaction-mode is off/),
    ]);
  });

  it('has no audit log unless audit-log-path is set, and reads its settings from the file, the environment and flags', async () => {
    expect((await load(['--node-id', 'n1'])).audit).toBeUndefined();
    const file = await writeYaml('audit.yaml', 'audit-log-max-files: 3\naudit-reads: true\n');
    const config = await load(['--config', file, '--node-id', 'n1', '--audit-log-max-bytes', '1MiB'], { BVAULT_AUDIT_LOG_PATH: 'logs/audit.log' });
    expect(config.audit).toEqual({ path: join(directory, 'logs/audit.log'), maxBytes: 1024 * 1024, maxFiles: 3, reads: true });
  });

  it('refuses audit-reads without audit-log-path, and audit limits out of bounds', async () => {
    const problems = await problemsOf(['--node-id', 'n1', '--audit-reads', '--audit-log-max-bytes', '1KiB', '--audit-log-max-files', '0']);
    expect(problems).toEqual([
      expect.stringMatching(/^audit-log-max-bytes \(from --audit-log-max-bytes\) must be .*4096.*got "1KiB"/),
      expect.stringMatching(/^audit-log-max-files \(from --audit-log-max-files\) must be between 1 and 1000, got "0"/),
      'audit-reads is set but audit-log-path is not; set audit-log-path to the file the audit log is written to',
    ]);
  });

  it('says which file is not valid YAML or not a mapping', async () => {
    const broken = await writeYaml('broken.yaml', 'node-id: [n1\n');
    expect(await problemsOf(['--config', broken, '--node-id', 'n1', '--initial-cluster', 'n1=127.0.0.1:7000'])).toEqual([
      expect.stringMatching(/config file .*broken\.yaml is not valid YAML at line \d+/),
    ]);
    const list = await writeYaml('list.yaml', '- a\n- b\n');
    expect(await problemsOf(['--config', list, '--node-id', 'n1', '--initial-cluster', 'n1=127.0.0.1:7000'])).toEqual([
      expect.stringMatching(/must hold a mapping of settings/),
    ]);
  });

  it('warns of unknown BVAULT_ variables without refusing to start', async () => {
    const config = await load(['--node-id', 'n1', '--initial-cluster', 'n1=127.0.0.1:7000'], { BVAULT_HTTP_PROT: '1' });
    expect(config.warnings).toEqual(['environment variable BVAULT_HTTP_PROT is not a setting and is ignored']);
  });

  it('freezes the result', async () => {
    const config = await load(['--node-id', 'n1', '--initial-cluster', 'n1=127.0.0.1:7000']);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
    expect(() => (config.start.kind === 'new' ? (config.start.initialMembers as Map<string, string>).set('n2', 'x:1') : undefined)).toThrow(/frozen/);
  });

  it('answers --help with a text that names every setting and its environment variable', async () => {
    expect(await loadServerConfig({ args: ['--help'], environment: {}, workingDirectory: directory })).toBe(HELP_REQUESTED);
    const help = serverHelpText();
    expect(help).toContain('--initial-cluster');
    expect(help).toContain('BVAULT_QUOTA_BYTES');
    expect(help).toMatch(/--grpc-port.*gRPC APIs/);
  });
});

describe('the auth-token settings', () => {
  it('default to simple tokens of 300 s, take a TTL and a JWT spec from flags, the environment or YAML', async () => {
    expect((await load(['--node-id', 'n1'])).authTokens).toEqual({ kind: 'simple', ttlMs: 300_000 });
    expect((await load(['--node-id', 'n1', '--auth-token-ttl', '5'])).authTokens).toEqual({ kind: 'simple', ttlMs: 5_000 });
    expect((await load(['--node-id', 'n1'], { BVAULT_AUTH_TOKEN: 'jwt,pub-key=/k.pub,priv-key=/k.key,sign-method=RS256,ttl=10m' })).authTokens).toEqual({
      kind: 'jwt',
      publicKeyPath: '/k.pub',
      privateKeyPath: '/k.key',
      signMethod: 'RS256',
      ttlMs: 600_000,
    });
    const file = await writeYaml('auth.yaml', 'node-id: n1\nauth-token: jwt,pub-key=/k.pub,sign-method=ES256\n');
    expect((await load(['--config', file])).authTokens).toEqual({ kind: 'jwt', publicKeyPath: '/k.pub', signMethod: 'ES256', ttlMs: 300_000 });
  });

  it('names every problem of a bad value at once', async () => {
    expect(await problemsOf(['--node-id', 'n1', '--auth-token', 'jwt,sign-method=HS256', '--auth-token-ttl', '0'])).toEqual(
      expect.arrayContaining([
        expect.stringContaining('auth-token-ttl'),
        'auth-token jwt needs pub-key=PATH (the public key every member verifies tokens with)',
        'auth-token jwt sign-method must be one of RS256, ES256, got "HS256"',
      ]),
    );
  });
});
