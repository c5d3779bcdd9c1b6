"""Kafka side of bench/soak.sh: a consumer-group member that reads a topic for the soak, then
until it has caught up with the partitions' high watermarks, and checks what it read.

Usage: soak_consumer.py BOOTSTRAP TOPIC SECONDS DONE_FILE
Reads for SECONDS, then keeps reading until DONE_FILE exists (the producers are done) and every
partition is read up to its high watermark (at most 60 s more). Prints one JSON line: records
read, distinct (partition, offset) pairs, the sum of the high watermarks, consume errors, and
whether it caught up.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition


def main():
    bootstrap, topic, seconds, done_file = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "unimq-soak",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": True,
    })
    c.subscribe([topic])
    seen = {}  # partition -> set of offsets
    records = errors = 0
    end = time.time() + seconds
    deadline = None
    caught_up = False
    while True:
        for m in c.consume(1000, 0.5):
            if m.error():
                errors += 1
                continue
            records += 1
            seen.setdefault(m.partition(), set()).add(m.offset())
        now = time.time()
        if now < end or not os.path.exists(done_file):
            continue
        if deadline is None:
            deadline = now + 60
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        high = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts}
        caught_up = all(len(seen.get(p, ())) >= h for p, h in high.items())
        if caught_up or now > deadline:
            break
    c.close()
    print(json.dumps({
        "records": records,
        "distinct": sum(len(s) for s in seen.values()),
        "high_watermarks": sum(high.values()),
        "errors": errors,
        "caught_up": caught_up,
    }))


if __name__ == "__main__":
    try:
        main()
    except KafkaException as e:
        print(json.dumps({"error": str(e)}))
        sys.exit(1)
