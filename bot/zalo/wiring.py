"""Builds the Zalo side once: client, courier, bot, inbound translator, messenger."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Dispatcher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.zalo.client import ZaloClient
from bot.zalo.courier import MediaPublisher, ZaloCourier
from bot.zalo.inbound import ZaloInbound
from bot.zalo.messenger import ZaloMessenger
from bot.zalo.session import ZaloBot, ZaloSession
from core.clock import Clock


@dataclass
class ZaloChannel:
    client: ZaloClient
    courier: ZaloCourier
    bot: ZaloBot
    inbound: ZaloInbound
    messenger: ZaloMessenger

    async def close(self) -> None:
        await self.client.close()


def build_zalo(token: str, api_base: str, *, dispatcher: Dispatcher, session_factory: async_sessionmaker[AsyncSession],
               clock: Clock, media: MediaPublisher | None = None) -> ZaloChannel:
    client = ZaloClient(token, api_base)
    courier = ZaloCourier(client, session_factory, clock=clock, media=media)
    bot = ZaloBot(token, ZaloSession(courier))
    return ZaloChannel(client=client, courier=courier, bot=bot, inbound=ZaloInbound(courier, dispatcher, bot), messenger=ZaloMessenger(courier, bot_key=str(bot.id)))
