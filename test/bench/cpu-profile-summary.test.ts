// bench:profile's reading of V8 CPU profiles: which component a function belongs to, and the
// busy time per component within the measured window, idle left out.
import { describe, expect, it } from 'vitest';
import { componentOf, type CpuProfile, summarizeProfile } from '../../bench/cpu-profile-summary.js';

describe('CPU profile summary', () => {
  it('names the product folder, the dependency package, Node HTTP/2 and the garbage collector', () => {
    expect(componentOf('step', 'file:///repo/dist/src/raft/raft.js')).toBe('src/raft');
    expect(componentOf('append', 'file:///repo/src/storage/segmented-wal.ts')).toBe('src/storage');
    expect(componentOf('main', 'file:///repo/dist/src/server.js')).toBe('src (top level)');
    expect(componentOf('encode', 'file:///repo/dist/src/generated/etcd/etcdserverpb/rpc.js')).toBe('generated protobuf code');
    expect(componentOf('sendUnaryMessage', 'file:///repo/node_modules/@grpc/grpc-js/build/src/server-interceptors.js')).toBe('@grpc/grpc-js');
    expect(componentOf('get', 'file:///repo/node_modules/classic-level/index.js')).toBe('classic-level');
    expect(componentOf('onStreamRead', 'node:internal/http2/core')).toBe('Node HTTP/2');
    expect(componentOf('(garbage collector)', '')).toBe('garbage collector');
    expect(componentOf('(program)', '')).toBe('(program): V8, nghttp2, libuv');
    expect(componentOf('fdatasync', '')).toBe('native fdatasync()');
  });

  it('sums each sample\'s time delta by component within the window, leaving idle out', () => {
    const profile: CpuProfile = {
      startTime: 1_000,
      nodes: [
        { id: 1, callFrame: { functionName: '(idle)', url: '' } },
        { id: 2, callFrame: { functionName: 'step', url: 'file:///repo/dist/src/raft/raft.js' } },
        { id: 3, callFrame: { functionName: '(garbage collector)', url: '' } },
      ],
      // Sampled at 1,100 (raft), 1,200 (idle), 1,300 (gc), 1,700 (raft), 2,000 (raft).
      samples: [2, 1, 3, 2, 2],
      timeDeltas: [100, 100, 100, 400, 300],
    };
    expect(summarizeProfile(profile)).toEqual({
      busyMs: 0.9,
      components: [{ component: 'src/raft', milliseconds: 0.8 }, { component: 'garbage collector', milliseconds: 0.1 }],
    });
    expect(summarizeProfile(profile, { fromUs: 1_250, toUs: 1_800 }).components).toEqual([
      { component: 'src/raft', milliseconds: 0.4 },
      { component: 'garbage collector', milliseconds: 0.1 },
    ]);
  });
});
