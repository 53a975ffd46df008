// Structured parsers and payload builders by name, as referenced from the probe data file.

import type { Parser } from './types.ts';
import { parseMysql } from './mysql.ts';
import { parsePostgres, POSTGRES_STARTUP } from './postgres.ts';
import { parseAmqp, AMQP_HEADER } from './amqp.ts';
import { parseMqtt, MQTT_CONNECT_SUBSCRIBE } from './mqtt.ts';
import { parseNats } from './nats.ts';
import { parseMinecraft, minecraftStatusRequest } from './minecraft.ts';
import { parseHttp } from './http.ts';
import { parseMongodb, MONGODB_BUILDINFO } from './mongodb.ts';
import { parseEpmd, EPMD_NAMES } from './epmd.ts';
import { parseErlangDist, ERLANG_SEND_NAME } from './erlang-dist.ts';

export const PARSERS: Record<string, Parser> = {
  mysql: parseMysql,
  postgres: parsePostgres,
  amqp: parseAmqp,
  mqtt: parseMqtt,
  nats: parseNats,
  minecraft: parseMinecraft,
  http: parseHttp,
  mongodb: parseMongodb,
  epmd: parseEpmd,
  'erlang-dist': parseErlangDist,
};

export const PAYLOAD_BUILDERS: Record<string, (host: string, port: number) => Buffer> = {
  'postgres-startup': () => POSTGRES_STARTUP,
  'amqp-header': () => AMQP_HEADER,
  'mqtt-connect-subscribe': () => MQTT_CONNECT_SUBSCRIBE,
  'minecraft-slp': minecraftStatusRequest,
  'mongodb-buildinfo': () => MONGODB_BUILDINFO,
  'epmd-names': () => EPMD_NAMES,
  'erlang-send-name': () => ERLANG_SEND_NAME,
};
