"""The one place where the Telegram application is wired: handlers, defaults, start-up work."""

from __future__ import annotations

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import texts
from bot.config import Settings
from bot.context import SERVICES_KEY, BotApplication, BotContext
from bot.digest_run import send_due
from bot.ratelimit import TelegramRateLimiter
from bot.schedule import schedule_all
from bot.services import Services, create_services
from handlers.basic import send_help
from handlers.errors import drop_replayed, report_error
from handlers.groups import switch_autosummary
from handlers.membership import follow_migration, track_membership
from handlers.subscriptions import (
    send_digest,
    set_keywords,
    set_limit,
    set_time,
    show_settings,
    subscribe_chat,
    unsubscribe_chat,
)
from handlers.summary import summarize_command, summarize_links

# Updates handled at once: one slow summary must never hold up another user.
CONCURRENT_UPDATES = 64


def build_application(settings: Settings, services: Services | None = None) -> BotApplication:
    """Build the PTB application for `settings`, with every handler registered."""
    services = services or create_services(settings)
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        do_quote=True,
        tzinfo=settings.zone,
    )
    application: BotApplication = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .defaults(defaults)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(CONCURRENT_UPDATES)
        .rate_limiter(TelegramRateLimiter())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data[SERVICES_KEY] = services
    _add_handlers(application)
    return application


_SUBSCRIPTION_COMMANDS = {
    "subscribe": subscribe_chat,
    "unsubscribe": unsubscribe_chat,
    "keywords": set_keywords,
    "time": set_time,
    "limit": set_limit,
    "settings": show_settings,
    "digest": send_digest,
}


def _add_handlers(application: BotApplication) -> None:
    application.add_handler(TypeHandler(Update, drop_replayed), group=-1)
    application.add_handler(CommandHandler(["start", "help"], send_help))
    application.add_handler(CommandHandler("summary", summarize_command))
    application.add_handler(CommandHandler("autosummary", switch_autosummary))
    for name, callback in _SUBSCRIPTION_COMMANDS.items():
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(ChatMemberHandler(track_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, follow_migration))
    with_text = (filters.TEXT | filters.CAPTION) & ~filters.COMMAND
    private_or_group = filters.ChatType.PRIVATE | filters.ChatType.GROUPS
    application.add_handler(MessageHandler(with_text & private_or_group, summarize_links))
    application.add_error_handler(report_error)


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    services: Services = application.bot_data[SERVICES_KEY]
    await services.open()
    commands = [BotCommand(name, description) for name, description in texts.COMMANDS]
    await application.bot.set_my_commands(commands)
    await schedule_all(application)


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    services: Services = application.bot_data[SERVICES_KEY]
    await services.close()


def run(settings: Settings) -> None:
    """Run the bot with long polling until SIGINT/SIGTERM."""
    build_application(settings).run_polling(allowed_updates=Update.ALL_TYPES)


async def send_due_once(settings: Settings) -> int:
    """`arxiv-digest send-due`: one scheduler pass with the same bot set-up, then exit."""
    application = build_application(settings)
    await application.initialize()
    services: Services = application.bot_data[SERVICES_KEY]
    await services.open()
    try:
        return await send_due(services, application.bot)
    finally:
        await services.close()
        await application.shutdown()
