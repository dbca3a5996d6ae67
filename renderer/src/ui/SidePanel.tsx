import { ActivityPanel } from '../panels/ActivityPanel';
import { ConnectionsPanel } from '../panels/ConnectionsPanel';
import { GuestPanel } from '../panels/GuestPanel';
import { InspectorPanel } from '../panels/InspectorPanel';
import { ScenariosPanel } from '../panels/ScenariosPanel';
import type { PanelTab } from '../store/initial-state';
import { selectHasLiveRun } from '../store/scenario-selectors';
import { selectPanel } from '../store/selectors';
import { useChaos, useChaosStore } from './store-context';

const TABS: Array<{ id: PanelTab; label: string; key?: string }> = [
  { id: 'inspector', label: 'Inspector', key: 'I' },
  { id: 'guest', label: 'Guest' },
  { id: 'connections', label: 'Connections' },
  { id: 'activity', label: 'Activity' },
  { id: 'scenarios', label: 'Scenarios' },
];

export function SidePanel() {
  const store = useChaosStore();
  const panel = useChaos(selectPanel);
  const running = useChaos(selectHasLiveRun);
  return (
    <aside className="side">
      <div className="tabs" role="tablist" aria-label="Panels">
        {TABS.map((tab) => (
          <button
            key={tab.id}
            id={`tab-${tab.id}`}
            type="button"
            role="tab"
            aria-selected={panel === tab.id}
            aria-controls={`tabpanel-${tab.id}`}
            data-testid={`tab-${tab.id}`}
            className={panel === tab.id ? 'is-on' : ''}
            title={tab.key ? `${tab.label} (${tab.key})` : tab.label}
            onClick={() => store.getState().setPanel(tab.id)}
          >
            {tab.label}
            {tab.id === 'scenarios' && running && (
              <span className="tab-dot" title="A scenario is running">
                <span className="sr-only">(running)</span>
              </span>
            )}
          </button>
        ))}
      </div>
      <div
        className="side__body"
        role="tabpanel"
        id={`tabpanel-${panel}`}
        aria-labelledby={`tab-${panel}`}
      >
        {panel === 'inspector' && <InspectorPanel />}
        {panel === 'guest' && <GuestPanel />}
        {panel === 'connections' && <ConnectionsPanel />}
        {panel === 'activity' && <ActivityPanel />}
        {panel === 'scenarios' && <ScenariosPanel />}
      </div>
    </aside>
  );
}
