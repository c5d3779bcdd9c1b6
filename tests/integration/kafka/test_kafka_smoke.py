"""Smoke test owned by the front end: kcat produce/consume round trip and metadata."""
import subprocess


def kcat(bootstrap, *args, stdin=None):
    return subprocess.run(["kcat", "-b", bootstrap, *args], input=stdin, capture_output=True,
                          text=True, timeout=30)


def test_kcat_produce_consume_round_trip(kafka, topic_name):
    topic = topic_name()
    lines = "".join("k%d:value-%d\n" % (i, i) for i in range(20))
    p = kcat(kafka.bootstrap, "-P", "-t", topic, "-K:", stdin=lines)
    assert p.returncode == 0, p.stderr
    c = kcat(kafka.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-f", "%o|%k|%s\n")
    assert c.returncode == 0, c.stderr
    got = c.stdout.splitlines()
    assert got == ["%d|k%d|value-%d" % (i, i, i) for i in range(20)]


def test_kcat_metadata_lists_auto_created_topic(kafka, topic_name):
    topic = topic_name()
    assert kcat(kafka.bootstrap, "-P", "-t", topic, stdin="x\n").returncode == 0
    m = kcat(kafka.bootstrap, "-L", "-t", topic)
    assert m.returncode == 0, m.stderr
    assert 'topic "%s" with 1 partitions' % topic in m.stdout
    assert "broker 0 at 127.0.0.1:%d" % kafka.port in m.stdout
