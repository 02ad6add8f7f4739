// The streamed calls of the gateway. The answer is chunked JSON, one `{"result": <response>}`
// and a newline per message, written as each arrives, then an `{"error": {...}}` chunk if the
// stream fails; the status is 200 once a result was written, the error's before that. Watch
// and lease keep-alive read the body as a sequence of JSON requests, each sent on as soon as it
// is complete. As in etcd, the end of the body does not end the stream: `curl -d '{"create_request": ...}'`
// keeps watching until the client disconnects, which cancels the call.
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { ClientDuplexStream, ClientReadableStream } from '@grpc/grpc-js';
import { binaryFromJson, jsonFromBinary, parseJsonText } from './etcd-json.js';
import { failureOf, type GatewayFailure, streamErrorChunk } from './gateway-errors.js';
import type { GatewayMethod } from './gateway-methods.js';
import { JsonValueSplitter } from './json-value-splitter.js';

/** A bidirectional call (Watch, LeaseKeepAlive) fed from the request body as it arrives. */
export function pipeBidiStream(method: GatewayMethod, body: Readable, call: ClientDuplexStream<Buffer, Buffer>, response: ServerResponse, messageBytesMax: number): void {
  const splitter = new JsonValueSplitter(messageBytesMax);
  const onData = (chunk: Buffer): void => {
    try {
      for (const text of splitter.push(chunk)) call.write(Buffer.from(binaryFromJson(method.descriptor.input, parseJsonText(text))));
    } catch (error) {
      finish(error);
    }
  };
  // The rest of the body is drained, not destroyed: destroying it would close the connection
  // before the error chunk is sent.
  const finish = forwardResults(method, call, response, () => body.off('data', onData).resume());
  body.on('data', onData);
  body.on('end', () => {
    try {
      splitter.end();
    } catch (error) {
      finish(error);
    }
  });
  body.on('error', (error) => finish(error));
}

/** A server-streaming call (Snapshot), its one request already sent. */
export function pipeServerStream(method: GatewayMethod, call: ClientReadableStream<Buffer>, response: ServerResponse): void {
  forwardResults(method, call, response, () => undefined);
}

/**
 * Writes the call's responses to the HTTP response until either ends; returns what ends the
 * exchange early, with the error to report, if any. A slow reader pauses the call.
 */
function forwardResults(method: GatewayMethod, call: ClientReadableStream<Buffer>, response: ServerResponse, stopReading: () => void): (error?: unknown) => void {
  const results = new ResultWriter(response);
  let finished = false;
  const finish = (error?: unknown): void => {
    if (finished) return;
    finished = true;
    stopReading();
    call.cancel();
    if (error !== undefined) results.fail(failureOf(error));
    results.end();
  };
  call.on('data', (bytes: Buffer) => {
    if (finished) return;
    if (!results.write(jsonFromBinary(method.descriptor.output, bytes))) {
      call.pause();
      response.once('drain', () => call.resume());
    }
  });
  call.on('error', (error) => finish(error));
  call.on('end', () => finish());
  // The client went away: its call ends with it.
  response.once('close', () => finish());
  return finish;
}

/** The chunked answer; its status is decided by what is written first. */
class ResultWriter {
  private started = false;

  constructor(private readonly response: ServerResponse) {}

  /** False when the client reads slower than results come. */
  write(result: unknown): boolean {
    this.start(200);
    return this.response.write(`${JSON.stringify({ result })}\n`);
  }

  fail(failure: GatewayFailure): void {
    if (this.response.writableEnded) return;
    this.start(failure.httpStatus);
    this.response.write(JSON.stringify(streamErrorChunk(failure)));
  }

  end(): void {
    if (this.response.writableEnded) return;
    this.start(200);
    this.response.end();
  }

  private start(status: number): void {
    if (this.started) return;
    this.started = true;
    this.response.writeHead(status, { 'content-type': 'application/json' });
  }
}
