"""Reply markup as Telegram validates it: inline keyboards, reply keyboards, removal, force reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sandbox.errors import bad_request
from sandbox.limits import Limits

MarkupKind = Literal["inline", "keyboard", "remove", "force_reply"]

# An inline button does exactly one thing; these are the fields that say what.
_INLINE_ACTIONS = ("callback_data", "url", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
                   "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay", "web_app")


@dataclass(frozen=True)
class ReplyMarkup:
    kind: MarkupKind
    markup: dict[str, Any]  # normalised: reply keyboard buttons always objects, never bare strings

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        return self.markup.get("inline_keyboard", []) if self.kind == "inline" else []


def _rows(value: Any, field: str) -> list[list[Any]]:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise bad_request(f"field \"{field}\" of the keyboard must be an Array of Arrays")
    return value


def _inline(markup: dict[str, Any], limits: Limits) -> ReplyMarkup:
    rows = _rows(markup.get("inline_keyboard"), "inline_keyboard")
    if sum(len(row) for row in rows) > limits.max_inline_buttons:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text") or "").strip():
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            actions = [name for name in _INLINE_ACTIONS if button.get(name) is not None]
            if not actions:
                raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:
                raise bad_request("can't parse inline keyboard button: exactly one of the optional fields must be used")
            data = button.get("callback_data")
            if data is not None and not (1 <= len(str(data).encode()) <= limits.max_callback_data):
                raise bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
                raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    return ReplyMarkup("inline", {"inline_keyboard": rows})


def _reply_keyboard(markup: dict[str, Any]) -> ReplyMarkup:
    rows: list[list[dict[str, Any]]] = []
    for row in _rows(markup.get("keyboard"), "keyboard"):
        buttons = []
        for button in row:
            button = {"text": button} if isinstance(button, str) else button
            if not isinstance(button, dict) or not str(button.get("text") or "").strip():
                raise bad_request("can't parse keyboard button: Text must be non-empty")
            buttons.append(button)
        rows.append(buttons)
    return ReplyMarkup("keyboard", {**markup, "keyboard": rows})


def parse_reply_markup(value: Any, limits: Limits, *, inline_only: bool = False) -> ReplyMarkup | None:
    """Validate `reply_markup` the way Telegram does; None when absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in value:
        return _inline(value, limits)
    if inline_only:
        raise bad_request("can't parse inline keyboard markup JSON object")
    if "keyboard" in value:
        return _reply_keyboard(value)
    if value.get("remove_keyboard"):
        return ReplyMarkup("remove", {"remove_keyboard": True})
    if value.get("force_reply"):
        return ReplyMarkup("force_reply", dict(value))
    raise bad_request("can't parse reply keyboard markup JSON object")


def has_callback_button(inline_markup: dict[str, Any] | None, data: str) -> bool:
    rows = (inline_markup or {}).get("inline_keyboard", [])
    return any(button.get("callback_data") == data for row in rows for button in row)


def find_keyboard_button(keyboard: dict[str, Any] | None, label: str) -> dict[str, Any] | None:
    for row in (keyboard or {}).get("keyboard", []):
        for button in row:
            if button.get("text") == label:
                return dict(button)
    return None
