// The gRPC channels the load goes over: --conns of them, dealt to the endpoints in turn and
// shared round-robin by the clients, as etcd's benchmark shares its connections.
import { Client } from '@grpc/grpc-js';
import type { ClientTls } from '../client/client-options.js';
import { channelCredentialsOf } from '../client/grpc-channels.js';
import { type ClientUser, TokenSource } from '../client/token-source.js';

/** How long a channel may take to connect before the run is refused. */
const CONNECT_TIMEOUT_MS = 5_000;

/** An endpoint that did not accept a connection in time; nothing was sent. */
export class BenchConnectError extends Error {
  override readonly name = 'BenchConnectError';
}

export class LoadChannels {
  private constructor(
    private readonly channels: readonly Client[],
    private readonly tokens: TokenSource | undefined,
  ) {}

  /**
   * Opens the channels and waits until each is connected; throws BenchConnectError. With a
   * user, every call carries its token, got and renewed as the client library does.
   */
  static async open(endpoints: readonly string[], conns: number, tls: ClientTls | undefined, user: ClientUser | undefined, requestTimeoutMs: number): Promise<LoadChannels> {
    const channelCredentials = channelCredentialsOf(tls);
    const tokens = user === undefined ? undefined : new TokenSource(user, requestTimeoutMs, channelCredentials);
    // A local subchannel pool gives every channel its own TCP connection; by default grpc-js
    // would share one connection among channels to the same address.
    const channels = Array.from({ length: conns }, (_unused, index) => {
      const endpoint = endpoints[index % endpoints.length] as string;
      return new Client(endpoint, channelCredentials, { 'grpc.use_local_subchannel_pool': 1, ...(tokens === undefined ? {} : { interceptors: [tokens.interceptor(endpoint)] }) });
    });
    const opened = new LoadChannels(channels, tokens);
    try {
      await Promise.all(channels.map((channel, index) => waitUntilConnected(channel, endpoints[index % endpoints.length] as string)));
    } catch (error) {
      opened.close();
      throw error;
    }
    return opened;
  }

  /** The channel of client number `client`. */
  forClient(client: number): Client {
    return this.channels[client % this.channels.length] as Client;
  }

  close(): void {
    for (const channel of this.channels) channel.close();
    this.tokens?.close();
  }
}

function waitUntilConnected(channel: Client, endpoint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.waitForReady(Date.now() + CONNECT_TIMEOUT_MS, (error) => {
      if (error === undefined || error === null) resolve();
      else reject(new BenchConnectError(`cannot connect to ${endpoint} within ${CONNECT_TIMEOUT_MS} ms; is the server running there (check --endpoints)?`));
    });
  });
}
