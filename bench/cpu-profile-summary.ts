// Where a V8 CPU profile (node --cpu-prof) spent its time, by component: the product's own
// modules by folder, each dependency by package, Node's HTTP/2 apart from its other
// internals, and the garbage collector. Only the main JavaScript thread is sampled: LevelDB's
// and libuv's worker threads (reads, writes, fsync) do not appear here.

/** The parts of a .cpuprofile file this summary reads. */
export interface CpuProfile {
  /** When sampling started, µs on the monotonic clock (process.hrtime's, on Linux). */
  readonly startTime: number;
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string } }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ComponentTime {
  readonly component: string;
  readonly milliseconds: number;
}

export interface ProfileSummary {
  /** Sampled time the thread was not idle, in ms. */
  readonly busyMs: number;
  /** Busy time by component, largest first. */
  readonly components: readonly ComponentTime[];
}

const IDLE = '(idle)';

/** The component a function belongs to, from its script's URL. */
export function componentOf(functionName: string, url: string): string {
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(idle)') return IDLE;
  // Time in V8 itself and in C++ outside any JavaScript call: nghttp2's framing, libuv, the compiler.
  if (functionName === '(program)') return '(program): V8, nghttp2, libuv';
  // A native function called from JavaScript, such as a file system binding.
  if (url === '') return `native ${functionName}()`;
  const dependency = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dependency !== null) return dependency[1] as string;
  // The product's modules, built (dist/src/...) or from source (src/...), by their folder.
  const product = /\/src\/(.+)$/.exec(url);
  if (product !== null) {
    const path = product[1] as string;
    const folder = path.includes('/') ? path.slice(0, path.indexOf('/')) : undefined;
    if (folder === undefined) return 'src (top level)';
    return folder === 'generated' ? 'generated protobuf code' : `src/${folder}`;
  }
  if (url.startsWith('node:internal/http2') || url === 'node:http2') return 'Node HTTP/2';
  if (url.startsWith('node:internal/streams') || url === 'node:stream') return 'Node streams';
  if (url.startsWith('node:')) return 'Node internals (other)';
  return 'other scripts';
}

/** A span of the monotonic clock, in µs, to which a summary is limited. */
export interface TimeWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

export function summarizeProfile(profile: CpuProfile, window?: TimeWindow): ProfileSummary {
  const componentById = new Map(profile.nodes.map((node) => [node.id, componentOf(node.callFrame.functionName, node.callFrame.url)]));
  const microseconds = new Map<string, number>();
  let sampledAtUs = profile.startTime;
  // Each sample's delta is the time since the previous sample, spent where this one landed.
  profile.samples.forEach((nodeId, index) => {
    const deltaUs = profile.timeDeltas[index] ?? 0;
    sampledAtUs += deltaUs;
    if (window !== undefined && (sampledAtUs < window.fromUs || sampledAtUs > window.toUs)) return;
    const component = componentById.get(nodeId) ?? 'other scripts';
    microseconds.set(component, (microseconds.get(component) ?? 0) + deltaUs);
  });
  microseconds.delete(IDLE);
  const components = [...microseconds].map(([component, us]) => ({ component, milliseconds: us / 1_000 })).sort((a, b) => b.milliseconds - a.milliseconds);
  return { busyMs: components.reduce((sum, entry) => sum + entry.milliseconds, 0), components };
}
