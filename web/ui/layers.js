// The layers panel: one row per layer, top of the stack first, as every
// editor shows them. A row has a visibility toggle, the name (double-click
// to rename), the blend mode and opacity, and a mask badge; rows reorder by
// drag and drop. The panel only reports what the user asked for; the owner
// changes the document through the core and calls render() again.

/**
 * @param {HTMLOListElement} list
 * @param {{ onSelect: (id: number) => void, onVisible: (id: number, visible: boolean) => void,
 *   onRename: (id: number, name: string) => void, onMove: (id: number, index: number) => void }} handlers
 */
export function createLayersPanel(list, { onSelect, onVisible, onRename, onMove }) {
  let layers = []; // bottom first, as the core lists them
  let dragging = null;

  function row(layer, index, activeId, modeLabel) {
    const li = document.createElement('li');
    li.className = 'layer';
    li.dataset.id = String(layer.id);
    li.dataset.index = String(index);
    li.draggable = true;
    li.tabIndex = 0;
    li.setAttribute('aria-selected', String(layer.id === activeId));
    li.classList.toggle('active', layer.id === activeId);
    li.classList.toggle('hidden-layer', !layer.visible);

    const eye = document.createElement('input');
    eye.type = 'checkbox';
    eye.className = 'layer-visible';
    eye.checked = layer.visible;
    eye.title = layer.visible ? 'Hide the layer' : 'Show the layer';
    eye.setAttribute('aria-label', `Show ${layer.name}`);
    eye.addEventListener('click', (event) => event.stopPropagation());
    eye.addEventListener('change', () => onVisible(layer.id, eye.checked));

    const text = document.createElement('div');
    text.className = 'layer-text';
    const name = document.createElement('span');
    name.className = 'layer-name';
    name.textContent = layer.name;
    name.title = `${layer.name} — double-click to rename`;
    const meta = document.createElement('span');
    meta.className = 'layer-meta';
    const opacity = Math.round(layer.opacity * 100);
    meta.textContent = `${modeLabel(layer.mode)} · ${opacity} % · ${layer.width}×${layer.height}`;
    text.append(name, meta);

    li.append(eye, text);
    if (layer.hasMask) {
      const badge = document.createElement('span');
      badge.className = 'layer-mask-badge';
      badge.textContent = 'mask';
      badge.title = 'This layer has a mask';
      li.append(badge);
    }

    li.addEventListener('click', () => onSelect(layer.id));
    li.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        onSelect(layer.id);
      } else if (event.key === 'F2') {
        event.preventDefault();
        rename(layer, name);
      }
    });
    name.addEventListener('dblclick', (event) => {
      event.stopPropagation();
      rename(layer, name);
    });

    li.addEventListener('dragstart', (event) => {
      dragging = layer.id;
      event.dataTransfer.effectAllowed = 'move';
      event.dataTransfer.setData('application/x-retouch-layer', String(layer.id));
      li.classList.add('dragging');
    });
    li.addEventListener('dragend', () => {
      dragging = null;
      li.classList.remove('dragging');
      clearDropMarks();
    });
    li.addEventListener('dragover', (event) => {
      if (dragging === null) return;
      event.preventDefault();
      event.stopPropagation();
      clearDropMarks();
      const box = li.getBoundingClientRect();
      li.classList.add(event.clientY < box.top + box.height / 2 ? 'drop-above' : 'drop-below');
    });
    li.addEventListener('drop', (event) => {
      if (dragging === null) return;
      event.preventDefault();
      event.stopPropagation();
      const box = li.getBoundingClientRect();
      const above = event.clientY < box.top + box.height / 2;
      const moving = dragging;
      dragging = null;
      clearDropMarks();
      const from = layers.findIndex((l) => l.id === moving);
      // Stack index (0 = bottom) where the moved layer lands.
      let to = above ? index + 1 : index;
      if (from < to) to -= 1;
      if (from !== to && from >= 0) onMove(moving, to);
    });
    return li;
  }

  function clearDropMarks() {
    for (const el of list.querySelectorAll('.drop-above, .drop-below')) el.classList.remove('drop-above', 'drop-below');
  }

  function rename(layer, nameEl) {
    const input = document.createElement('input');
    input.type = 'text';
    input.value = layer.name;
    input.className = 'layer-rename';
    input.setAttribute('aria-label', 'Layer name');
    input.maxLength = 200;
    let done = false;
    const finish = (commit) => {
      if (done) return;
      done = true;
      const value = input.value.trim();
      input.replaceWith(nameEl);
      if (commit && value && value !== layer.name) onRename(layer.id, value);
    };
    input.addEventListener('keydown', (event) => {
      event.stopPropagation();
      if (event.key === 'Enter') finish(true);
      else if (event.key === 'Escape') finish(false);
    });
    input.addEventListener('blur', () => finish(true));
    input.addEventListener('click', (event) => event.stopPropagation());
    nameEl.replaceWith(input);
    input.focus();
    input.select();
  }

  return {
    /** Shows `rows` (bottom first, from Project.layers()) with `activeId` highlighted. */
    render(rows, activeId, modeLabel = (m) => m) {
      layers = rows;
      const items = rows.map((layer, index) => row(layer, index, activeId, modeLabel)).reverse();
      list.replaceChildren(...items);
    },
  };
}
