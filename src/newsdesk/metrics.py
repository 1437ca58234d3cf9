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
