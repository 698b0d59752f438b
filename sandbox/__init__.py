"""A local Telegram-compatible Bot API server with simulated people: end-to-end tests, demos, training.

Stands alone: it imports nothing from the rest of Sổ tay. It also emulates the Zalo Bot Platform
(`server.zalo`, `/zalo/bot<token>/<method>`; see sandbox/README.md, "Zalo side").

    async with SandboxServer(bots={"123456:ABC…": "my_bot"}) as server:
        bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
"""

from sandbox.errors import ApiError
from sandbox.limits import Limits
from sandbox.server import SandboxServer

__all__ = ["ApiError", "Limits", "SandboxServer"]
