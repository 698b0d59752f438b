"""The web console's sign-in: one-time links asked for in the bot, browser sessions, Telegram Mini App."""
