export { startGrpcApi, type GrpcApi, type GrpcApiOptions, type ServiceRegistrar } from './grpc-server.js';
export { DEFAULT_GRPC_LIMITS, type GrpcLimits } from './grpc-limits.js';
export { ERROR_CODE_TRAILER, COMPACT_REVISION_TRAILER } from './grpc-errors.js';
