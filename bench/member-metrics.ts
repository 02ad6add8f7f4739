// A member's Prometheus series as the benchmarks read them from /metrics.
import { request, type ServerProcess } from '../test/cluster/cluster-harness.js';

/** Every sample on the member's /metrics, by its series as written (`name{labels}`). */
export async function scrapeMetrics(member: Pick<ServerProcess, 'name' | 'url'>): Promise<Map<string, number>> {
  const answer = await request(member.url, 'GET', '/metrics');
  if (answer.status !== 200) throw new Error(`${member.name} /metrics answered ${answer.status}`);
  const samples = new Map<string, number>();
  for (const line of answer.text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const separator = line.lastIndexOf(' ');
    samples.set(line.slice(0, separator), Number(line.slice(separator + 1)));
  }
  return samples;
}

/** One sample, or NaN when the member does not report it (an older build). */
export function sample(samples: ReadonlyMap<string, number>, series: string): number {
  return samples.get(series) ?? NaN;
}
