// kafkajs round trip for tests/integration/kafka: node kafka_roundtrip.js BOOTSTRAP TOPIC N TOTAL
// Produces N records (key js<i>, value from-kafkajs-<i>, headers origin/i) in one send, then
// consumes TOTAL records from the beginning in a fresh consumer group and prints one JSON line:
// {"produced_offsets": [...], "consumed": [{key, value, offset, headers}]}.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [bootstrap, topic, nStr, totalStr] = process.argv.slice(2);
  const n = Number(nStr);
  const total = Number(totalStr);
  const kafka = new Kafka({ clientId: 'unimq-test', brokers: [bootstrap], logLevel: logLevel.ERROR,
                            retry: { retries: 3 } });
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < n; i++) {
    messages.push({ key: `js${i}`, value: `from-kafkajs-${i}`, headers: { origin: 'kafkajs', i: `${i}` } });
  }
  const meta = await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
  const base = BigInt(meta[0].baseOffset);
  const producedOffsets = messages.map((_, i) => String(base + BigInt(i)));

  const consumer = kafka.consumer({ groupId: `js-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const consumed = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${consumed.length} of ${total}`)), 20000);
    consumer.run({
      eachMessage: async ({ message }) => {
        const headers = {};
        for (const [k, v] of Object.entries(message.headers || {})) headers[k] = v.toString();
        consumed.push({ key: message.key && message.key.toString(), value: message.value.toString(),
                        offset: message.offset, headers });
        if (consumed.length >= total) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  console.log(JSON.stringify({ produced_offsets: producedOffsets, consumed }));
}

main().catch((e) => { console.error(e); process.exit(1); });
