// amqplib: server-initiated consumer cancel and nack/requeue, for test_clients.py:
//   node amqp_cancel.js <amqp-url> <queue>
// Prints a JSON summary: whether the consumer saw the broker's Basic.Cancel (amqplib calls the
// consume callback with null) after the queue was deleted from another channel, and whether a
// nacked message came back redelivered.
'use strict';
const amqp = require('amqplib');

async function main() {
  const [url, queue] = process.argv.slice(2);
  const conn = await amqp.connect(url);
  const summary = { redelivered: null, cancelled: false, channelOpen: false };
  try {
    const ch = await conn.createChannel();
    await ch.assertQueue(queue, { durable: false });
    ch.sendToQueue(queue, Buffer.from('again'));
    let first = false;
    while (!first) first = await ch.get(queue, { noAck: false });
    ch.nack(first, false, true);
    let second = false;
    while (!second) second = await ch.get(queue, { noAck: false });
    summary.redelivered = second.fields.redelivered && second.content.toString() === 'again';
    ch.ack(second);

    const cancelled = new Promise((resolve) => {
      ch.consume(queue, (msg) => { if (msg === null) resolve(true); });
    });
    const other = await conn.createChannel();
    await other.deleteQueue(queue);
    summary.cancelled = await Promise.race([cancelled,
      new Promise((resolve) => setTimeout(() => resolve(false), 5000))]);
    const probe = await ch.assertQueue('', { exclusive: true });  // the channel still works
    summary.channelOpen = probe.queue.length > 0;
    await other.close();
  } finally {
    await conn.close().catch(() => {});
  }
  console.log(JSON.stringify(summary));
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
