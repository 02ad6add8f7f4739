// What each model's system answers to a request in a given state, for generated histories.
// The answer that depends on a comparison is chosen by asking the model which one it accepts.

import type { CasInput, CasOutput } from './models/cas-register.js';
import { casRegisterModel } from './models/cas-register.js';
import { mvccStoreModel, type MvccInput, type MvccOutput, type MvccState } from './models/mvcc-store.js';
import type { RegisterInput, RegisterOutput, RegisterState } from './models/register.js';
import { acceptedOutput, type Responder } from './sequential-execution.js';

export const respondAsRegister: Responder<RegisterState, RegisterInput, RegisterOutput> = (state, input) =>
  input.kind === 'read' ? { kind: 'read', value: state.get(input.key) ?? null } : { kind: 'write' };

export const respondAsCasRegister: Responder<RegisterState, CasInput, CasOutput> = (state, input) =>
  input.kind === 'cas'
    ? acceptedOutput(casRegisterModel, state, input, [true, false].map((succeeded) => ({ kind: 'cas', succeeded })))
    : respondAsRegister(state, input);

export const respondAsMvccStore: Responder<MvccState, MvccInput, MvccOutput> = (state, input) => {
  const step = mvccStoreModel.step(state, input, undefined);
  if (!step.ok) throw new Error('the store model must accept every request of unknown outcome');
  const revision = step.state.revision;
  switch (input.kind) {
    case 'get': {
      const record = state.keys.get(input.key);
      return { kind: 'get', value: record?.value ?? null, modRevision: record?.modRevision ?? 0, revision };
    }
    case 'put':
      return { kind: 'put', revision };
    case 'delete':
      return { kind: 'delete', deleted: state.keys.get(input.key) === undefined ? 0 : 1, revision };
    case 'txn':
      return acceptedOutput(mvccStoreModel, state, input, [true, false].map((succeeded) => ({ kind: 'txn', succeeded, revision })));
  }
};
