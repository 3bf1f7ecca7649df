"""Reply → stable JSON: every field of the reply and its cards, plus the cards' links."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from typing import Any

from bot.domain import Card, Reply


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def card_dict(card: Card) -> dict[str, Any]:
    data = _plain(dataclasses.asdict(card))
    data["arxiv_url"] = card.arxiv_url
    data["hf_url"] = card.hf_url
    data["thumbnail_url"] = card.thumbnail_url
    return data


def reply_dict(reply: Reply) -> dict[str, Any]:
    data = _plain(dataclasses.asdict(reply))
    data["cards"] = [card_dict(card) for card in reply.cards]
    return data


def render_json(reply: Reply) -> str:
    return json.dumps(reply_dict(reply), ensure_ascii=False, indent=2)
