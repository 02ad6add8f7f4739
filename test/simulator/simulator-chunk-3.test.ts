// Seeds 1001 to 1500 of the CI run; a separate file so that vitest runs the chunks in parallel forks.

import { describe } from 'vitest';
import { seedChunk } from './seed-suite.js';

describe('the simulated cluster', () => {
  seedChunk(3);
});
