// The command registry: every user action is defined once — id, label,
// shortcut, enabled rule, run — and reached the same way from the toolbar's
// buttons (`data-command`), the keyboard, host panels and the tests
// (`retouchApp.run(id, args)`). The view only dispatches; the session
// sequences what the commands ask of the core.

/**
 * A shortcut is "Mod+Shift+Z" style: Mod is Ctrl (Cmd on a Mac), then Shift,
 * Alt, and the key as `KeyboardEvent.key` names it, case-insensitive.
 */
function parseShortcut(text) {
  const parts = text.split('+');
  // "Mod++" is Mod with the plus key.
  const key = parts.at(-1) === '' ? '+' : parts.at(-1);
  const mods = new Set(parts.slice(0, parts.at(-1) === '' ? -2 : -1).map((m) => m.toLowerCase()));
  return { mod: mods.has('mod'), shift: mods.has('shift'), alt: mods.has('alt'), key: key.toLowerCase(), text };
}

function matches(shortcut, event) {
  const mod = event.ctrlKey || event.metaKey;
  if (shortcut.mod !== mod || shortcut.alt !== event.altKey) return false;
  const key = event.key.toLowerCase();
  if (key !== shortcut.key) return false;
  // Shifted symbols ("+", "{") carry the shift in the key itself.
  return shortcut.shift === event.shiftKey || !/^[a-z0-9]$/.test(key);
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform ?? '');

/** "Mod+Shift+Z" as this platform writes it: "Ctrl+Shift+Z" or "⌘⇧Z". */
export function shortcutLabel(text) {
  const { mod, shift, alt, key } = parseShortcut(text);
  const name = key.length === 1 ? key.toUpperCase() : key[0].toUpperCase() + key.slice(1);
  if (isMac) return `${mod ? '⌘' : ''}${alt ? '⌥' : ''}${shift ? '⇧' : ''}${name}`;
  return [mod && 'Ctrl', shift && 'Shift', alt && 'Alt', name].filter(Boolean).join('+');
}

/**
 * @param {{ context: object, onError: (label: string, error: Error) => void, onRan?: () => void }} options
 *   `context` is passed to every command's `enabled` and `run`; `onError`
 *   shows a failure from the UI; `onRan` is told after every command.
 */
export function createCommands({ context, onError, onRan }) {
  /** @type {Map<string, object>} */
  const commands = new Map();
  const buttons = [];

  function get(id) {
    const command = commands.get(id);
    if (!command) throw new Error(`unknown command “${id}”`);
    return command;
  }

  function enabled(command) {
    try {
      return command.enabled ? Boolean(command.enabled(context)) : true;
    } catch {
      return false;
    }
  }

  const registry = {
    /**
     * Defines a command: { id, label, run(context, args), enabled?(context),
     * shortcut?: string | string[], whileTyping?: the shortcut also works in a text field,
     * repeat?: the shortcut repeats while held }.
     */
    define(spec) {
      if (commands.has(spec.id)) throw new Error(`command “${spec.id}” is defined twice`);
      const shortcuts = [spec.shortcut ?? []].flat().map(parseShortcut);
      commands.set(spec.id, { ...spec, shortcuts });
    },

    /** Runs a command; rejects when it is unknown, disabled or fails. */
    async run(id, args) {
      const command = get(id);
      if (!enabled(command)) throw new Error(`${command.label}: not available now`);
      try {
        return await command.run(context, args ?? {});
      } finally {
        onRan?.();
      }
    },

    /** Runs a command from the UI: failures are shown, never thrown. */
    invoke(id, args) {
      return registry.run(id, args).catch((error) => {
        onError(get(id).label, error instanceof Error ? error : new Error(String(error)));
      });
    },

    isEnabled: (id) => enabled(get(id)),

    /** Every command: { id, label, shortcuts, enabled } (for menus, host panels and tests). */
    list() {
      return [...commands.values()].map((c) => ({
        id: c.id,
        label: c.label,
        shortcuts: c.shortcuts.map((s) => shortcutLabel(s.text)),
        enabled: enabled(c),
      }));
    },

    /** Binds every `[data-command]` element under `root`: click runs it, refresh() enables it. */
    bindButtons(root) {
      for (const element of root.querySelectorAll('[data-command]')) {
        const command = get(element.dataset.command);
        const keys = command.shortcuts.map((s) => shortcutLabel(s.text));
        const title = element.dataset.title ?? element.title ?? command.label;
        element.title = keys.length ? `${title || command.label} (${keys.join(', ')})` : title || command.label;
        element.addEventListener('click', () => registry.invoke(command.id));
        buttons.push([element, command]);
      }
    },

    /** Updates the bound buttons' disabled state from the enabled rules. */
    refresh() {
      for (const [element, command] of buttons) element.disabled = !enabled(command);
    },

    /** The keyboard: runs the command whose shortcut the event is; returns whether one ran. */
    handleKey(event) {
      const typing = event.target instanceof HTMLElement && event.target.matches('input:not([type=checkbox]):not([type=radio]), select, textarea');
      for (const command of commands.values()) {
        if (!command.shortcuts.some((s) => matches(s, event))) continue;
        if (typing && !command.whileTyping) return false;
        if (event.repeat && !command.repeat) {
          event.preventDefault();
          return true;
        }
        if (!enabled(command)) return false;
        event.preventDefault();
        registry.invoke(command.id);
        return true;
      }
      return false;
    },
  };
  return registry;
}
