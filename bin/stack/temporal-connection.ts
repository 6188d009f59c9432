// How every binllm process reaches Temporal: TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (+ TLS or an
// API key) for a real cluster, else the dev server that `binllm up` started.
import { readFileSync } from 'node:fs';
import { Connection, Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { readTemporalState } from './temporal.ts';

export interface TemporalTarget {
  address: string;
  namespace: string;
  tls?: { clientCertPair?: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer } | boolean;
  apiKey?: string;
}

export function temporalTarget(): TemporalTarget {
  const env = process.env;
  const address = env.TEMPORAL_ADDRESS ?? readTemporalState()?.address;
  if (!address) throw new Error('No Temporal server: TEMPORAL_ADDRESS is not set and no dev server is running. Run `./binllm up` first.');
  const namespace = env.TEMPORAL_NAMESPACE ?? 'default';
  let tls: TemporalTarget['tls'];
  if (env.TEMPORAL_TLS_CERT && env.TEMPORAL_TLS_KEY) {
    tls = {
      clientCertPair: { crt: readFileSync(env.TEMPORAL_TLS_CERT), key: readFileSync(env.TEMPORAL_TLS_KEY) },
      serverRootCACertificate: env.TEMPORAL_TLS_CA ? readFileSync(env.TEMPORAL_TLS_CA) : undefined,
    };
  } else if (env.TEMPORAL_API_KEY || env.TEMPORAL_TLS === 'true') {
    tls = true;
  }
  return { address, namespace, tls, apiKey: env.TEMPORAL_API_KEY };
}

/**
 * A client on its own gRPC channel. grpc-js shares subchannels between channels to one address by
 * default, so a connection attempt made while the server was down leaves the shared subchannel in
 * exponential backoff, and the first connection after a restart waits that out past its 10 s
 * deadline. Each connection gets a local subchannel pool, and a failed attempt closes its channel.
 */
export async function connectClient(): Promise<Client> {
  const t = temporalTarget();
  const connection = Connection.lazy({
    address: t.address, tls: t.tls, apiKey: t.apiKey, channelArgs: { 'grpc.use_local_subchannel_pool': 1 },
  });
  try {
    await connection.ensureConnected();
  } catch (e) {
    await connection.close().catch(() => undefined);
    throw e;
  }
  return new Client({ connection, namespace: t.namespace });
}

export async function connectWorkerConnection(): Promise<{ connection: NativeConnection; namespace: string }> {
  const t = temporalTarget();
  const connection = await NativeConnection.connect({ address: t.address, tls: t.tls, apiKey: t.apiKey });
  return { connection, namespace: t.namespace };
}
