// known_hosts handling, cross-checked against OpenSSH's own ssh-keygen (hashing with -H,
// lookup with -F, fingerprints with -l).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  checkHostKey,
  entryMatches,
  fingerprint,
  knownHostsLine,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
} from './known-hosts';

const dir = mkdtempSync(join(tmpdir(), 'kvm-chaos-known-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function newKey(type: 'ed25519' | 'ecdsa' = 'ed25519') {
  const pair =
    type === 'ed25519'
      ? ssh2.utils.generateKeyPairSync('ed25519')
      : ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 });
  const [keyType = '', b64 = ''] = pair.public.split(' ');
  return { keyType, blob: Buffer.from(b64, 'base64'), publicLine: pair.public };
}

const a = newKey();
const b = newKey();
const c = newKey('ecdsa');

describe('host names and patterns', () => {
  it('uses [host]:port for ports other than 22', () => {
    expect(knownHostsName('Example.COM')).toBe('example.com');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('matches comma lists, wildcards and negations', () => {
    const [e] = parseKnownHosts(
      `*.lab,!bad.lab,10.0.0.? ${a.keyType} ${a.blob.toString('base64')}`,
    );
    if (!e) throw new Error('no entry');
    expect(entryMatches(e, 'kvm1.lab')).toBe(true);
    expect(entryMatches(e, 'bad.lab')).toBe(false);
    expect(entryMatches(e, '10.0.0.7')).toBe(true);
    expect(entryMatches(e, '10.0.0.17')).toBe(false);
    expect(entryMatches(e, 'lab')).toBe(false);
  });

  it('skips comments, blank lines, unknown markers and truncated lines', () => {
    const text = [
      '# comment',
      '',
      `@weird h ${a.keyType} ${a.blob.toString('base64')}`,
      'h ssh-ed25519',
      `h ${a.keyType} ${a.blob.toString('base64')} comment here`,
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.line).toBe(5);
  });
});

describe('checkHostKey', () => {
  const line = (host: string, k: typeof a) => `${host} ${k.keyType} ${k.blob.toString('base64')}`;

  it('known, unknown, changed and revoked', () => {
    const entries = parseKnownHosts(
      [
        line('[127.0.0.1]:2222', a),
        line('other', b),
        `@revoked * ${c.keyType} ${c.blob.toString('base64')}`,
      ].join('\n'),
    );
    expect(checkHostKey(entries, '127.0.0.1', 2222, a.blob).status).toBe('known');
    expect(checkHostKey(entries, '127.0.0.1', 2223, a.blob).status).toBe('unknown');
    const changed = checkHostKey(entries, '127.0.0.1', 2222, b.blob);
    expect(changed.status).toBe('changed');
    expect(checkHostKey(entries, 'anything', 22, c.blob).status).toBe('revoked');
  });

  it('a host known only under another key type counts as changed', () => {
    const entries = parseKnownHosts(line('kvm1', c));
    expect(checkHostKey(entries, 'kvm1', 22, a.blob).status).toBe('changed');
    expect(knownKeyTypes(entries, 'kvm1', 22)).toEqual(['ecdsa-sha2-nistp256']);
  });

  it('reads entries hashed by ssh-keygen -H', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `${line('[10.1.2.3]:2200', a)}\n${line('kvm2', b)}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));
    expect(entries.every((e) => e.hosts.startsWith('|1|'))).toBe(true);
    expect(checkHostKey(entries, '10.1.2.3', 2200, a.blob).status).toBe('known');
    expect(checkHostKey(entries, 'kvm2', 22, b.blob).status).toBe('known');
    expect(checkHostKey(entries, 'kvm2', 22, a.blob).status).toBe('changed');
    expect(checkHostKey(entries, 'kvm3', 22, a.blob).status).toBe('unknown');
  });
});

describe('lines we write', () => {
  it('are found by ssh-keygen -F, plain and hashed', async () => {
    const file = join(dir, 'written');
    await appendKnownHost(file, knownHostsLine('127.0.0.1', 2222, a.blob));
    await appendKnownHost(file, knownHostsLine('kvm9', 22, b.blob, true));
    for (const host of ['[127.0.0.1]:2222', 'kvm9']) {
      const out = execFileSync('ssh-keygen', ['-F', host, '-f', file]).toString();
      expect(out).toContain('found');
    }
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));
    expect(checkHostKey(entries, 'kvm9', 22, b.blob).status).toBe('known');
  });

  it('appending adds a missing trailing newline first', async () => {
    const file = join(dir, 'no-newline');
    writeFileSync(file, `${`kvm1 ${a.keyType} ${a.blob.toString('base64')}`}`);
    await appendKnownHost(file, knownHostsLine('kvm2', 22, b.blob));
    expect(parseKnownHosts(readFileSync(file, 'utf8'))).toHaveLength(2);
  });
});

describe('fingerprint', () => {
  it('prints SHA256 exactly like ssh-keygen -l', () => {
    for (const k of [a, c]) {
      const file = join(dir, `${k.keyType}.pub`);
      writeFileSync(file, `${k.publicLine}\n`);
      const out = execFileSync('ssh-keygen', ['-l', '-f', file]).toString();
      expect(out.split(' ')[1]).toBe(fingerprint(k.blob));
    }
    expect(fingerprint(a.blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
