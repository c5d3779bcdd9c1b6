// amqplib round trip for tests/integration/amqp/test_clients.py:
//   node amqp_pubsub.js <amqp-url> <queue> <count>
// Publishes <count> persistent messages on a confirm channel (waitForConfirms), consumes them
// with manual acks on a second channel, checks order and properties, prints a JSON summary.
'use strict';
const amqp = require('amqplib');

async function main() {
  const [url, queue, countArg] = process.argv.slice(2);
  const count = parseInt(countArg || '100', 10);
  const conn = await amqp.connect(url);
  const summary = { confirmed: 0, received: 0, inOrder: true, props: null, topic: null };
  try {
    const pub = await conn.createConfirmChannel();
    await pub.assertQueue(queue, { durable: false, autoDelete: true });
    for (let i = 0; i < count; i++) {
      pub.sendToQueue(queue, Buffer.from(String(i)), {
        persistent: true, contentType: 'text/plain', messageId: 'm' + i,
        headers: { idx: i, nested: { a: 'b' } }, correlationId: 'c' + i,
      }, (err) => { if (!err) summary.confirmed++; });
    }
    await pub.waitForConfirms();

    const sub = await conn.createChannel();
    await sub.prefetch(10);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timeout: got ' + summary.received)), 10000);
      sub.consume(queue, (msg) => {
        const i = summary.received++;
        if (msg.content.toString() !== String(i)) summary.inOrder = false;
        if (i === 0) {
          summary.props = {
            contentType: msg.properties.contentType, messageId: msg.properties.messageId,
            deliveryMode: msg.properties.deliveryMode, correlationId: msg.properties.correlationId,
            headers: msg.properties.headers,
          };
        }
        sub.ack(msg);
        if (summary.received === count) { clearTimeout(timer); resolve(); }
      });
    });

    // Topic exchange through amqplib's own helpers.
    const ex = queue + '-ex';
    await sub.assertExchange(ex, 'topic', { autoDelete: true });
    const q2 = await sub.assertQueue('', { exclusive: true });
    await sub.bindQueue(q2.queue, ex, 'a.*');
    pub.publish(ex, 'a.b', Buffer.from('topic-msg'));
    pub.publish(ex, 'x.y', Buffer.from('unrouted'));
    await pub.waitForConfirms();
    const got = await sub.get(q2.queue, { noAck: true });
    summary.topic = got ? got.content.toString() : null;
    const empty = await sub.get(q2.queue, { noAck: true });
    if (empty !== false) summary.topic += '+extra';
    await sub.close();
    await pub.close();
  } finally {
    await conn.close();
  }
  console.log(JSON.stringify(summary));
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
