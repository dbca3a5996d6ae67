import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isXmlModelError } from './errors';
import {
  cidr,
  cidrContains,
  filterName,
  ipv4,
  ipv6,
  macAddress,
  netmaskPrefix,
  portDev,
  subnetOf,
  uuid,
} from './values';

function rejects(make: (s: string) => unknown, text: string) {
  try {
    make(text);
  } catch (e) {
    expect(isXmlModelError(e, 'invalid-value')).toBe(true);
    return;
  }
  throw new Error(`accepted ${JSON.stringify(text)}`);
}

describe('branded values', () => {
  it('normalises MAC addresses to lower case with two digits per octet', () => {
    expect(macAddress('52:54:00:AB:cd:0F')).toBe('52:54:00:ab:cd:0f');
    expect(macAddress('1:2:3:4:5:6')).toBe('01:02:03:04:05:06');
    for (const bad of [
      '',
      '52:54:00:00:00',
      '52:54:00:00:00:00:00',
      '52-54-00-00-00-00',
      'zz:54:00:00:00:00',
      '$MAC',
    ])
      rejects(macAddress, bad);
  });

  it('accepts dotted quads without leading zeros', () => {
    expect(ipv4('192.168.77.11')).toBe('192.168.77.11');
    expect(ipv4('0.0.0.0')).toBe('0.0.0.0');
    for (const bad of ['192.168.77', '256.1.1.1', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d', '1..2.3'])
      rejects(ipv4, bad);
  });

  it('writes IPv6 addresses in RFC 5952 form', () => {
    expect(ipv6('FE80:0:0:0:0:0:0:1')).toBe('fe80::1');
    expect(ipv6('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(ipv6('2001:db8::0:1')).toBe('2001:db8::1');
    expect(ipv6('::')).toBe('::');
    expect(ipv6('::ffff:192.168.77.11')).toBe('::ffff:c0a8:4d0b');
    expect(ipv6('2001:db8:1:1:1:1:1:1')).toBe('2001:db8:1:1:1:1:1:1');
    for (const bad of ['1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '1.2.3.4'])
      rejects(ipv6, bad);
  });

  it('round-trips any IPv6 address through its canonical form', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const once = ipv6(text);
        expect(ipv6(once)).toBe(once);
      }),
    );
  });

  it('checks port, filter and uuid spellings', () => {
    expect(portDev('vnet12')).toBe('vnet12');
    for (const bad of ['', 'a/b', 'has space', 'sixteen-chars-xx', '.', '..', 'a:b'])
      rejects(portDev, bad);
    expect(filterName("it's <odd> & été")).toBe("it's <odd> & été");
    for (const bad of ['', 'a/b', 'tab\there']) rejects(filterName, bad);
    expect(uuid('E3B65745-3B44-431D-8D46-7344A4A5A094')).toBe(
      'e3b65745-3b44-431d-8d46-7344a4a5a094',
    );
    expect(uuid('e3b657453b44431d8d467344a4a5a094')).toBe('e3b65745-3b44-431d-8d46-7344a4a5a094');
    for (const bad of ['', 'e3b65745-3b44-431d-8d46', 'g3b65745-3b44-431d-8d46-7344a4a5a094'])
      rejects(uuid, bad);
  });

  it('understands networks and netmasks', () => {
    expect(cidr('192.168.77.0/24')).toBe('192.168.77.0/24');
    expect(cidr('2001:DB8::/32')).toBe('2001:db8::/32');
    for (const bad of ['192.168.77.0', '192.168.77.0/33', '::/129', '1.2.3.4/24/1', '1.2.3.4/x'])
      rejects(cidr, bad);
    expect(cidrContains(cidr('192.168.77.0/24'), ipv4('192.168.77.11'))).toBe(true);
    expect(cidrContains(cidr('192.168.77.0/24'), ipv4('192.168.78.11'))).toBe(false);
    expect(cidrContains(cidr('0.0.0.0/0'), ipv4('10.1.2.3'))).toBe(true);
    expect(cidrContains(cidr('2001:db8::/32'), ipv6('2001:db8:ffff::1'))).toBe(true);
    expect(cidrContains(cidr('2001:db8::/32'), ipv4('192.168.77.11'))).toBe(false);
    expect(subnetOf('192.168.77.1', 24)).toBe('192.168.77.0/24');
    expect(subnetOf('10.1.2.3', 0)).toBe('0.0.0.0/0');
    expect(subnetOf('2001:db8:ca2:2::1', 64)).toBe('2001:db8:ca2:2::/64');
    expect(netmaskPrefix('255.255.255.0')).toBe(24);
    expect(netmaskPrefix('255.255.255.255')).toBe(32);
    expect(netmaskPrefix('0.0.0.0')).toBe(0);
    expect(netmaskPrefix('255.0.255.0')).toBeNull();
  });
});
