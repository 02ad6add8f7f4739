// The console's live figures, computed in the browser from two scrapes of /metrics as
// Prometheus' rate() and histogram_quantile() would: the parser, the request rate over REST
// and gRPC together, and the 99th percentile interpolated within its bucket.
import { describe, expect, it } from 'vitest';
import { p99Seconds, parseMetrics, requestRate, sum, value } from '../../console/src/metrics.js';

function scrape(httpBuckets: readonly [string, number][], grpcCount: number): string {
  const http = httpBuckets.map(([le, count]) => `bvault_http_request_duration_seconds_bucket{le="${le}",method="GET",route="/api/v1/keys/*",status_code="200"} ${count}`);
  const httpCount = httpBuckets[httpBuckets.length - 1]?.[1] ?? 0;
  return [
    '# HELP bvault_http_request_duration_seconds REST requests',
    '# TYPE bvault_http_request_duration_seconds histogram',
    ...http,
    `bvault_http_request_duration_seconds_count{method="GET",route="/api/v1/keys/*",status_code="200"} ${httpCount}`,
    `grpc_server_handling_seconds_bucket{le="+Inf",grpc_method="Put"} ${grpcCount}`,
    `grpc_server_handling_seconds_count{grpc_method="Put"} ${grpcCount}`,
    'bvault_network_active_peers{Remote="a1"} 1',
    'bvault_network_active_peers{Remote="b2"} 0',
    'label_with_escapes{path="a\\"b\\\\c"} 7',
    '',
  ].join('\n');
}

describe('the console’s figures from /metrics', () => {
  it('parses samples with their labels, escapes included', () => {
    const parsed = parseMetrics(scrape([['+Inf', 3]], 0));
    expect(value(parsed, 'bvault_network_active_peers', { Remote: 'b2' })).toBe(0);
    expect(value(parsed, 'bvault_network_active_peers', { Remote: 'a1' })).toBe(1);
    expect(parsed.get('label_with_escapes')?.[0]?.labels.path).toBe('a"b\\c');
    expect(sum(parsed, 'bvault_network_active_peers')).toBe(1);
  });

  it('counts REST and gRPC requests per second between two scrapes', () => {
    const before = parseMetrics(scrape([['+Inf', 100]], 50));
    const after = parseMetrics(scrape([['+Inf', 120]], 60));
    expect(requestRate(before, after, 2)).toBe(15);
  });

  it('interpolates the 99th percentile within the bucket that holds it, and has none without requests', () => {
    const buckets = (fast: number, slow: number): [string, number][] => [['0.005', fast], ['0.01', fast], ['0.1', fast + slow], ['+Inf', fast + slow]];
    const before = parseMetrics(scrape(buckets(0, 0), 0));
    // 90 requests under 5 ms and 10 between 10 and 100 ms: the 99th is the 9th of those 10.
    const after = parseMetrics(scrape(buckets(90, 10), 0));
    expect(p99Seconds(before, after)).toBeCloseTo(0.01 + (0.09 * 9) / 10, 6);
    expect(p99Seconds(after, after)).toBeNull();
  });
});
