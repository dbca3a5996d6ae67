// The side panel's tabs: the guest panel (its cuts, protection per interface) and the binding
// inspector (with what interrupted changes left).
import type { Locator, Page } from 'playwright-core';

export class SidePanelPage {
  constructor(readonly page: Page) {}

  async tab(name: 'inspector' | 'guest' | 'connections' | 'activity'): Promise<void> {
    await this.page.getByTestId(`tab-${name}`).click();
  }

  /** The protection fieldset of one interface in the guest panel. */
  interfaceProtection(mac: string): Locator {
    return this.page.locator(`[data-testid="interface-protection"][data-mac="${mac}"]`);
  }

  async applyProtection(mac: string, presetLabel: RegExp): Promise<void> {
    const box = this.interfaceProtection(mac);
    await box.getByRole('radio', { name: presetLabel }).check();
    await box.getByTestId('apply-protection').click();
  }

  async clearProtection(mac: string): Promise<void> {
    await this.interfaceProtection(mac).getByTestId('clear-protection').click();
  }

  portRow(portdev: string): Locator {
    return this.page.locator(`[data-testid="port-row"][data-portdev="${portdev}"]`);
  }

  /** What an interrupted change left on a port, in its inspector row (message and Repair). */
  interruption(portdev: string): Locator {
    return this.portRow(portdev).getByTestId('interruption');
  }

  /** The selected guest's cuts in the guest panel. */
  cutRows(): Locator {
    return this.page.getByTestId('cut-row');
  }

  /** Opens a port's row in the inspector and returns its XML block. */
  async openBindingXml(portdev: string): Promise<Locator> {
    const row = this.portRow(portdev);
    const head = row.locator('.port-row__head');
    if ((await head.getAttribute('aria-expanded')) !== 'true') await head.click();
    return row.getByTestId('binding-xml');
  }

  /** The Add host form of the Connections tab. */
  hostAddress(): Locator {
    return this.page.getByTestId('host-uri');
  }

  hostAddressProblem(): Locator {
    return this.page.getByTestId('host-uri-problem');
  }

  addHostButton(): Locator {
    return this.page.getByTestId('add-host');
  }

  async chooseLogin(how: 'ssh-agent' | 'Key file' | 'Local socket'): Promise<void> {
    await this.page.getByRole('radiogroup', { name: 'How to log in' }).getByText(how).click();
  }

  hostRows(): Locator {
    return this.page.getByTestId('host-row');
  }

  /** Activity entries, newest first; `outcome` narrows to refused, ok, failed... */
  activityEntries(outcome?: string): Locator {
    return this.page.locator(
      outcome
        ? `[data-testid="activity-entry"][data-outcome="${outcome}"]`
        : '[data-testid="activity-entry"]',
    );
  }
}
