// The host bar, shown when the editor runs inside a design tool: get the
// image from the host, send the result back (with the host's send options,
// remembered in its settings), and, when a result is too large for the host,
// the warning and the offer to send it downscaled.

/**
 * @param {{ root: HTMLElement, host: object, invoke: (id: string, args?: object) => void }} options
 *   `invoke` runs a registry command from the UI (failures shown, never thrown).
 */
export function createHostBar({ root, host, invoke }) {
  root.hidden = !host.embedded;
  root.replaceChildren();
  const button = (command, text, className = 'small') => {
    const element = document.createElement('button');
    element.type = 'button';
    element.className = className;
    element.textContent = text;
    if (command) element.dataset.command = command;
    return element;
  };
  root.append(button('host.get-image', `Get image from ${host.label}`), button('host.send-result', `Send result to ${host.label}`, 'small primary'));
  for (const option of host.sendOptions) {
    const select = document.createElement('select');
    select.id = `host-send-${option.id}`;
    select.setAttribute('aria-label', option.label);
    select.title = option.label;
    for (const { value, label } of option.values) select.append(new Option(label, value));
    host.settings.get(`send.${option.id}`).then(
      (saved) => option.values.some((v) => v.value === saved) && (select.value = saved),
      () => {},
    );
    select.addEventListener('change', () => host.settings.set(`send.${option.id}`, select.value).catch(() => {}));
    root.append(select);
  }
  const warning = document.createElement('span');
  warning.className = 'host-warning';
  warning.hidden = true;
  const downscale = button(null, 'Send downscaled', 'small');
  downscale.id = 'host-send-downscaled';
  downscale.hidden = true;
  downscale.addEventListener('click', () => invoke('host.send-result', { downscale: true }));
  root.append(warning, downscale);

  return {
    /** Shows why a send was refused and offers the downscaled one; null hides the offer. */
    offerDownscale(message) {
      warning.textContent = message ?? '';
      warning.hidden = !message;
      downscale.hidden = !message;
    },
  };
}
