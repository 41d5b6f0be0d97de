// The peer of scripts/bench-e2e.sh: the official ably-js REST client doing what presenced does
// each cycle with its defaults (ably.max_channels_per_request 100, ably.max_in_flight 4,
// presence.update_on data, presence.leave_after_misses 1) — batch presence of every channel (100
// channels a request, `inFlight` requests at once) and a diff of each channel's members against
// the last cycle, keyed on clientId + connectionId: a new key is an `enter`, a key gone is a
// `leave` (with the member's id, data and encoding as last seen), a key whose data or encoding
// changed is an `update` — against the same loopback batch_presence_server, with a fixed interval
// between cycle starts (poll.interval). Each event is built as an object (what presenced hands
// to its outbox) and dropped at the end of the cycle: the peer has no durable outbox, no state
// store and no webhook, so it does less work than presenced (see bench/README.md).
// Prints "cycle N events E members M" on stdout after each cycle.
// Usage: node poller.cjs PORT CHANNELS [INTERVAL_MS] [IN_FLIGHT] [PER_REQUEST]
// (ably found through NODE_PATH; PER_REQUEST channels a request, 100 by default)
const Ably = require.main === module ? require('ably') : null;

const [port, channelCount, intervalMs = '100', inFlight = '4', perRequest = '100'] =
    process.argv.slice(2);
const channels = Array.from({ length: Number(channelCount) },
                            (_, i) => `room:${String(i).padStart(5, '0')}`);
const batches = [];
for (let i = 0; i < channels.length; i += Number(perRequest)) {
  batches.push(channels.slice(i, i + Number(perRequest)));
}

// Token auth: ably-js refuses a key over plain http (as Ably does); the server ignores credentials.
const rest = Ably && new Ably.Rest({
  token: 'bench-token', restHost: '127.0.0.1', port: Number(port), tls: false,
  useBinaryProtocol: false, fallbackHosts: [], logLevel: 0,
  httpRequestTimeout: 60000,  // presenced's bench config: ably.request_timeout 60s
});

const state = new Map();  // channel -> Map(key -> {id, data, encoding})

function event(action, channel, key, member, at) {
  const [clientId, connectionId] = key.split('\u0000');
  return { action, channel, clientId, connectionId, memberId: member.id, data: member.data,
           encoding: member.encoding, timestamp: at };
}

// diff CHANNEL PRESENCE EVENTS: appends the channel's events since the last cycle to EVENTS.
function diff(channel, presence, events) {
  const before = state.get(channel) ?? new Map();
  const after = new Map();
  const at = Date.now();
  for (const m of presence) {
    const key = m.clientId + '\u0000' + m.connectionId;
    const data = typeof m.data === 'string' ? m.data : JSON.stringify(m.data);
    const member = { id: m.id, data, encoding: m.encoding ?? '' };
    after.set(key, member);
    const was = before.get(key);
    if (!was) {
      events.push(event('enter', channel, key, member, at));
    } else if (was.data !== member.data || was.encoding !== member.encoding) {
      events.push(event('update', channel, key, member, at));
    }
  }
  for (const [key, was] of before) {
    if (!after.has(key)) events.push(event('leave', channel, key, was, at));
  }
  state.set(channel, after);
}

async function cycle() {
  const events = [];
  let next = 0;
  async function worker() {
    while (next < batches.length) {
      const batch = batches[next++];
      const result = await rest.batchPresence(batch);
      const entries = Array.isArray(result) ? result : result.results ?? [];
      for (const entry of entries) if (entry.presence) diff(entry.channel, entry.presence, events);
    }
  }
  await Promise.all(Array.from({ length: Number(inFlight) }, worker));
  return events.length;
}

async function main() {
  for (let n = 1; ; ++n) {
    const started = Date.now();
    const events = await cycle();
    let members = 0;
    for (const m of state.values()) members += m.size;
    console.log(`cycle ${n} events ${events} members ${members}`);
    const wait = Number(intervalMs) - (Date.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
module.exports = { diff };  // for diff_test.cjs
