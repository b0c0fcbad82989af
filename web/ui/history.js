// The history panel: the state the document was opened in, then one row per
// undoable command with the name the core gave it. Clicking a row jumps to
// the state after that command; undone rows are dimmed until a new edit
// replaces them, as in Photoshop.

/**
 * @param {HTMLOListElement} list
 * @param {{ onJump: (position: number) => void }} handlers
 */
export function createHistoryPanel(list, { onJump }) {
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
     */
    render(history, origin) {
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
