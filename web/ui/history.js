// The history panel: the state the document was opened in, then one row per
// undoable command with the name the core gave it. Clicking a row jumps to
// the state after that command; undone rows are dimmed until a new edit
// replaces them, as in Photoshop. The autosave keeps history within a
// budget: the note under the list says which steps it leaves out, and after a
// reload which steps were not kept.

const steps = (n) => `${n} step${n === 1 ? '' : 's'}`;

/** The note under the list, or '' (see `render`). */
function noteText(history, { recovered, autosaved } = {}) {
  const lines = [];
  if (recovered?.notKept > 0) lines.push(`History before this recovery was not kept: ${steps(recovered.notKept)} over the autosave budget.`);
  if (recovered?.damaged > 0) lines.push(`${steps(recovered.damaged)} of history could not be recovered (damaged in storage).`);
  if (history && autosaved?.leftOut > 0) {
    const kept = history.entries[autosaved.first];
    lines.push(
      autosaved.first > 0 && kept
        ? `History before “${kept.name}” is not autosaved: over the autosave budget.`
        : `${steps(autosaved.leftOut)} of history ${autosaved.leftOut === 1 ? 'is' : 'are'} not autosaved: over the autosave budget.`,
    );
  }
  return lines.join(' ');
}

/**
 * @param {HTMLOListElement} list
 * @param {HTMLElement} note where the autosave's limits are said
 * @param {{ onJump: (position: number) => void }} handlers
 */
export function createHistoryPanel(list, note, { onJump }) {
  function item(label, position, current, applied) {
    const li = document.createElement('li');
    li.className = 'history-entry';
    li.dataset.position = String(position);
    li.tabIndex = 0;
    li.textContent = label;
    li.classList.toggle('current', current);
    li.classList.toggle('undone', !applied);
    if (current) li.setAttribute('aria-current', 'step');
    li.addEventListener('click', () => onJump(position));
    li.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        onJump(position);
      }
    });
    return li;
  }

  return {
    /**
     * Shows `history` (Project.history(): { entries, position, ... }), with
     * `origin` naming the state before the first entry; null empties the panel.
     * `notes`: { recovered: { notKept, damaged } from a recovery, autosaved:
     * { first, leftOut } from the last autosave } (either may be null).
     */
    render(history, origin, notes) {
      note.textContent = noteText(history, notes);
      note.hidden = note.textContent === '';
      if (!history) {
        list.replaceChildren();
        return;
      }
      const rows = [item(origin, 0, history.position === 0, true)];
      history.entries.forEach((entry, i) => {
        rows.push(item(entry.name, i + 1, history.position === i + 1, entry.applied));
      });
      list.replaceChildren(...rows);
      // Keep the current step in view (scrolling only the list, never the page).
      const current = list.querySelector('.current');
      if (current) {
        const top = current.offsetTop; // the list is positioned
        if (top < list.scrollTop) list.scrollTop = top;
        else if (top + current.offsetHeight > list.scrollTop + list.clientHeight) list.scrollTop = top + current.offsetHeight - list.clientHeight;
      }
    },
  };
}
