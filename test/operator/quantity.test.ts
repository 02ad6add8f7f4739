import { describe, expect, it } from 'vitest';
import { bytesOf } from '../../operator/src/quantity.js';

describe('sizes as Kubernetes quantities', () => {
  it('reads binary and decimal suffixes, fractions and plain bytes', () => {
    expect(bytesOf('8Gi')).toBe(8 * 2 ** 30);
    expect(bytesOf('1536Mi')).toBe(bytesOf('1.5Gi'));
    expect(bytesOf('1024Mi')).toBe(bytesOf('1Gi'));
    expect(bytesOf('500M')).toBe(500_000_000);
    expect(bytesOf('2k')).toBe(2000);
    expect(bytesOf('.5Ki')).toBe(512);
    expect(bytesOf('+3')).toBe(3);
    expect(bytesOf(1_073_741_824)).toBe(bytesOf('1Gi'));
  });

  it('names what is not a size', () => {
    expect(() => bytesOf('8GB')).toThrow('"8GB" is not a size');
    expect(() => bytesOf('-1Gi')).toThrow('is not a size');
    expect(() => bytesOf('1e3')).toThrow('is not a size');
  });
});
