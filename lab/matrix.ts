// Reads the probes' console lines and turns them into who-reaches-whom. Pure parsing first,
// file reading at the bottom. Guest clocks run slow under TCG, so time comes from the host:
// a round is "recent" because it is among the last lines of a console file the host saw
// written moments ago.
import { open, stat } from 'node:fs/promises';

export const PROTOCOLS = ['icmp', 'tcp', 'udp', 'macspoof', 'ipspoof'] as const;
export type Protocol = (typeof PROTOCOLS)[number];
/** The protocols every guest must reach every peer over for the lab to count as up. */
export const HEALTH_PROTOCOLS: readonly Protocol[] = ['icmp', 'tcp', 'udp'];

export interface Round {
  node: number;
  round: number;
  masks: Record<Protocol, string>;
}

const ROUND_LINE = /^@kc v1 node=(\d+) round=(\d+)((?: [a-z]+=[-01]+)+)\s*$/;

export function parseRound(line: string): Round | null {
  const m = ROUND_LINE.exec(line.trim());
  if (!m) return null;
  const fields = new Map<string, string>();
  for (const kv of (m[3] as string).trim().split(' ')) {
    const [k, v] = kv.split('=') as [string, string];
    fields.set(k, v);
  }
  const masks = {} as Record<Protocol, string>;
  for (const p of PROTOCOLS) {
    const v = fields.get(p);
    if (v === undefined) return null;
    masks[p] = v;
  }
  return { node: Number(m[1]), round: Number(m[2]), masks };
}

export function lastRounds(text: string, count: number): Round[] {
  const rounds: Round[] = [];
  for (const line of text.split('\n')) {
    const r = parseRound(line);
    if (r) rounds.push(r);
  }
  return rounds.slice(-count);
}

export interface Flow {
  from: string;
  to: string;
  protocol: Protocol;
  /** Rounds in the window in which the flow got through. */
  ok: number;
  /** Rounds in the window. */
  of: number;
}

export interface GuestReading {
  name: string;
  node: number;
  /** Milliseconds since the host last saw the console written. */
  ageMs: number;
  fresh: boolean;
  lastRound: number | null;
  lastLine: string;
}

export interface Matrix {
  at: string;
  window: number;
  guests: GuestReading[];
  flows: Flow[];
}

/**
 * icmp and tcp are measured by the sender (round trips); udp and the spoof probes by the
 * receiver (one way). Either way a flow is reported as from -> to.
 */
export function buildFlows(
  guests: readonly { name: string; node: number; rounds: readonly Round[] }[],
): Flow[] {
  const flows: Flow[] = [];
  const byNode = new Map(guests.map((g) => [g.node, g]));
  for (const from of guests)
    for (const to of guests) {
      if (from.node === to.node) continue;
      for (const protocol of PROTOCOLS) {
        const senderMeasured = protocol === 'icmp' || protocol === 'tcp';
        const observer = senderMeasured ? from : byNode.get(to.node);
        const peer = senderMeasured ? to.node : from.node;
        const rounds = observer?.rounds ?? [];
        const ok = rounds.filter((r) => r.masks[protocol][peer - 1] === '1').length;
        flows.push({ from: from.name, to: to.name, protocol, ok, of: rounds.length });
      }
    }
  return flows;
}

export const reaches = (f: Flow) => f.ok > 0;

export function flow(m: Matrix, from: string, to: string, protocol: Protocol): Flow {
  const f = m.flows.find((x) => x.from === from && x.to === to && x.protocol === protocol);
  if (!f) throw new Error(`no flow ${from} -> ${to} over ${protocol} in the matrix`);
  return f;
}

export function renderTable(m: Matrix, protocols: readonly Protocol[] = PROTOCOLS): string {
  const names = m.guests.map((g) => g.name);
  const w = Math.max(...names.map((n) => n.length), 8);
  const lines: string[] = [];
  for (const p of protocols) {
    lines.push(`${p} (from row to column, rounds ok of last ${m.window})`);
    lines.push(`${''.padEnd(w)}  ${names.map((n) => n.padEnd(w)).join('  ')}`);
    for (const from of names) {
      const cells = names.map((to) => {
        if (to === from) return '-'.padEnd(w);
        const f = flow(m, from, to, p);
        const mark = f.of === 0 ? '?' : f.ok === 0 ? 'x' : f.ok === f.of ? 'ok' : '~';
        return `${mark} ${f.ok}/${f.of}`.padEnd(w);
      });
      lines.push(`${from.padEnd(w)}  ${cells.join('  ')}`);
    }
    lines.push('');
  }
  for (const g of m.guests)
    if (!g.fresh) lines.push(`! ${g.name}: console silent for ${(g.ageMs / 1000).toFixed(1)} s`);
  return lines.join('\n').trimEnd();
}

const TAIL_BYTES = 16 * 1024;
const FRESH_MS = 3000;

export async function readTail(path: string, bytes = TAIL_BYTES): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

export async function readMatrixFrom(
  guests: readonly { name: string; index: number; console: string }[],
  window = 4,
): Promise<Matrix> {
  const now = Date.now();
  const readings = await Promise.all(
    guests.map(async (g) => {
      let text = '';
      let ageMs = Number.POSITIVE_INFINITY;
      try {
        text = await readTail(g.console);
        ageMs = now - (await stat(g.console)).mtimeMs;
      } catch {
        // A missing console reads as a silent guest.
      }
      const rounds = lastRounds(text, window);
      const fresh = ageMs < FRESH_MS;
      const lines = text.trimEnd().split('\n');
      return {
        name: g.name,
        node: g.index,
        // A silent console is stale evidence: it counts as no rounds at all.
        rounds: fresh ? rounds : [],
        reading: {
          name: g.name,
          node: g.index,
          ageMs,
          fresh,
          lastRound: rounds.at(-1)?.round ?? null,
          lastLine: lines.at(-1) ?? '',
        },
      };
    }),
  );
  return {
    at: new Date(now).toISOString(),
    window,
    guests: readings.map((r) => r.reading),
    flows: buildFlows(readings),
  };
}
