// The question asked before a change that leaves a port without rules for a moment.
import type { Locator, Page } from 'playwright-core';

export class UnfilteredWindowDialog {
  constructor(readonly page: Page) {}

  root(): Locator {
    return this.page.getByTestId('unfiltered-window-dialog');
  }

  /** The ports the dialog names, as it lists them. */
  async ports(): Promise<string[]> {
    return ((await this.root().getAttribute('data-ports')) ?? '').split(' ').filter(Boolean);
  }

  async cancel(): Promise<void> {
    await this.page.getByTestId('unfiltered-window-cancel').click();
  }

  async doItAnyway(): Promise<void> {
    await this.page.getByTestId('unfiltered-window-confirm').click();
  }
}
