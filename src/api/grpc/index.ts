export { startGrpcApi, type GrpcApi, type GrpcApiOptions, type ServiceRegistrar } from './grpc-server.js';
export type { GrpcLimits } from './grpc-limits.js';
