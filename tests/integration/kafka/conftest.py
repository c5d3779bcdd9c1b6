"""Fixtures for the Kafka integration tests: a UniMQ broker with its Kafka listener on a
free port and unique topic names. Client helpers live in kafka_util.py."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import List, Sequence

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kafka_util import KafkaBroker  # noqa: E402


@pytest.fixture
def kafka_factory(broker_factory):
    """kafka_factory(*settings) -> KafkaBroker; settings are "key=value" strings for --set."""
    def start(*settings: str, extra_args: Sequence[str] = ()):
        args: List[str] = list(extra_args)
        for s in settings:
            args += ["--set", s]
        return KafkaBroker(broker_factory(extra_args=args, kafka_port=None))
    return start


@pytest.fixture
def kafka(kafka_factory):
    """A fresh UniMQ with default settings and a Kafka listener."""
    return kafka_factory()


@pytest.fixture
def topic_name(request):
    """topic_name(suffix="") -> a unique, valid Kafka topic name for this test."""
    base = request.node.name.replace("[", "-").replace("]", "").replace("/", "-")[:60]

    def make(suffix: str = "") -> str:
        return "%s%s-%s" % (base, suffix, uuid.uuid4().hex[:6])
    return make
