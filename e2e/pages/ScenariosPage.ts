// The Scenarios tab: a file opened through its file input, the plan's timeline and steps, the
// run's buttons and countdown, and Record.
import type { Locator, Page } from 'playwright-core';

export class ScenariosPage {
  constructor(readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.getByTestId('tab-scenarios').click();
    await this.page.getByTestId('scenario-source-file').click();
  }

  /** Opens a file as the user would pick it (the input accepts YAML and JSON). */
  async openFile(name: string, text: string): Promise<void> {
    await this.page.getByTestId('scenario-file-input').setInputFiles({
      name,
      mimeType: 'application/yaml',
      buffer: Buffer.from(text),
    });
    await this.page.waitForFunction(
      (t) =>
        (document.querySelector('[data-testid="scenario-text"]') as HTMLTextAreaElement)?.value ===
        t,
      text,
    );
  }

  button(name: 'plan' | 'play' | 'pause' | 'step' | 'stop' | 'record' | 'save'): Locator {
    return this.page.getByTestId(`scenario-${name}`);
  }

  text(): Locator {
    return this.page.getByTestId('scenario-text');
  }

  problems(): Locator {
    return this.page.getByTestId('scenario-problem');
  }

  steps(): Locator {
    return this.page.getByTestId('plan-step');
  }

  step(id: string): Locator {
    return this.page.locator(`[data-testid="plan-step"][data-step="${id}"]`);
  }

  bars(): Locator {
    return this.page.getByTestId('timeline-bar');
  }

  /** The plan's name, step count, length and seed above the timeline. */
  planMeta(): Locator {
    return this.page.getByTestId('scenario-plan-meta');
  }

  seedShown(): Locator {
    return this.page.getByTestId('scenario-seed-shown');
  }

  countdown(): Locator {
    return this.page.getByTestId('scenario-countdown');
  }

  runState(): Locator {
    return this.page.getByTestId('run-state');
  }

  /** Seconds left on the countdown (mm:ss). */
  async secondsLeft(): Promise<number> {
    const [m, s] = ((await this.countdown().textContent()) ?? '').split(':').map(Number);
    return (m ?? 0) * 60 + (s ?? 0);
  }
}
