// The call/reply protocol between the editor and a host's own half
// (web/hosts/channel.js), with the two ends wired back to back in Node:
// replies find their calls whatever the order, a host error rejects its
// call, other traffic is ignored, and commands a host panel sent before the
// editor could run them are run once it can, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createChannel, PROTOCOL } from '../web/hosts/channel.js';

/** The editor's channel with the host's half played by the test. */
function wired() {
  const sent = [];
  let deliver = null;
  const channel = createChannel({ post: (message) => sent.push(message), listen: (handler) => (deliver = handler) });
  return { channel, sent, deliver: (message) => deliver(message) };
}

test('replies resolve their own calls, in any order; a host error rejects', async () => {
  const { channel, sent, deliver } = wired();
  const first = channel.call('document');
  const second = channel.call('readPixels', { x: 0, y: 0, width: 2, height: 2 });
  const third = channel.call('putImage', {});
  assert.deepEqual(sent.map((m) => [m.retouch, m.call]), [[PROTOCOL, 'document'], [PROTOCOL, 'readPixels'], [PROTOCOL, 'putImage']]);
  assert.deepEqual(sent[1].args, { x: 0, y: 0, width: 2, height: 2 });
  deliver({ retouch: PROTOCOL, reply: sent[1].id, result: { data: new Uint8Array([1, 2]) } });
  deliver({ retouch: PROTOCOL, reply: sent[0].id, result: { name: 'a.psd' } });
  deliver({ retouch: PROTOCOL, reply: sent[2].id, error: 'the node the image came from is gone' });
  assert.deepEqual(await first, { name: 'a.psd' });
  assert.deepEqual([...(await second).data], [1, 2]);
  await assert.rejects(third, /the node the image came from is gone/);
});

test('other traffic is ignored; commands wait for the editor, then run in order', async () => {
  const { channel, sent, deliver } = wired();
  const call = channel.call('ready');
  deliver(undefined);
  deliver({ pluginMessage: 'not ours' });
  deliver({ retouch: 2, reply: sent[0].id, result: 'another protocol' });
  deliver({ retouch: PROTOCOL, reply: 999, result: 'no such call' });
  deliver({ retouch: PROTOCOL, command: 'host.get-image', args: { from: 'layer' } });
  deliver({ retouch: PROTOCOL, command: 'host.send-result' });
  const ran = [];
  channel.onCommand((id, args) => ran.push([id, args]));
  assert.deepEqual(ran, [['host.get-image', { from: 'layer' }], ['host.send-result', {}]]);
  deliver({ retouch: PROTOCOL, command: 'host.send-result', args: { placement: 'rectangle' } });
  assert.deepEqual(ran.at(-1), ['host.send-result', { placement: 'rectangle' }]);
  deliver({ retouch: PROTOCOL, reply: sent[0].id, result: true });
  assert.equal(await call, true);
});
