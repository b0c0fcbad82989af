// An input slot: a drop zone with a file picker, a thumbnail and the file's
// name and size. The page has one per composite input (backdrop, layer,
// mask). The slot hands files to its owner; decoding happens in the core.

/**
 * @param {HTMLElement} root  an element with data-slot="<id>" holding the markup
 *   from index.html (.slot-drop, input[type=file], .slot-thumb, .slot-name,
 *   .slot-meta, .slot-clear)
 * @param {{ onFile: (file: File) => void, onClear?: () => void }} handlers
 */
export function createSlot(root, { onFile, onClear }) {
  const drop = root.querySelector('.slot-drop');
  const input = root.querySelector('input[type=file]');
  const thumb = root.querySelector('.slot-thumb');
  const name = root.querySelector('.slot-name');
  const meta = root.querySelector('.slot-meta');
  const clear = root.querySelector('.slot-clear');
  let thumbUrl = null;

  input.addEventListener('change', () => {
    const file = input.files?.[0];
    // Reset so choosing the same file again fires another change event.
    input.value = '';
    if (file) onFile(file);
  });

  // The whole drop zone opens the picker on click or Enter/Space.
  drop.addEventListener('click', (event) => {
    if (event.target === input) return;
    input.click();
  });
  drop.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      input.click();
    }
  });

  let depth = 0;
  drop.addEventListener('dragenter', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth++;
    drop.classList.add('dragover');
  });
  drop.addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  drop.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) drop.classList.remove('dragover');
  });
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    event.stopPropagation();
    depth = 0;
    drop.classList.remove('dragover');
    const file = event.dataTransfer?.files?.[0];
    if (file) onFile(file);
  });

  clear?.addEventListener('click', (event) => {
    event.stopPropagation();
    onClear?.();
  });

  return {
    /** Shows what the slot holds; `bytes` are the encoded file, shown as is. */
    show({ fileName, width, height, bytes, type }) {
      if (thumbUrl) URL.revokeObjectURL(thumbUrl);
      thumbUrl = URL.createObjectURL(new Blob([bytes], { type: type || 'application/octet-stream' }));
      thumb.src = thumbUrl;
      thumb.alt = fileName;
      name.textContent = fileName;
      name.title = fileName;
      meta.textContent = `${width} × ${height} px`;
      root.classList.add('filled');
      if (clear) clear.hidden = false;
    },
    /** Back to the empty state. */
    empty() {
      if (thumbUrl) URL.revokeObjectURL(thumbUrl);
      thumbUrl = null;
      thumb.removeAttribute('src');
      thumb.alt = '';
      name.textContent = '';
      meta.textContent = '';
      root.classList.remove('filled');
      if (clear) clear.hidden = true;
    },
    /** Marks the slot as refused (bad file) until the next successful load. */
    invalid(flag) {
      root.classList.toggle('invalid', flag);
    },
    input,
  };
}

export function hasFiles(event) {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}
