// Every procedure number, limit and constant the client uses, checked against libvirt's own
// protocol files (libvirt 9.0.0, vendored in fixtures/, see fixtures/README.md).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeEvent, EVENT_PROCEDURE_NUMBERS, eventMessageCodec } from './events';
import { layoutOf, parseXdr, shapeOf } from './fixtures/xdr-language';
import {
  HEADER_SIZE,
  LENGTH_SIZE,
  MAX_FRAME_LENGTH,
  MessageStatus,
  MessageType,
  readHeader,
} from './framing';
import { type ProcedureName, procedures } from './procedures';
import * as protocol from './protocol';
import { type AnyCodec, encode, type WireShape, XDR_STRING_MAX } from './xdr';

const read = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const net = parseXdr(read('virnetprotocol.x'));
const keepalive = parseXdr(read('virkeepaliveprotocol.x'));
const remote = parseXdr(read('remote_protocol.x'));
// remote_uuid is `opaque[VIR_UUID_BUFLEN]`; the constant comes from include/libvirt/libvirt-common.h.
const C_HEADERS = new Map([['VIR_UUID_BUFLEN', 16]]);

function constant(spec: ReturnType<typeof parseXdr>, name: string): number {
  const v = spec.consts.get(name) ?? spec.enumValues.get(name);
  if (v === undefined || Number.isNaN(v)) throw new Error(`${name} is not a number in the .x file`);
  return v;
}

/** domainGetXmlDesc -> DOMAIN_GET_XML_DESC */
const snake = (camel: string) => camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

function shapeOfCodec(codec: AnyCodec, what: string): WireShape {
  if (!codec.shape) throw new Error(`${what} has no wire shape`);
  return codec.shape;
}

/** The wire layout of remote_<name>_<suffix>; a struct rpcgen never emits means void. */
function specLayout(name: string, suffix: 'args' | 'ret' | 'msg') {
  const struct = `remote_${name.toLowerCase()}_${suffix}`;
  return remote.structs.has(struct) ? layoutOf(shapeOf(remote, struct, C_HEADERS)) : [];
}

describe("the client's protocol against libvirt 9.0.0's .x files", () => {
  it('reads the files', () => {
    expect(remote.enums.get('remote_procedure')?.size).toBe(443);
    expect(constant(remote, 'REMOTE_PROC_NWFILTER_DEFINE_XML_FLAGS')).toBe(431);
  });

  it('uses the programs and versions of the .x files', () => {
    expect(protocol.REMOTE_PROGRAM).toBe(constant(remote, 'REMOTE_PROGRAM'));
    expect(protocol.REMOTE_PROTOCOL_VERSION).toBe(constant(remote, 'REMOTE_PROTOCOL_VERSION'));
    expect(protocol.KEEPALIVE_PROGRAM).toBe(constant(keepalive, 'KEEPALIVE_PROGRAM'));
    expect(protocol.KEEPALIVE_PROTOCOL_VERSION).toBe(
      constant(keepalive, 'KEEPALIVE_PROTOCOL_VERSION'),
    );
    expect(protocol.KeepaliveProc).toEqual({
      Ping: constant(keepalive, 'KEEPALIVE_PROC_PING'),
      Pong: constant(keepalive, 'KEEPALIVE_PROC_PONG'),
    });
    expect(protocol.AuthType).toEqual({
      None: constant(remote, 'REMOTE_AUTH_NONE'),
      Sasl: constant(remote, 'REMOTE_AUTH_SASL'),
      Polkit: constant(remote, 'REMOTE_AUTH_POLKIT'),
    });
  });

  it('has every REMOTE_* limit of protocol.ts as remote_protocol.x says', () => {
    const limits = Object.entries(protocol).filter(
      ([k, v]) => /^REMOTE_\w+_MAX$/.test(k) && typeof v === 'number',
    );
    expect(limits.length).toBeGreaterThanOrEqual(9);
    for (const [name, value] of limits) expect(value, name).toBe(constant(remote, name));
    expect(protocol.REMOTE_NWFILTER_LIST_MAX).toBe(16_384);
  });

  it('frames messages with the sizes, types and statuses of virnetprotocol.x', () => {
    expect(HEADER_SIZE).toBe(constant(net, 'VIR_NET_MESSAGE_HEADER_MAX'));
    expect(LENGTH_SIZE).toBe(constant(net, 'VIR_NET_MESSAGE_LEN_MAX'));
    // The length word counts itself; VIR_NET_MESSAGE_MAX does not (virnetmessage.c).
    expect(MAX_FRAME_LENGTH).toBe(
      constant(net, 'VIR_NET_MESSAGE_MAX') + constant(net, 'VIR_NET_MESSAGE_LEN_MAX'),
    );
    expect(constant(net, 'VIR_NET_MESSAGE_PAYLOAD_MAX')).toBe(
      constant(net, 'VIR_NET_MESSAGE_MAX') - HEADER_SIZE,
    );
    expect(XDR_STRING_MAX).toBe(constant(net, 'VIR_NET_MESSAGE_STRING_MAX'));
    expect(protocol.REMOTE_STRING_MAX).toBe(constant(net, 'VIR_NET_MESSAGE_STRING_MAX'));
    const types = net.enums.get('virNetMessageType');
    expect(Object.values(MessageType)).toEqual([...(types?.values() ?? [])]);
    expect(Object.keys(MessageType).map(snake)).toEqual(
      [...(types?.keys() ?? [])].map((k) => k.replace(/^VIR_NET_/, '')),
    );
    const statuses = net.enums.get('virNetMessageStatus');
    expect(Object.keys(MessageStatus).map(snake)).toEqual(
      [...(statuses?.keys() ?? [])].map((k) => k.replace(/^VIR_NET_/, '')),
    );
    expect(Object.values(MessageStatus)).toEqual([...(statuses?.values() ?? [])]);
  });

  it('reads the header fields in the order and signedness of virNetMessageHeader', () => {
    const fields = net.structs.get('virNetMessageHeader') ?? [];
    const allOnes = readHeader(Buffer.alloc(HEADER_SIZE, 0xff));
    expect(Object.keys(allOnes)).toEqual(fields.map((f) => f.name));
    for (const f of fields) {
      const signed = layoutOf(shapeOf(net, f))[0]?.t === 'int';
      expect(allOnes[f.name as keyof typeof allOnes], f.name).toBe(signed ? -1 : 0xffff_ffff);
    }
    expect(fields.length * 4).toBe(HEADER_SIZE);
  });

  describe('every procedure in the table', () => {
    for (const name of Object.keys(procedures) as ProcedureName[]) {
      const proc = `REMOTE_PROC_${snake(name)}`;
      it(`${name} is ${proc}, with its args and ret as rpcgen lays them out`, () => {
        const def = procedures[name];
        expect(def.proc).toBe(constant(remote, proc));
        expect(layoutOf(shapeOfCodec(def.args, `${name} args`))).toEqual(
          specLayout(snake(name), 'args'),
        );
        expect(layoutOf(shapeOfCodec(def.ret, `${name} ret`))).toEqual(
          specLayout(snake(name), 'ret'),
        );
      });
    }
  });

  it('decodes remote_error (and virNetMessageError) field for field', () => {
    const ours = layoutOf(shapeOfCodec(protocol.remoteError, 'remoteError'));
    expect(ours).toEqual(layoutOf(shapeOf(remote, 'remote_error', C_HEADERS)));
    expect(ours).toEqual(layoutOf(shapeOf(net, 'virNetMessageError', C_HEADERS)));
  });

  it('decodes the events we subscribe to with their procedure numbers and messages', () => {
    const events: Record<string, string> = {
      DOMAIN_EVENT_CALLBACK_LIFECYCLE: 'domain-lifecycle',
      DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED: 'domain-device-removed',
      DOMAIN_EVENT_CALLBACK_DEVICE_ADDED: 'domain-device-added',
      DOMAIN_EVENT_CALLBACK_METADATA_CHANGE: 'domain-metadata-change',
      NETWORK_EVENT_LIFECYCLE: 'network-lifecycle',
    };
    expect([...EVENT_PROCEDURE_NUMBERS].sort()).toEqual(
      Object.keys(events)
        .map((e) => constant(remote, `REMOTE_PROC_${e}`))
        .sort(),
    );
    const obj = { name: 'x', uuid: '00000000-0000-0000-0000-000000000001', id: 1 };
    for (const [event, kind] of Object.entries(events)) {
      const proc = constant(remote, `REMOTE_PROC_${event}`);
      const codec = eventMessageCodec(proc);
      expect(codec, event).toBeDefined();
      if (!codec) continue;
      expect(layoutOf(shapeOfCodec(codec, event)), event).toEqual(specLayout(event, 'msg'));
      const sample = encode(codec, {
        callbackID: 7,
        dom: obj,
        net: { name: 'n', uuid: obj.uuid },
        event: 0,
        detail: 0,
        devAlias: 'net0',
        type: 2,
        nsuri: 'https://kvm-chaos.dev/xmlns/labels/1',
      });
      expect(decodeEvent(proc, sample)?.event.kind, event).toBe(kind);
    }
  });
});
