// The message protocol between the editor and a host's own half (the
// Photoshop panel around the webview, the Figma sandbox's code.js):
//   editor → host  { retouch: 1, id, call, args }        a call; the host answers
//   host → editor  { retouch: 1, reply: id, result }     or { retouch: 1, reply: id, error }
//   host → editor  { retouch: 1, command, args }         a host panel's button: a command
//                                                        of the editor's registry
// Payloads are structured-cloneable (typed arrays carry the pixels).

export const PROTOCOL = 1;

/**
 * @param {{ post: (message: object) => void, listen: (handler: (message: any) => void) => void }} bridge
 *   `post` sends to the host's half; `listen` hands over every message from it.
 */
export function createChannel({ post, listen }) {
  let next = 1;
  const waiting = new Map();
  let commandHandler = null;
  /** Commands that came before the editor could run them (start-up). */
  const early = [];

  listen((message) => {
    if (!message || message.retouch !== PROTOCOL) return;
    if (typeof message.reply === 'number') {
      const call = waiting.get(message.reply);
      if (!call) return;
      waiting.delete(message.reply);
      if (message.error === undefined) call.resolve(message.result);
      else call.reject(new Error(String(message.error)));
    } else if (typeof message.command === 'string') {
      if (commandHandler) commandHandler(message.command, message.args ?? {});
      else early.push(message);
    }
  });

  return {
    /** Calls `method` on the host's half; resolves to its result or rejects with its error. */
    call(method, args = {}) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        post({ retouch: PROTOCOL, id, call: method, args });
      });
    },
    /** Runs `handler(id, args)` for each command the host's panel sends (queued ones first). */
    onCommand(handler) {
      commandHandler = handler;
      for (const { command, args } of early.splice(0)) handler(command, args ?? {});
    },
  };
}
