// etcd's JSON for the messages of proto/etcd, as etcd 3.4's gateway (grpc-gateway v1 with
// golang/protobuf's jsonpb, OrigName) writes and reads it: the proto field names as declared
// (`create_revision`, `ID`, `TTL`, `dbSize`), 64-bit integers as strings, bytes as standard
// base64, enums by name, and fields at their default left out, so a PUT event has no "type".
// Input takes either field name, 64-bit integers as strings or numbers and enums by name or
// number, as jsonpb does. This is protobuf's canonical proto3 JSON mapping, which protobuf-es
// implements over the descriptors `npm run generate` embeds (scripts/generate-etcd-descriptors.mjs).
//
// Unlike etcd 3.4, whose gateway ignores a field it does not know, an unknown field is refused:
// a misspelt `prev_kv` or `ignore_lease` would otherwise change what the call does without a word.
import { createFileRegistry, type DescMessage, type DescMethod, fromBinary, fromJson, type JsonValue, toBinary, toJson } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ETCD_FILE_DESCRIPTOR_SET_BASE64 } from '../../../generated/etcd/descriptors.js';
import { GatewayError } from './gateway-errors.js';

const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, Buffer.from(ETCD_FILE_DESCRIPTOR_SET_BASE64, 'base64')));

/** A method of an etcd service; throws when proto/etcd has no such method (a programmer error). */
export function etcdMethodOf(service: string, method: string): DescMethod {
  const found = registry.getService(service)?.methods.find((candidate) => candidate.name === method);
  if (found === undefined) throw new Error(`proto/etcd has no method ${service}.${method}`);
  return found;
}

/** A request as etcd's JSON → its protobuf encoding; JSON that does not fit the message is INVALID_ARGUMENT. */
export function binaryFromJson(schema: DescMessage, json: JsonValue): Uint8Array {
  let message;
  try {
    message = fromJson(schema, json);
  } catch (error) {
    throw new GatewayError(GrpcStatus.INVALID_ARGUMENT, error instanceof Error ? error.message : String(error));
  }
  return toBinary(schema, message);
}

/** A response's protobuf encoding → etcd's JSON. */
export function jsonFromBinary(schema: DescMessage, bytes: Uint8Array): JsonValue {
  return toJson(schema, fromBinary(schema, bytes), { useProtoFieldName: true });
}

/** A request body as JSON; an empty body is the empty message, as in etcd's gateway. */
export function parseJsonText(text: string): JsonValue {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new GatewayError(GrpcStatus.INVALID_ARGUMENT, `the body is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
