// kafkajs consumer group for tests/integration/kafka/test_groups.py:
//   node groups_kafkajs.js BOOTSTRAP TOPIC GROUP N
// Joins GROUP, consumes N records (offsets committed by kafkajs after each batch), leaves,
// and prints one JSON line: {"consumed": [{value, partition, offset}]}.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [bootstrap, topic, groupId, nStr] = process.argv.slice(2);
  const n = Number(nStr);
  const kafka = new Kafka({ clientId: 'unimq-groups', brokers: [bootstrap],
                            logLevel: logLevel.ERROR, retry: { retries: 3 } });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, sessionTimeout: 10000,
                                    heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const consumed = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${consumed.length} of ${n}`)), 20000);
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        consumed.push({ value: message.value.toString(), partition, offset: message.offset });
        if (consumed.length >= n) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  console.log(JSON.stringify({ consumed }));
}

main().catch((e) => { console.error(e); process.exit(1); });
