"""The Zalo channel adapter: Zalo's Bot API on one side, the same aiogram Dispatcher and routers
as Telegram on the other (see docs/conversation.md)."""
