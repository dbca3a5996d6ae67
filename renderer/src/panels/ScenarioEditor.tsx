import { useMemo, useRef } from 'react';
import { selectScenarioFile, selectScenarioPlan } from '../store/scenario-selectors';
import type { FileProblem } from '../store/scenario-state';
import { useChaos, useChaosStore } from '../ui/store-context';

// The scenario file as text, editable, with the engine's problems marked on their lines (a tinted
// line behind the text and a mark in the gutter) and listed below: each one moves the caret there.

const LINE_HEIGHT_PX = 20;

/** The offset of line `line` (1-based), column `column` in `text`, and the end of that line. */
function place(text: string, line: number, column: number): [number, number] {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', start);
    if (next === -1) break;
    start = next + 1;
  }
  const end = text.indexOf('\n', start);
  const lineEnd = end === -1 ? text.length : end;
  return [Math.min(start + Math.max(0, column - 1), lineEnd), lineEnd];
}

export function ScenarioEditor() {
  const store = useChaosStore();
  const file = useChaos(selectScenarioFile);
  const plan = useChaos(selectScenarioPlan);
  const area = useRef<HTMLTextAreaElement>(null);
  const backdrop = useRef<HTMLDivElement>(null);
  const problems: FileProblem[] = plan.state === 'refused' ? plan.problems : [];
  const lines = useMemo(() => file.text.split('\n'), [file.text]);
  const byLine = useMemo(() => {
    const map = new Map<number, FileProblem[]>();
    for (const p of problems) map.set(p.line, [...(map.get(p.line) ?? []), p]);
    return map;
  }, [problems]);

  const jump = (p: FileProblem) => {
    const el = area.current;
    if (!el) return;
    const [from, to] = place(file.text, p.line, p.column);
    el.focus();
    el.setSelectionRange(from, to);
    el.scrollTop = Math.max(0, (p.line - 4) * LINE_HEIGHT_PX);
  };

  return (
    <div className="scenario-editor-wrap">
      <div className="scenario-editor">
        <div className="scenario-editor__backdrop" ref={backdrop} aria-hidden>
          {lines.map((text, i) => {
            const here = byLine.get(i + 1);
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: lines of the text, by number
              <div key={i} className={`scenario-line ${here ? 'is-problem' : ''}`}>
                <span className="scenario-line__number">{i + 1}</span>
                <span className="scenario-line__text">{text || ' '}</span>
              </div>
            );
          })}
        </div>
        <textarea
          ref={area}
          className="scenario-editor__text"
          data-testid="scenario-text"
          aria-label={`Scenario file ${file.filename}`}
          aria-invalid={problems.length > 0}
          aria-describedby={problems.length ? 'scenario-problems' : undefined}
          spellCheck={false}
          wrap="off"
          value={file.text}
          onChange={(e) => store.getState().editScenarioText(e.target.value)}
          onScroll={(e) => {
            const el = backdrop.current;
            if (!el) return;
            el.scrollTop = e.currentTarget.scrollTop;
            el.scrollLeft = e.currentTarget.scrollLeft;
          }}
        />
      </div>
      {plan.state === 'refused' && (
        <div className="scenario-problems" id="scenario-problems" role="alert">
          {problems.length ? (
            <ul data-testid="scenario-problems">
              {problems.map((p) => (
                <li key={`${p.line}:${p.column}:${p.path}:${p.message}`}>
                  {p.line > 0 ? (
                    <button
                      type="button"
                      className="scenario-problems__place"
                      data-testid="scenario-problem"
                      data-line={p.line}
                      title="Show it in the text"
                      onClick={() => jump(p)}
                    >
                      line {p.line}:{p.column}
                    </button>
                  ) : (
                    <span className="scenario-problems__place" data-testid="scenario-problem">
                      the file
                    </span>
                  )}{' '}
                  {p.path && <code>{p.path}</code>} {p.message}
                </li>
              ))}
            </ul>
          ) : (
            <p className="error-text" data-testid="scenario-refused">
              {plan.error.message}
              {plan.error.hint ? ` — ${plan.error.hint}` : ''}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
