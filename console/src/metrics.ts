// The member's own /metrics (Prometheus text), parsed here: the request rate and the 99th
// percentile latency are computed from two scrapes, as Prometheus' rate() and
// histogram_quantile() would.
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export type Scrape = ReadonlyMap<string, readonly Sample[]>;

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Scrape {
  const scrape = new Map<string, Sample[]>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL)) labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_all, character: string) => (character === 'n' ? '\n' : character));
    const samples = scrape.get(match[1] as string) ?? [];
    samples.push({ labels, value: Number(match[3]) });
    scrape.set(match[1] as string, samples);
  }
  return scrape;
}

export function sum(scrape: Scrape, name: string, keep: (labels: Readonly<Record<string, string>>) => boolean = () => true): number {
  return (scrape.get(name) ?? []).filter((sample) => keep(sample.labels)).reduce((total, sample) => total + sample.value, 0);
}

export function value(scrape: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  return scrape.get(name)?.find((sample) => Object.entries(labels).every(([label, wanted]) => sample.labels[label] === wanted))?.value;
}

/** The histograms the request figures are read from: every REST and every gRPC request. */
export const REQUEST_HISTOGRAMS = ['bvault_http_request_duration_seconds', 'grpc_server_handling_seconds'] as const;

/** Requests per second between two scrapes `seconds` apart. */
export function requestRate(before: Scrape, after: Scrape, seconds: number): number {
  let requests = 0;
  for (const histogram of REQUEST_HISTOGRAMS) requests += sum(after, `${histogram}_count`) - sum(before, `${histogram}_count`);
  return Math.max(0, requests) / seconds;
}

/**
 * The 99th percentile latency in seconds of the requests between two scrapes, per histogram,
 * the higher of REST's and gRPC's (their buckets differ, so they are not merged); null when
 * no request ended in between.
 */
export function p99Seconds(before: Scrape, after: Scrape): number | null {
  let highest: number | null = null;
  for (const histogram of REQUEST_HISTOGRAMS) {
    const quantile = histogramQuantile(0.99, bucketDeltas(before, after, `${histogram}_bucket`));
    if (quantile !== null && (highest === null || quantile > highest)) highest = quantile;
  }
  return highest;
}

/** Cumulative counts by upper bound between two scrapes, summed over every label but `le` of the samples `keep` accepts. */
export function bucketDeltas(before: Scrape, after: Scrape, name: string, keep: (labels: Readonly<Record<string, string>>) => boolean = () => true): [number, number][] {
  const byBound = new Map<number, number>();
  const add = (scrape: Scrape, sign: number): void => {
    for (const sample of scrape.get(name) ?? []) {
      if (!keep(sample.labels)) continue;
      const bound = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
      byBound.set(bound, (byBound.get(bound) ?? 0) + sign * sample.value);
    }
  };
  add(after, 1);
  add(before, -1);
  return [...byBound].sort((a, b) => a[0] - b[0]);
}

/** Prometheus' histogram_quantile over cumulative buckets; null when they are empty. */
export function histogramQuantile(quantile: number, buckets: readonly [number, number][]): number | null {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = quantile * total;
  let previousBound = 0;
  let previousCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === Infinity) return previousBound;
      const inBucket = count - previousCount;
      return inBucket <= 0 ? bound : previousBound + ((bound - previousBound) * (rank - previousCount)) / inBucket;
    }
    previousBound = bound;
    previousCount = count;
  }
  return previousBound;
}
