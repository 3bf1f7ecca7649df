"""Discord's message validation, as the fake Discord applies it (written from Discord's docs).

Deliberately independent of adapters/discord/render.py: the fake must catch a renderer that
gets a limit wrong, so it cannot share the renderer's own checks.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
ROWS_MAX = 5
ROW_BUTTONS_MAX = 5
LABEL_MAX = 80
CUSTOM_ID_MAX = 100
THREAD_NAME_MAX = 100

Errors = dict[str, Any]


def _err(code: str, message: str) -> Errors:
    return {"_errors": [{"code": code, "message": message}]}


def _too_long(limit: int) -> Errors:
    return _err("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _put(errors: Errors, path: list[str], leaf: Errors) -> None:
    node = errors
    for key in path:
        node = node.setdefault(key, {})
    node.update(leaf)


def _check_url(errors: Errors, path: list[str], value: Any) -> None:
    if value is None:
        return
    scheme = urlparse(str(value)).scheme
    if scheme not in ("http", "https", "attachment"):
        _put(
            errors,
            path,
            _err(
                "URL_TYPE_INVALID_PROTOCOL",
                f"Scheme \"{scheme}\" is not supported. Scheme must be one of ('http', 'https').",
            ),
        )


def _embed_errors(errors: Errors, index: int, embed: dict[str, Any]) -> int:
    """Validates one embed; returns its size in characters as Discord counts it."""
    base = ["embeds", str(index)]
    size = 0
    for key, limit in (("title", TITLE_MAX), ("description", DESCRIPTION_MAX)):
        text = embed.get(key)
        if text is not None:
            size += len(str(text))
            if len(str(text)) > limit:
                _put(errors, [*base, key], _too_long(limit))
    _check_url(errors, [*base, "url"], embed.get("url"))
    for key in ("image", "thumbnail"):
        if isinstance(embed.get(key), dict):
            _check_url(errors, [*base, key, "url"], embed[key].get("url"))
    footer = embed.get("footer")
    if isinstance(footer, dict) and footer.get("text") is not None:
        size += len(footer["text"])
        if len(footer["text"]) > FOOTER_MAX:
            _put(errors, [*base, "footer", "text"], _too_long(FOOTER_MAX))
    author = embed.get("author")
    if isinstance(author, dict) and author.get("name") is not None:
        size += len(author["name"])
        if len(author["name"]) > AUTHOR_MAX:
            _put(errors, [*base, "author", "name"], _too_long(AUTHOR_MAX))
        _check_url(errors, [*base, "author", "url"], author.get("url"))
    fields = embed.get("fields") or []
    if len(fields) > FIELDS_MAX:
        _put(errors, [*base, "fields"], _too_long(FIELDS_MAX))
    for i, field in enumerate(fields):
        for key, limit in (("name", FIELD_NAME_MAX), ("value", FIELD_VALUE_MAX)):
            text = field.get(key)
            if not text:
                _put(
                    errors,
                    [*base, "fields", str(i), key],
                    _err("BASE_TYPE_REQUIRED", "This field is required"),
                )
                continue
            size += len(str(text))
            if len(str(text)) > limit:
                _put(errors, [*base, "fields", str(i), key], _too_long(limit))
    color = embed.get("color")
    if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
        _put(errors, [*base, "color"], _err("NUMBER_TYPE_MAX", "int value should be <= 16777215."))
    return size


def _component_errors(errors: Errors, components: list[dict[str, Any]]) -> None:
    if len(components) > ROWS_MAX:
        _put(errors, ["components"], _too_long(ROWS_MAX))
    seen: set[str] = set()
    for r, row in enumerate(components):
        path = ["components", str(r)]
        if row.get("type") != 1:
            _put(
                errors, [*path, "type"], _err("UNION_TYPE_CHOICES", "Value must be an action row.")
            )
            continue
        buttons = row.get("components") or []
        if not buttons or len(buttons) > ROW_BUTTONS_MAX:
            _put(
                errors,
                [*path, "components"],
                _err("BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {ROW_BUTTONS_MAX} in length."),
            )
        for b, button in enumerate(buttons):
            bpath = [*path, "components", str(b)]
            if button.get("type") != 2:
                continue
            label = button.get("label") or ""
            if len(label) > LABEL_MAX:
                _put(errors, [*bpath, "label"], _too_long(LABEL_MAX))
            if button.get("style") == 5:
                if not button.get("url") or button.get("custom_id"):
                    _put(
                        errors,
                        [*bpath, "url"],
                        _err("COMPONENT_LAYOUT_WIDTH_EXCEEDED", "A link button needs a url only."),
                    )
                _check_url(errors, [*bpath, "url"], button.get("url"))
            else:
                custom_id = button.get("custom_id") or ""
                if not custom_id or len(custom_id) > CUSTOM_ID_MAX:
                    _put(
                        errors,
                        [*bpath, "custom_id"],
                        _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."),
                    )
                elif custom_id in seen:
                    _put(
                        errors,
                        [*bpath, "custom_id"],
                        _err(
                            "COMPONENT_CUSTOM_ID_DUPLICATED",
                            "Component custom id cannot be duplicated",
                        ),
                    )
                seen.add(custom_id)


def message_errors(payload: dict[str, Any]) -> Errors | None:
    """Discord's ``errors`` object for an invalid message body, or None when it is valid."""
    errors: Errors = {}
    content = payload.get("content") or ""
    if len(content) > CONTENT_MAX:
        _put(errors, ["content"], _too_long(CONTENT_MAX))
    embeds = payload.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        _put(errors, ["embeds"], _too_long(EMBEDS_MAX))
    total = sum(_embed_errors(errors, i, e) for i, e in enumerate(embeds))
    if total > EMBED_TOTAL_MAX:
        _put(
            errors,
            ["embeds"],
            _err(
                "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}"
            ),
        )
    _component_errors(errors, payload.get("components") or [])
    return errors or None


def is_empty(payload: dict[str, Any]) -> bool:
    """Discord refuses a message with neither content, embeds, components nor stickers."""
    return not (
        payload.get("content")
        or payload.get("embeds")
        or payload.get("components")
        or payload.get("sticker_ids")
        or payload.get("attachments")
    )
