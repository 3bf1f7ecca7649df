"""What a platform tells us about the bot's place in a chat, applied to its subscriptions.

Telegram sends ``my_chat_member`` when the bot is removed from a group or channel, blocked in a
private chat, or added back. The adapter turns that into ``chat_changed(target, reachable,
reason)``; the subscriptions stop (or resume) at once, without waiting for failed sends.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.domain import Subscription, Target
from bot.ports import SubscriptionStore

log = logging.getLogger(__name__)


class Reachability:
    """The one place membership changes reach the store (adapters import no SQL)."""

    def __init__(self, subscriptions: SubscriptionStore) -> None:
        self.subscriptions = subscriptions

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

        (The ops branch's ``Alerts`` tells ``BOT_ADMIN_IDS`` from here; deactivations after
        failed sends are told from ``Delivery``.)
        """
        for sub in subscriptions:
            log.warning("subscription %s deactivated: %s", sub.id, reason)
