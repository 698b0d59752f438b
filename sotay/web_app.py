"""The HTTP app a full process serves: the API (api.app) with each channel's webhook, which lives
beside its adapter (bot/webhook.py, bot/zalo/webhook.py), and the demo's page under `sotay demo`:
api/ imports neither bot, sandbox nor sotay."""

from __future__ import annotations

from fastapi import FastAPI

from sotay.runtime import Runtime


def http_app(runtime: Runtime) -> FastAPI:
    from api.app import create_app
    from bot.webhook import webhook_router as telegram_webhook

    settings = runtime.settings
    app = create_app(runtime)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret is not None else None
    app.include_router(telegram_webhook(runtime.bot, runtime.dispatcher, secret))
    if runtime.zalo is not None and settings.zalo_webhook_url and settings.zalo_webhook_secret is not None:
        from bot.zalo.webhook import webhook_router as zalo_webhook

        app.include_router(zalo_webhook(runtime.zalo.inbound, settings.zalo_webhook_secret.get_secret_value()))
    if runtime.services.get("sandbox_url"):  # `sotay demo`: the sandbox's chat page at /, and its training room
        from sotay.demo_page import mount_demo

        mount_demo(app, runtime.services["sandbox_url"], sandbox_port=runtime.services.get("sandbox_port"))
        if runtime.services.get("training") is not None:
            from sotay.training_page import mount_training

            # The demo's training room lives as long as this app, on the runtime's database sessions.
            mount_training(app, runtime.services["training"](runtime), sandbox_url=runtime.services["sandbox_url"],
                           sandbox_port=runtime.services.get("sandbox_port"))
    return app
