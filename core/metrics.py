"""Operational metrics in one Prometheus registry, served by the API at /metrics.

Any part of the project increments the objects below, e.g.
`metrics.SENDS.labels(result="sent").inc()` or `metrics.REMINDER_LAG.observe(seconds)`.
Labels carry kinds and outcomes, never ids or personal data (each value is a new time series).
A leaf: it reads no table (the outbox gauge is set by core.delivery.outbox.observe_depth).
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

NAMESPACE = "sotay"
# The *_created series double the output and nobody graphs them.
disable_created_metrics()
REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES_HANDLED = Counter(
    "updates_handled", "Messenger updates handled, by update kind", ["kind"], namespace=NAMESPACE, registry=REGISTRY
)
# The whole table's figure, the same from every process that serves it: aggregate with max(), not sum().
OUTBOX_DEPTH = Gauge(
    "outbox_depth", "Outbox rows by state (the whole table), counted when scraped", ["state"], namespace=NAMESPACE, registry=REGISTRY
)
BUDGET_UNREACHABLE = Gauge("delivery_budget_unreachable", "1 while this process cannot reach a platform's rate budget (Redis)",
                           ["platform"], namespace=NAMESPACE, registry=REGISTRY)
SENDS = Counter("sends", "Delivery attempts by platform and result (sent, retry, defer, failed, unreachable, released)",
                ["platform", "result"], namespace=NAMESPACE, registry=REGISTRY)
TICKS = Counter("ticks", "Scheduler ticks completed (every job asked once)", namespace=NAMESPACE, registry=REGISTRY)
TELEGRAM_429 = Counter("telegram_429", "Flood-control answers (429) from Telegram", namespace=NAMESPACE, registry=REGISTRY)
RATE_LIMITED = Counter("rate_limited", "Flood-control answers (429) by platform (Telegram's are also telegram_429)", ["platform"],
                       namespace=NAMESPACE, registry=REGISTRY)
TTS_CACHE_HITS = Counter("tts_cache_hits", "Voice notes served from the audio cache", namespace=NAMESPACE, registry=REGISTRY)
ACTORS_FROM_MEMORY = Counter("actors_from_memory", "Updates whose asker came from memory (the directory unchanged since)",
                             namespace=NAMESPACE, registry=REGISTRY)
ACTORS_LOADED = Counter("actors_loaded", "Updates whose asker was loaded from the database", namespace=NAMESPACE, registry=REGISTRY)
TTS_CACHE_MISSES = Counter("tts_cache_misses", "Voice notes that had to be synthesised", namespace=NAMESPACE, registry=REGISTRY)
# Read ahead (core.recordings.presynthesis, the worker role): the queue is the whole table, counted
# when scraped like the outbox (aggregate with max()); the rest are each worker process's own.
PRESYNTHESIS_QUEUE = Gauge("presynthesis_queue_depth", "Subjects to read ahead (the whole table), counted when scraped: "
                           "due (waiting or under way) and given_up (attempts spent)", ["state"], namespace=NAMESPACE, registry=REGISTRY)
PRESYNTHESIS_DONE = Counter("presynthesis_subjects_done", "Subjects read ahead: every variant tried", namespace=NAMESPACE,
                            registry=REGISTRY)
PRESYNTHESIS_VARIANTS = Counter("presynthesis_variants", "Variants read ahead by result: made (synthesised), cached (found made), "
                                "failed (left for the tap)", ["result"], namespace=NAMESPACE, registry=REGISTRY)
PRESYNTHESIS_SECONDS = Histogram(
    "presynthesis_variant_seconds",
    "Wall time to make one variant ahead (synthesis, encoding on the background thread, caching); cached ones excluded",
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300),
    namespace=NAMESPACE,
    registry=REGISTRY,
)
# The audio cache's housekeeping (core.recordings.audio_cache, the scheduler): what the last pass left.
VOICE_CACHE_BYTES = Gauge("voice_cache_bytes", "Bytes in the audio cache after the scheduler's last pass", namespace=NAMESPACE,
                          registry=REGISTRY)
VOICE_CACHE_EVICTED = Counter("voice_cache_evicted", "Audio cache entries evicted, least recently used first", namespace=NAMESPACE,
                              registry=REGISTRY)
for _result in ("made", "cached", "failed"):  # every series at 0 from the start: rate() and alerts work at once
    PRESYNTHESIS_VARIANTS.labels(result=_result)
REMINDER_LAG = Histogram(
    "reminder_lag_seconds",
    "Delay between when a reminder was due and when it was queued",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
    namespace=NAMESPACE,
    registry=REGISTRY,
)
API_REQUESTS = Counter(
    "api_requests",
    "HTTP requests by route template (method and path, never the raw URL) and status code",
    ["route", "status"],
    namespace=NAMESPACE,
    registry=REGISTRY,
)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def observe_many(histogram: Histogram, amount: float, count: int) -> None:
    """`count` observations of one `amount` (the lag of a whole group of reminders queued at once):
    the same count, sum and buckets as `observe` called `count` times, without a loop per observation.
    Uses the client's own fields (`_sum`, `_buckets`, `_upper_bounds`); tests/unit/test_metrics_many.py
    holds it to `observe`."""
    if count <= 0:
        return
    histogram._raise_if_not_observable()
    histogram._sum.inc(amount * count)
    for index, bound in enumerate(histogram._upper_bounds):
        if amount <= bound:
            histogram._buckets[index].inc(count)
            break
