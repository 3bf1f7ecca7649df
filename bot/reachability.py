"""What a platform tells us about the bot's place in a chat, applied to its subscriptions.

Telegram sends ``my_chat_member`` when the bot is removed from a group or channel, blocked in a
private chat, or added back. The adapter turns that into ``chat_changed(target, reachable,
reason)``; the subscriptions stop (or resume) at once, without waiting for failed sends.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.alerts import Alerts
from bot.domain import Subscription, Target
from bot.metrics import Metrics
from bot.ports import SubscriptionStore

log = logging.getLogger(__name__)


class Reachability:
    """The one place membership changes reach the store (adapters import no SQL)."""

    def __init__(
        self,
        subscriptions: SubscriptionStore,
        alerts: Alerts | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.subscriptions = subscriptions
        self.alerts = alerts
        self.metrics = metrics

    async def chat_changed(
        self, target: Target, reachable: bool, reason: str
    ) -> list[Subscription]:
        """Deactivate (``reachable=False``) or reactivate the chat's subscriptions."""
        changed = await self.subscriptions.set_reachable(target, reachable, reason)
        if changed and not reachable:
            await self.deactivated(changed, reason)
        for sub in changed if reachable else ():
            log.info("subscription %s reactivated: %s", sub.id, reason)
        return changed

    async def deactivated(self, subscriptions: Sequence[Subscription], reason: str) -> None:
        """Subscriptions the platform told us to stop: the call site for operator alerts.

        ``Alerts`` tells ``BOT_ADMIN_IDS`` from here (one alert per kind per hour, as for
        deactivations after failed sends, which ``Delivery`` tells).
        """
        for sub in subscriptions:
            log.warning("subscription %s deactivated: %s", sub.id, reason)
            if self.metrics is not None:
                self.metrics.deactivated.labels(sub.platform).inc()
            if self.alerts is not None:
                chat = sub.chat_id + (f" (thread {sub.thread_id})" if sub.thread_id else "")
                text = self.alerts.text(
                    "alert_deactivated", platform=sub.platform, chat=chat, reason=reason
                )
                await self.alerts.alert("deactivated", text)
