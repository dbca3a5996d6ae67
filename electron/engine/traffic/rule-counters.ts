// The counters of the rules libvirt instantiated on the host, read where the user may: over ssh
// as an exec channel on the libvirt connection's own ssh2 session (root, or a sudo rule for
// exactly these listings, see README "Live traffic"), or locally when the connection is the local
// socket and we are root. nft's listing first (read-only: the lab saw `ebtables -L` on the
// nf_tables back end make libvirt's concurrent ebtables writes fail now and then), ebtables'
// where nft has no such table (the legacy back end). Anything else says why, and the UI shows
// the rate change instead.
import { execFile } from 'node:child_process';
import type { LibvirtConnection } from '../../libvirt/connection';
import { type CommandResult, hostCommandOf } from '../../libvirt/transport/host-command';

export const NFT_ARGS = ['list', 'table', 'bridge', 'nat'] as const;
export const EBTABLES_ARGS = ['-t', 'nat', '-L', '--Lc'] as const;

/**
 * Root runs the tools itself (sbin may be missing from a non-login PATH); anyone else through
 * `sudo -n` (never a password prompt), which the README's sudo rule allows for these two only.
 */
export const REMOTE_COUNTERS_COMMAND = `PATH="$PATH:/usr/sbin:/sbin"; if [ "$(id -u)" = 0 ]; then S=; else S="sudo -n"; fi; $S nft ${NFT_ARGS.join(' ')} 2>/dev/null || $S ebtables ${EBTABLES_ARGS.join(' ')}`;

export type CountersRead = { ok: true; text: string } | { ok: false; reason: string };

const TIMEOUT_MS = 5000;

function runLocal(tool: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      tool,
      [...args],
      { timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
        resolve({ code, stdout, stderr: stderr || (err?.message ?? '') });
      },
    );
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').slice(-1)[0] ?? '';
}

export async function readRuleCounters(lv: LibvirtConnection): Promise<CountersRead> {
  if (lv.target.transport === 'unix') {
    const uid = process.getuid?.();
    if (uid !== 0)
      return {
        ok: false,
        reason: `reading the rule counters on this machine needs root (kvm-chaos runs as uid ${uid ?? '?'})`,
      };
    const nft = await runLocal('nft', NFT_ARGS);
    const r = nft.code === 0 ? nft : await runLocal('ebtables', EBTABLES_ARGS);
    return r.code === 0
      ? { ok: true, text: r.stdout }
      : {
          ok: false,
          reason: `nft and ebtables failed here: ${lastLine(r.stderr) || `exit ${r.code}`}`,
        };
  }
  const run = hostCommandOf(lv.client);
  if (!run) return { ok: false, reason: 'this connection cannot run commands on the host' };
  let r: CommandResult;
  try {
    r = await run(REMOTE_COUNTERS_COMMAND, TIMEOUT_MS);
  } catch (e) {
    return { ok: false, reason: `could not run ebtables on the host: ${(e as Error).message}` };
  }
  if (r.code === 0) return { ok: true, text: r.stdout };
  const said = lastLine(r.stderr);
  return {
    ok: false,
    reason: /password|sudo/i.test(said)
      ? `the ssh user may not read the rule counters (${said}): add the sudo rule from the README`
      : `nft and ebtables on the host failed: ${said || `exit ${r.code}`}`,
  };
}
