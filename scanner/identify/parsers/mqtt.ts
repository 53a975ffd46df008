// MQTT 3.1.1: we send CONNECT then (allowed before CONNACK) SUBSCRIBE to $SYS/broker/version;
// a broker answers CONNACK, and brokers that publish $SYS (Mosquitto) send their version.

import type { ParsedService } from './types.ts';

function remainingLength(data: Buffer, off: number): [number, number] | null {
  let mult = 1;
  let value = 0;
  for (let i = 0; i < 4; i++) {
    if (off + 1 + i >= data.length) return null;
    const b = data[off + 1 + i];
    value += (b & 127) * mult;
    mult *= 128;
    if ((b & 128) === 0) return [value, i + 1];
  }
  return null;
}

export const MQTT_CONNECT_SUBSCRIBE = (() => {
  const clientId = Buffer.from('luna-scan', 'latin1');
  const varHeader = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 10]); // MQTT, level 4, clean session, keepalive 10
  const connectBody = Buffer.concat([varHeader, Buffer.from([0, clientId.length]), clientId]);
  const connect = Buffer.concat([Buffer.from([0x10, connectBody.length]), connectBody]);
  const topic = Buffer.from('$SYS/broker/version', 'latin1');
  const subBody = Buffer.concat([Buffer.from([0, 1, 0, topic.length]), topic, Buffer.from([0])]);
  const subscribe = Buffer.concat([Buffer.from([0x82, subBody.length]), subBody]);
  return Buffer.concat([connect, subscribe]);
})();

const CONNACK_CODES: Record<number, string> = { 0: 'accepted', 1: 'bad protocol version', 2: 'identifier rejected', 3: 'server unavailable', 4: 'bad credentials', 5: 'not authorized' };

export function parseMqtt(data: Buffer): ParsedService | null {
  if (data.length < 4 || data[0] !== 0x20 || data[1] !== 2) return null;
  const code = data[3];
  if (data[2] > 1 || !(code in CONNACK_CODES)) return null;
  const facts: ParsedService = { service: 'mqtt', product: null, version: null, extra: { connack: CONNACK_CODES[code] }, soft: code === 0 };
  let off = 4;
  while (off < data.length) {
    const rl = remainingLength(data, off);
    if (!rl) break;
    const [len, lenBytes] = rl;
    const start = off + 1 + lenBytes;
    if (start + len > data.length) break;
    if ((data[off] & 0xf0) === 0x30 && len >= 2) {
      const tlen = data.readUInt16BE(start);
      const topic = data.toString('utf8', start + 2, start + 2 + tlen);
      const qos = (data[off] >> 1) & 3;
      const payload = data.toString('utf8', start + 2 + tlen + (qos ? 2 : 0), start + len);
      if (topic === '$SYS/broker/version') {
        const m = /^(\w[\w .-]*?)\s+version\s+([\w.-]+)/i.exec(payload);
        facts.product = m ? (m[1].toLowerCase() === 'mosquitto' ? 'Mosquitto' : m[1]) : payload.slice(0, 64);
        facts.version = m ? m[2] : null;
        facts.soft = false;
      }
    }
    off = start + len;
  }
  return facts;
}
