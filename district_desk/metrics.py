"""Prometheus metrics of the receiver, correct with any number of worker processes.

``prometheus-client``'s multiprocess mode: each process writes its counters to
files in ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` (any worker) adds them
up. ``serve`` makes that folder (or uses the one the environment names) and
empties it before the workers start, as the client's documentation asks.

Counters and the histogram are per event: batches by outcome, records applied,
refusals by reason, apply latency. The per-ward figures (backlog and oldest
pending change from the ward's last heartbeat, age of its last contact) are
read from the store at scrape time, so every process reports the same.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir() -> Path:
    """The folder of the workers' metric files, made empty (files of processes from
    an earlier run would be added in); set in the environment the workers inherit.
    Must run before ``prometheus_client`` is imported in this process."""
    named = os.environ.get(MULTIPROC_ENV, "").strip()
    folder = Path(named) if named else Path(tempfile.mkdtemp(prefix="district-desk-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("*.db"):
        leftover.unlink(missing_ok=True)
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def remove_multiprocess_dir(folder: Path) -> None:
    """Remove the folder ``prepare_multiprocess_dir`` made (not one the environment named)."""
    if folder.name.startswith("district-desk-metrics-"):
        shutil.rmtree(folder, ignore_errors=True)


class Metrics:
    """The receiver's counters (one set per process; summed at scrape)."""

    def __init__(self) -> None:
        if not os.environ.get(MULTIPROC_ENV):
            prepare_multiprocess_dir()
        from prometheus_client import Counter, Histogram

        # registry=None: the values live in the multiprocess files, and an app made
        # twice in one process (tests) must not register the names twice.
        self.batches = Counter("district_batches", "Uplink envelopes answered, by outcome", ["status"],
                               registry=None)
        self.records = Counter("district_records_applied", "Records in applied batches", registry=None)
        self.rejects = Counter("district_rejects", "Envelopes refused, by reason", ["reason"], registry=None)
        self.apply_seconds = Histogram(
            "district_apply_seconds", "Time to check and apply one envelope",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0), registry=None,
        )

    def timed(self) -> _Timer:
        return _Timer(self)

    def render(self, store: Any) -> tuple[bytes, str]:
        """The exposition text: every process's counters plus the per-ward gauges."""
        from prometheus_client import (
            CONTENT_TYPE_LATEST,
            CollectorRegistry,
            generate_latest,
            multiprocess,
        )

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_WardCollector(store))
        return generate_latest(registry), CONTENT_TYPE_LATEST


class _Timer:
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.start = 0.0

    def __enter__(self) -> _Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.metrics.apply_seconds.observe(time.perf_counter() - self.start)


class _WardCollector:
    """Per-ward gauges from the store: backlog, oldest pending change, last contact."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def collect(self) -> Iterator[Any]:
        from peewee import fn
        from prometheus_client.core import GaugeMetricFamily

        from district_desk.models import Heartbeat, Ward

        backlog = GaugeMetricFamily("district_ward_backlog_records", "Changes waiting at the ward (last heartbeat)",
                                    labels=["office"])
        oldest = GaugeMetricFamily("district_ward_oldest_pending_seconds",
                                   "Age of the ward's oldest unsent change (last heartbeat)", labels=["office"])
        silence = GaugeMetricFamily("district_ward_last_contact_age_seconds",
                                    "Seconds since the ward's last heartbeat", labels=["office"])
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        with self.store.backend.connection_scope(self.store.db):
            last: Any = (Heartbeat.select(Heartbeat.office_code, fn.MAX(Heartbeat.id))
                         .group_by(Heartbeat.office_code).tuples())
            ids = [int(row[1]) for row in last]
            beats = {b.office_code: b for b in Heartbeat.select().where(Heartbeat.id.in_(ids))} if ids else {}
            offices = [w.office_code for w in Ward.select(Ward.office_code).where(Ward.revoked_at.is_null())]
        for office in offices:
            beat = beats.get(office)
            if beat is None:
                continue
            backlog.add_metric([office], float(beat.pending))
            oldest.add_metric([office], float(beat.oldest_pending_s or 0))
            silence.add_metric([office], max(0.0, (now - beat.received_at).total_seconds()))
        yield backlog
        yield oldest
        yield silence
