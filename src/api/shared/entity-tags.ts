// A key's entity tag is its mod revision in quotes: the REST API's ETag and If-Match, and how a
// refused conditional write on either API names the key's current state.

export function entityTagOf(modRevision: number): string {
  return `"${modRevision}"`;
}
