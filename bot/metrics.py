"""Every Prometheus metric of the bot, in one place, on a registry the app owns.

Each ``App`` gets its own ``CollectorRegistry`` (not prometheus_client's global one), so tests can
build several apps in one process. Call sites increment with one obvious line, e.g.
``metrics.messages_sent.labels("telegram").inc()``; ``/metrics`` serves ``render()``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

# the classic text format every Prometheus (2.x and 3.x) scrapes; our names are plain ASCII
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
NAMESPACE = "dailypapers"


class Metrics:
    """The bot's counters, gauges and histograms (names are ``dailypapers_*``)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        ns = NAMESPACE
        self.messages_sent = Counter(
            "messages_sent", "Messages sent, per platform.", ["platform"], namespace=ns, registry=r
        )
        self.messages_failed = Counter(
            "messages_failed",
            "Messages a platform refused or could not take, per platform.",
            ["platform"],
            namespace=ns,
            registry=r,
        )
        self.rate_limited = Counter(
            "rate_limited",
            "HTTP 429 answers received, per service (telegram, discord, huggingface, llm).",
            ["service"],
            namespace=ns,
            registry=r,
        )
        self.deliveries = Counter(
            "deliveries",
            "Morning-post deliveries, per outcome: done, failed (the chat's own failure), held "
            "(the platform failed; retried), gave_up (the period ended without it).",
            ["status"],
            namespace=ns,
            registry=r,
        )
        self.deactivated = Counter(
            "chats_deactivated",
            "Subscriptions deactivated (failed days, or the bot left the chat), per platform.",
            ["platform"],
            namespace=ns,
            registry=r,
        )
        self.subscriptions_active = Gauge(
            "subscriptions_active",
            "Subscribed, active chats per platform (read from the database on scrape).",
            ["platform"],
            namespace=ns,
            registry=r,
        )
        self.command_seconds = Histogram(
            "command_seconds",
            "Time to answer a command (core only, without sending), per command.",
            ["command"],
            namespace=ns,
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.hf_requests = Counter(
            "hf_requests",
            "Hugging Face API requests, per outcome (ok, error).",
            ["outcome"],
            namespace=ns,
            registry=r,
        )
        self.llm_calls = Counter(
            "llm_calls",
            "LLM chat-completion calls, per outcome (ok, error).",
            ["outcome"],
            namespace=ns,
            registry=r,
        )
        self.llm_tokens = Counter(
            "llm_tokens",
            "LLM tokens used, per kind (prompt, completion).",
            ["kind"],
            namespace=ns,
            registry=r,
        )
        self.ticks = Counter(
            "ticks", "Clock ticks, per outcome (ok, error).", ["outcome"], namespace=ns, registry=r
        )
        self.tick_seconds = Histogram(
            "tick_seconds",
            "Duration of one clock tick (who is due, and the morning post fan-out).",
            namespace=ns,
            registry=r,
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600),
        )
        self.alerts = Counter(
            "alerts",
            "Operator alerts, per kind and outcome (sent, suppressed).",
            ["kind", "outcome"],
            namespace=ns,
            registry=r,
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        return generate_latest(self.registry)
