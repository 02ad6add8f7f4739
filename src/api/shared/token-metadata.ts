// Where a gRPC call carries its token: read by the gRPC API (src/api/grpc/grpc-caller.ts) and
// set by the etcd JSON gateway on the HTTP port, which makes its calls over gRPC.

/** The metadata key etcd's clients send the token under (etcd's rpctypes.TokenFieldNameGRPC). */
export const TOKEN_METADATA_KEY = 'token';
