// Checks the peer's diff (poller.cjs) emits what presenced's would with its defaults: enter for a
// new clientId + connectionId, update when data or encoding changed (not for a new message id
// alone), leave with the member as last seen; state kept between cycles, per channel.
// Usage: node bench/peer/diff_test.cjs (exits non-zero on a failure)
const assert = require('node:assert/strict');
const { diff } = require('./poller.cjs');

const member = (clientId, connectionId, id, data, encoding) =>
  ({ clientId, connectionId, id, data, ...(encoding ? { encoding } : {}) });
const cycle = (channel, presence) => {
  const events = [];
  diff(channel, presence, events);
  return events.map((e) => `${e.action} ${e.channel} ${e.clientId} ${e.connectionId} ${e.memberId} ${e.data}`);
};

assert.deepEqual(cycle('a', [member('c1', 'x', 'm1', 'd1'), member('c1', 'y', 'm2', 'd2')]),
                 ['enter a c1 x m1 d1', 'enter a c1 y m2 d2']);
assert.deepEqual(cycle('b', [member('c1', 'x', 'm9', 'd1')]), ['enter b c1 x m9 d1']);
assert.deepEqual(cycle('a', [member('c1', 'x', 'm3', 'd1'), member('c1', 'y', 'm2', 'd2')]), []);
assert.deepEqual(cycle('a', [member('c1', 'x', 'm3', 'd1', 'json'), member('c2', 'y', 'm4', 'e')]),
                 ['update a c1 x m3 d1', 'enter a c2 y m4 e', 'leave a c1 y m2 d2']);
assert.deepEqual(cycle('a', [member('c1', 'x', 'm3', { k: 1 }, 'json')]),
                 ['update a c1 x m3 {"k":1}', 'leave a c2 y m4 e']);
assert.deepEqual(cycle('b', []), ['leave b c1 x m9 d1']);
console.log('diff_test: ok');
