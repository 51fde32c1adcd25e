"""Fault tests: a broker of their own on free ports, started once per session and always stopped.

The shared broker on 127.0.0.1:9092 is never touched: these tests SIGKILL theirs.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator

import pytest

from faultkit import OBSERVED, Broker, free_port_pair


# The tests' own clients reconnect to a broker they killed on purpose; aiokafka logs each try.
logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> Iterator[Broker]:
    fault_broker = Broker(f"127.0.0.1:{free_port_pair()}", tmp_path_factory.mktemp("kafka"))
    seconds = fault_broker.start()
    OBSERVED["broker"]["first_start_seconds"] = round(seconds, 1)
    try:
        yield fault_broker
    finally:
        fault_broker.stop()


def pytest_terminal_summary(terminalreporter) -> None:
    if not OBSERVED:
        return
    terminalreporter.section("observed under faults")
    for test, numbers in OBSERVED.items():
        terminalreporter.write_line(f"{test}: " + ", ".join(f"{k}={v}" for k, v in numbers.items()))
    report = os.environ.get("PMO_FAULTS_REPORT")
    if report:
        with open(report, "w") as out:
            json.dump(OBSERVED, out, indent=2, default=str)
