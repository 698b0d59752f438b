"""`core.metrics.observe_many` counts like `observe` called once per observation."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram

from core.metrics import observe_many


def samples(histogram: Histogram) -> dict[tuple[str, str], float]:
    return {
        (sample.name, sample.labels.get("le", "")): sample.value
        for metric in histogram.collect() for sample in metric.samples if not sample.name.endswith("_created")
    }


def test_many_observations_at_once_count_as_one_by_one() -> None:
    buckets = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
    one_by_one = Histogram("lag_one", "one by one", buckets=buckets, registry=CollectorRegistry())
    at_once = Histogram("lag_one", "at once", buckets=buckets, registry=CollectorRegistry())
    for amount, count in ((0.0, 3), (5.0, 2), (42.5, 7), (300.0, 1), (99_999.0, 4), (12.0, 0)):
        for _ in range(count):
            one_by_one.observe(amount)
        observe_many(at_once, amount, count)
    expected = samples(one_by_one)
    assert expected[("lag_one_count", "")] == 17
    assert samples(at_once) == expected
