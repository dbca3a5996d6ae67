// known_hosts as OpenSSH reads it: plain and [host]:port names, wildcard and negated
// patterns, hashed |1|salt|hash entries, @revoked markers; SHA256 fingerprints printed the
// way `ssh` prints them. Pure functions plus one append.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KnownHostsEntry {
  marker: 'revoked' | 'cert-authority' | null;
  /** The host field as written: patterns, or a hashed |1|salt|hash. */
  hosts: string;
  keyType: string;
  key: Buffer;
  /** 1-based line number, for messages. */
  line: number;
}

export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const out: KnownHostsEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostsEntry['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64) continue;
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length === 0) continue;
    out.push({ marker, hosts, keyType, key, line: i + 1 });
  }
  return out;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostsName(host: string, port = 22): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function wildcardMatch(pattern: string, text: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(text);
}

function hashedMatch(field: string, name: string): boolean {
  const parts = field.split('|');
  // "|1|salt|hash" splits into ["", "1", salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2] ?? '', 'base64');
  const want = Buffer.from(parts[3] ?? '', 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return want.length === got.length && got.equals(want);
}

/** Does this entry's host field name `name` (as made by knownHostsName)? */
export function entryMatches(entry: KnownHostsEntry, name: string): boolean {
  if (entry.hosts.startsWith('|')) return hashedMatch(entry.hosts, name);
  let matched = false;
  for (const pattern of entry.hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (wildcardMatch(pattern.slice(1), name)) return false;
    } else if (wildcardMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The key type named inside an SSH wire-format public key blob. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return '';
  const n = key.readUInt32BE(0);
  return key.subarray(4, 4 + n).toString('latin1');
}

/** "SHA256:..." exactly as `ssh` and `ssh-keygen -l` print it: the key blob's digest, unpadded. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostsEntry }
  | { status: 'unknown' }
  /** The host is known with other keys: refuse (possible man-in-the-middle). */
  | { status: 'changed'; known: KnownHostsEntry[] }
  | { status: 'revoked'; entry: KnownHostsEntry };

/**
 * Checks the key a host presented against known_hosts entries. Stricter than OpenSSH in one
 * place: a host known only under other key types counts as changed, not new (the dialer
 * prefers the known types when negotiating, so this only happens when the server no longer
 * offers any of them).
 */
export function checkHostKey(
  entries: readonly KnownHostsEntry[],
  host: string,
  port: number,
  key: Buffer,
): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const forHost = entries.filter((e) => e.marker === null && entryMatches(e, name));
  const same = forHost.find((e) => e.key.equals(key));
  if (same) return { status: 'known', entry: same };
  if (forHost.length > 0) return { status: 'changed', known: forHost };
  return { status: 'unknown' };
}

/** The key types known_hosts holds for a host, most specific first (for negotiation). */
export function knownKeyTypes(
  entries: readonly KnownHostsEntry[],
  host: string,
  port: number,
): string[] {
  const name = knownHostsName(host, port);
  const types = entries
    .filter((e) => e.marker === null && entryMatches(e, name))
    .map((e) => keyTypeOf(e.key));
  return [...new Set(types)];
}

/** A known_hosts line for this host and key; hashed like HashKnownHosts=yes when asked. */
export function knownHostsLine(host: string, port: number, key: Buffer, hash = false): string {
  const name = knownHostsName(host, port);
  let field = name;
  if (hash) {
    const salt = randomBytes(20);
    const digest = createHmac('sha1', salt).update(name).digest();
    field = `|1|${salt.toString('base64')}|${digest.toString('base64')}`;
  }
  return `${field} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

export async function readKnownHosts(file: string): Promise<KnownHostsEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Appends one line, adding the newline the file may lack; creates ~/.ssh if needed. */
export async function appendKnownHost(file: string, line: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const current = await readFile(file, 'utf8');
    if (current.length > 0 && !current.endsWith('\n')) prefix = '\n';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await appendFile(file, `${prefix}${line}\n`, { mode: 0o644 });
}
