// The engine's seam to its hosts (Electron main, the CLI, `kvm-chaos serve`, tests): what it
// needs from them and what it gives back. The engine itself implements shared/api's ChaosApi.
import type { ChaosApi, HostAuth, HostId, SegmentGroup } from '../../shared/api';

/** A host the user added, as remembered between runs. Holds no secret. */
export interface HostProfile {
  id: HostId;
  uri: string;
  label: string;
  auth: HostAuth;
}

/** Where host profiles live: the app-data folder (Electron), ~/.config/kvm-chaos (CLI), memory (tests). */
export interface HostProfileStore {
  load(): Promise<HostProfile[]>;
  save(profiles: readonly HostProfile[]): Promise<void>;
  /** The user's segment groups, kept beside the hosts (none in a file from before them). */
  loadSegmentGroups(): Promise<SegmentGroup[]>;
  saveSegmentGroups(groups: readonly SegmentGroup[]): Promise<void>;
}

export interface EngineOptions {
  profiles: HostProfileStore;
  /** known_hosts the engine verifies against and appends accepted keys to. */
  knownHostsPath: string;
  /** Add and connect the local libvirt socket on first start when it exists and no host is saved. */
  autoLocal?: boolean;
  /** How often bindings (which have no events) are re-read; default 3 s. */
  bindingPollMs?: number;
  /** What this process is, for the author of its cuts: app, serve, cli, watch, test. */
  face?: string;
  /**
   * Heal expired cuts and put back wanted cuts not in force, whoever made them (the app, serve,
   * `kvm-chaos watch`, a CLI waiting on --duration). Off for one-shot commands: reads never write.
   */
  keepPromises?: boolean;
}

export interface Engine extends ChaosApi {
  /** This process as the author of the cuts it makes (kept in their intents on the host). */
  readonly author: { readonly instance: string; readonly user: string };
  /** Heals nothing: closes connections and stops timers. Cuts stay on the hosts. */
  close(): Promise<void>;
}
