// The peer of scripts/bench-e2e.sh: the official ably-js REST client doing what presenced does
// each cycle — batch presence of every channel (100 channels a request, `inFlight` requests at
// once) and a diff of each channel's members against the last cycle (enter, leave, update by
// clientId + connectionId, an update when data or encoding changed) — against the same loopback
// batch_presence_server, back to back with a fixed interval between cycle starts.
// Prints "cycle N events E members M" on stdout after each cycle.
// Usage: node poller.cjs PORT CHANNELS [INTERVAL_MS] [IN_FLIGHT] (ably found through NODE_PATH)
const Ably = require('ably');

const [port, channelCount, intervalMs = '100', inFlight = '4'] = process.argv.slice(2);
const channels = Array.from({ length: Number(channelCount) },
                            (_, i) => `room:${String(i).padStart(5, '0')}`);
const batches = [];
for (let i = 0; i < channels.length; i += 100) batches.push(channels.slice(i, i + 100));

// Token auth: ably-js refuses a key over plain http (as Ably does); the server ignores credentials.
const rest = new Ably.Rest({
  token: 'bench-token', restHost: '127.0.0.1', port: Number(port), tls: false,
  useBinaryProtocol: false, fallbackHosts: [], logLevel: 0,
});

const state = new Map();  // channel -> Map(key -> {id, data, encoding})

function diff(channel, presence) {
  const before = state.get(channel) ?? new Map();
  const after = new Map();
  let events = 0;
  for (const m of presence) {
    const key = m.clientId + '\u0000' + m.connectionId;
    const data = typeof m.data === 'string' ? m.data : JSON.stringify(m.data);
    const member = { id: m.id, data, encoding: m.encoding ?? '' };
    after.set(key, member);
    const was = before.get(key);
    if (!was || was.data !== member.data || was.encoding !== member.encoding) ++events;
  }
  for (const key of before.keys()) if (!after.has(key)) ++events;
  state.set(channel, after);
  return events;
}

async function cycle() {
  let events = 0, next = 0;
  async function worker() {
    while (next < batches.length) {
      const batch = batches[next++];
      const result = await rest.batchPresence(batch);
      const entries = Array.isArray(result) ? result : result.results ?? [];
      for (const entry of entries) if (entry.presence) events += diff(entry.channel, entry.presence);
    }
  }
  await Promise.all(Array.from({ length: Number(inFlight) }, worker));
  return events;
}

async function main() {
 let n = 0;
 for (;;) {
  const started = Date.now();
  const events = await cycle();
  let members = 0;
  for (const m of state.values()) members += m.size;
  console.log(`cycle ${++n} events ${events} members ${members}`);
  const wait = Number(intervalMs) - (Date.now() - started);
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
 }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
