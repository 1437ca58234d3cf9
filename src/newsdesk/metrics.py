"""`/metrics` for Prometheus, read from the store at scrape time: nothing to keep in step.

Needs prometheus-client (the `metrics` extra); the server imports this module on the first scrape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from newsdesk.config import Config
from newsdesk.models import SourceState
from newsdesk.store import Store


def exposition(config: Config, open_store: Callable[[], Store | None]) -> Callable[[], bytes]:
    """A function giving the metrics' text each time it is called."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(StoreCollector(config, open_store))
    return lambda: generate_latest(registry)


class StoreCollector:
    """Prometheus metrics read from the store at scrape time: nothing to keep in step."""

    def __init__(self, config: Config, open_store: Callable[[], Store | None]) -> None:
        self.config = config
        self.open_store = open_store

    def collect(self) -> Iterable[Metric]:
        states: dict[str, SourceState] = {}
        publish_duration = None
        store = self.open_store()
        if store is not None:
            try:
                if store.is_created():
                    states = store.source_states(item_counts=True)
                    publish_duration = store.meta("last_publish_duration")
            finally:
                store.close()
        refreshes = CounterMetricFamily("newsdesk_refreshes", "Refreshes attempted.", labels=["source"])
        failures = CounterMetricFamily(
            "newsdesk_refresh_failures", "Refreshes that failed.", labels=["source"]
        )
        consecutive = GaugeMetricFamily(
            "newsdesk_source_consecutive_failures", "Failures since the last success.", labels=["source"]
        )
        items = GaugeMetricFamily("newsdesk_items", "Items stored from each source.", labels=["source"])
        last_success = GaugeMetricFamily(
            "newsdesk_source_last_success_timestamp_seconds",
            "Unix time of the last success.",
            labels=["source"],
        )
        for source in self.config.sources:
            state = states.get(source.name) or SourceState(source.name)
            refreshes.add_metric([source.name], state.attempts)
            failures.add_metric([source.name], state.failures_total)
            consecutive.add_metric([source.name], state.failures)
            items.add_metric([source.name], state.items or 0)
            if state.last_success:
                last_success.add_metric([source.name], state.last_success.timestamp())
        yield from (refreshes, failures, consecutive, items, last_success)
        duration = GaugeMetricFamily("newsdesk_publish_duration_seconds", "Duration of the last publish.")
        duration.add_metric([], float(publish_duration or 0))
        yield duration
        if self.config.workers is not None:
            yield from workers_metrics(self.config)


def workers_metrics(config: Config) -> Iterable[Metric]:
    """The queue, the tasks and the workers' heartbeats (with `workers:`)."""
    from newsdesk.clock import utc_now
    from newsdesk.workers_status import workers_view

    view = workers_view(config, utc_now())
    assert view is not None
    reachable = GaugeMetricFamily("newsdesk_broker_up", "1 when the broker answered this scrape.")
    reachable.add_metric([], 0 if view.waiting is None else 1)
    yield reachable
    if view.waiting is not None:
        depth = GaugeMetricFamily("newsdesk_queue_depth", "Refresh tasks waiting in the broker's queue.")
        depth.add_metric([], view.waiting)
        yield depth
    in_flight = GaugeMetricFamily("newsdesk_tasks", "Refresh tasks queued or running now.", labels=["state"])
    in_flight.add_metric(["queued"], view.counts.queued)
    in_flight.add_metric(["running"], view.counts.running)
    yield in_flight
    finished = GaugeMetricFamily(
        "newsdesk_tasks_last_day", "Refresh tasks finished in the last 24 hours.", labels=["outcome"]
    )
    finished.add_metric(["ok"], view.counts.done_last_day)
    finished.add_metric(["failed"], view.counts.failed_last_day)
    yield finished
    heartbeat = GaugeMetricFamily(
        "newsdesk_worker_last_heartbeat_timestamp_seconds",
        "Unix time of a worker's last heartbeat.",
        labels=["worker", "host"],
    )
    up = GaugeMetricFamily(
        "newsdesk_worker_up", "1 while a worker's heartbeat is fresh.", labels=["worker", "host"]
    )
    for row in view.workers:
        heartbeat.add_metric([row.name, row.host], row.heartbeat.timestamp())
        up.add_metric([row.name, row.host], 1 if view.alive(row) else 0)
    yield from (heartbeat, up)
