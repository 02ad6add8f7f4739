// etcdctl's and etcd's JSON carries uint64 ids (cluster_id, member_id, lease ID) as bare
// numbers beyond 2^53; they are read as strings so they compare exactly.
export function parseEtcdJson(text: string): unknown {
  return JSON.parse(text.replace(/([:[,]\s*)(\d{16,})(?=\s*[,}\]])/g, '$1"$2"'));
}
