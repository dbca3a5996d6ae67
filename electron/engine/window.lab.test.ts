// The unfiltered window, measured on the wire's side: the port's ebtables rules polled in the
// lab's namespace every ~15 ms while the engine changes it. A guest whose protection kvm-chaos set
// keeps rules in force through cut, heal, a protection change and unprotect (0 ms without rules);
// a guest whose binding someone else made can only be cut by replacing that binding: the change
// is refused until allowed, and then the window is real and measured.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactlyCut, fullyConnected, holds, virsh, waitForMatrix } from '../../lab/lab-client';
import { type GuestId, unwrap } from '../../shared/api';
import { bindingXmls, cutBetween, type LabEngine, labEngine, ourFilters } from './lab-support';

let lab: LabEngine;
let originalBindings: Map<string, string>;
const originalXml = new Map<string, { live: string; config: string }>();

/** Rules on one port, from `nft list table bridge nat`: its jumps and the rules of its chains. */
function portRules(listing: string, port: string): number {
  let chain = '';
  let count = 0;
  const own = new RegExp(`-${port}(-|$)`);
  for (const raw of listing.split('\n')) {
    const line = raw.trim();
    const head = /^chain (\S+) \{$/.exec(line);
    if (head) {
      chain = head[1] as string;
      continue;
    }
    if (!line || line === '}' || line.startsWith('type ') || line.startsWith('table ')) continue;
    if (own.test(chain)) count++;
    else if (line.includes(`"${port}"`)) count++;
  }
  return count;
}

function rulesListing(): Promise<string> {
  // nft only reads. `ebtables -L` (nf_tables backend) was seen to make libvirt's own concurrent
  // `ebtables -A` fail (RULE_DELETE), with or without --concurrent, and the change roll back.
  return new Promise((resolve, reject) =>
    execFile('nft', ['list', 'table', 'bridge', 'nat'], (e, out) => (e ? reject(e) : resolve(out))),
  );
}

/** Polls the port's rules while `during` runs; the longest stretch with none, in ms. */
async function longestGap(port: string, during: () => Promise<unknown>) {
  let running = true;
  let polls = 0;
  let gapStart: number | null = null;
  let longest = 0;
  const poller = (async () => {
    while (running) {
      const t = performance.now();
      // ebtables-nft can fail to list while libvirt rewrites chains: such a poll says nothing.
      const listing = await rulesListing().catch(() => null);
      if (listing === null) {
        await new Promise((r) => setTimeout(r, 15));
        continue;
      }
      const n = portRules(listing, port);
      polls++;
      if (n === 0) gapStart ??= t;
      else if (gapStart !== null) {
        longest = Math.max(longest, t - gapStart);
        gapStart = null;
      }
      await new Promise((r) => setTimeout(r, 15));
    }
    if (gapStart !== null) longest = Math.max(longest, performance.now() - gapStart);
  })();
  try {
    await during();
    await new Promise((r) => setTimeout(r, 300)); // rules settle after the call returns
  } finally {
    running = false;
    await poller;
  }
  return { longestMs: Math.round(longest), polls };
}

async function guestId(name: string): Promise<GuestId> {
  return (await lab.guest(name)).id;
}

async function portOf(name: string): Promise<string> {
  const p = (await lab.guest(name)).interfaces[0]?.portdev;
  if (!p) throw new Error(`${name} has no port`);
  return p;
}

/** Sets the guest's interface (live and persistent) to `change` of its original XML. */
async function setInterface(name: string, change: (iface: string) => string) {
  const { live, config } = originalXml.get(name) as { live: string; config: string };
  const iface = (xml: string) => {
    const m = /<interface[\s\S]*?<\/interface>/.exec(xml);
    if (!m) throw new Error(`${name} has no interface`);
    return change(m[0]);
  };
  const { writeFile } = await import('node:fs/promises');
  for (const [where, xml] of [
    ['live', live],
    ['config', config],
  ] as const) {
    const file = `/tmp/kvm-chaos-window-${name}-${where}.xml`;
    await writeFile(file, iface(xml));
    await virsh(['update-device', name, file, `--${where}`]);
  }
}

/** A filterref written by hand into the guest's interface (live and persistent): not ours. */
function handWrittenCleanTraffic(name: string, ip: string) {
  return setInterface(name, (iface) =>
    iface
      .replace(/\s*<filterref[\s\S]*?(<\/filterref>|\/>)/, '')
      .replace(
        /<\/interface>$/,
        `<filterref filter='clean-traffic'><parameter name='IP' value='${ip}'/></filterref></interface>`,
      ),
  );
}

function restoreInterface(name: string) {
  return setInterface(name, (iface) => iface);
}

beforeAll(async () => {
  lab = await labEngine();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: lab.lab, what: 'a lab' });
  originalBindings = await bindingXmls();
  for (const g of lab.lab.guests)
    originalXml.set(g.name, {
      live: (await virsh(['dumpxml', g.name])).stdout,
      config: (await virsh(['dumpxml', '--inactive', g.name])).stdout,
    });
});

afterAll(async () => {
  await lab?.engine['chaos.heal']({ all: true, allowUnfilteredWindow: true });
  for (const g of ['lab-node1', 'lab-node2', 'lab-node3']) {
    const inv = await lab.inventory();
    const nic = inv.guests.find((x) => x.name === g)?.interfaces[0];
    if (nic?.protection.kind !== 'none' && nic)
      await lab.engine['protection.clear']({
        guestId: await guestId(g),
        mac: nic.mac,
        allowUnfilteredWindow: true,
      });
  }
  for (const g of ['lab-node2', 'lab-node3']) await restoreInterface(g).catch(() => {});
  await lab?.close();
  expect(await bindingXmls()).toEqual(originalBindings);
  expect(await ourFilters()).toEqual([]);
});

describe('the unfiltered window', () => {
  it('is 0 ms through cut, heal, protection change and unprotect when kvm-chaos set the protection', async () => {
    const node1 = await guestId('lab-node1');
    const mac1 = (await lab.guest('lab-node1')).interfaces[0]?.mac as string;
    unwrap(
      await lab.engine['protection.set']({
        guestId: node1,
        mac: mac1,
        presetId: 'clean-traffic',
        parameters: [],
      }),
    );
    const port = await portOf('lab-node1');
    const rulesBefore = portRules(await rulesListing(), port);
    expect(rulesBefore).toBeGreaterThan(0);

    const steps: [string, () => Promise<unknown>][] = [
      [
        'isolate lab-node1',
        async () =>
          unwrap(
            await lab.engine['chaos.apply']({
              partition: { topology: 'isolate', guestIds: [node1] },
            }),
          ),
      ],
      [
        'change its protection (no-mac-spoofing) while cut',
        async () =>
          unwrap(
            await lab.engine['protection.set']({
              guestId: node1,
              mac: mac1,
              presetId: 'no-mac-spoofing',
              parameters: [],
            }),
          ),
      ],
      [
        'back to clean-traffic while cut',
        async () =>
          unwrap(
            await lab.engine['protection.set']({
              guestId: node1,
              mac: mac1,
              presetId: 'clean-traffic',
              parameters: [],
            }),
          ),
      ],
      ['heal', async () => unwrap(await lab.engine['chaos.heal']({ all: true }))],
      [
        'cut again, then unprotect while cut',
        async () => {
          unwrap(
            await lab.engine['chaos.apply']({
              partition: { topology: 'isolate', guestIds: [node1] },
            }),
          );
          unwrap(await lab.engine['protection.clear']({ guestId: node1, mac: mac1 }));
        },
      ],
    ];
    const measured: Record<string, number> = {};
    for (const [what, step] of steps) {
      const gap = await longestGap(port, step);
      measured[what] = gap.longestMs;
      expect(gap.polls).toBeGreaterThan(5);
      expect(gap.longestMs, what).toBe(0);
    }
    // The cut stood through the unprotect: node1 is still isolated on the wire.
    const cutFlows = ['lab-node2', 'lab-node3'].flatMap((peer) =>
      (['icmp', 'tcp', 'udp'] as const).flatMap((protocol) => [
        { from: 'lab-node1', to: peer, protocol },
        { from: peer, to: 'lab-node1', protocol },
      ]),
    );
    await waitForMatrix((m) => holds(m, exactlyCut(lab.lab, ['icmp', 'tcp', 'udp'], cutFlows)), {
      timeoutMs: 20_000,
      state: lab.lab,
      what: 'lab-node1 still isolated after unprotect',
    });
    console.log(`window with protection set by kvm-chaos (ms): ${JSON.stringify(measured)}`);
    unwrap(await lab.engine['chaos.heal']({ all: true }));
    await waitForMatrix(fullyConnected, { timeoutMs: 20_000, state: lab.lab, what: 'healed' });
  });

  it('is refused where someone else’s bindings force a replace, and real (measured) once allowed', async () => {
    await handWrittenCleanTraffic('lab-node2', lab.lab.guests[1]?.ip as string);
    await handWrittenCleanTraffic('lab-node3', lab.lab.guests[2]?.ip as string);
    const before = await bindingXmls();
    const request = {
      cuts: [cutBetween(await lab.guest('lab-node2'), await lab.guest('lab-node3'))],
    };
    const refused = await lab.engine['chaos.apply'](request);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.code).toBe('unfiltered-window');
    expect(await bindingXmls()).toEqual(before);
    expect((await lab.inventory()).cuts).toEqual([]);

    const dry = unwrap(
      await lab.engine['chaos.apply']({ ...request, dryRun: true, allowUnfilteredWindow: true }),
    );
    const port = dry.plan.unfilteredWindows[0] as string;
    expect(dry.plan.unfilteredWindows).toHaveLength(1);
    const cut = await longestGap(port, async () =>
      unwrap(await lab.engine['chaos.apply']({ ...request, allowUnfilteredWindow: true })),
    );
    const heal = await longestGap(port, async () =>
      unwrap(await lab.engine['chaos.heal']({ all: true, allowUnfilteredWindow: true })),
    );
    console.log(
      `window where a hand-written binding must be replaced (ms): cut ${cut.longestMs}, heal ${heal.longestMs}`,
    );
    expect(cut.longestMs).toBeGreaterThan(0);
    expect(cut.longestMs).toBeLessThan(10_000);
    expect(heal.longestMs).toBeGreaterThan(0);
    expect(await bindingXmls()).toEqual(before);
    for (const g of ['lab-node2', 'lab-node3']) await restoreInterface(g);
  });
});
