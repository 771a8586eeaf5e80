"""Every command in a role's menu is one the bot answers."""
from telegram.ext import CommandHandler, ConversationHandler

from bot.app import build_application
from bot.settings import load_settings
from core.desk import CompanySettings, Desk
from handlers.menus import ROLE_COMMANDS


def commands_handled(application) -> set[str]:
    found = set()

    def visit(handler):
        if isinstance(handler, CommandHandler):
            found.update(handler.commands)
        elif isinstance(handler, ConversationHandler):
            for inner in (*handler.entry_points, *handler.fallbacks,
                          *(h for hs in handler.states.values() for h in hs)):
                visit(inner)

    for group in application.handlers.values():
        for handler in group:
            visit(handler)
    found.update(application.bot_data["flows"].commands)  # flows' entries (handlers.flow)
    return found


def test_every_menu_command_has_a_handler():
    settings = load_settings(_env_file=None, bot_token="123:TEST")
    application = build_application(settings, Desk(None, CompanySettings()), with_updater=False)
    handled = commands_handled(application)
    for role, commands in ROLE_COMMANDS.items():
        assert set(commands) <= handled, (role, set(commands) - handled)


def test_a_managers_orders_are_all_orders_not_my_orders():
    from zoneinfo import ZoneInfo

    from handlers.menus import command_list
    from handlers.texts import Texts

    texts = Texts(ZoneInfo("Asia/Shanghai"))
    assert dict(command_list(texts, "zh", "manager"))["orders"] == "全部订单（按条件筛选）"
    assert dict(command_list(texts, "en", "manager"))["orders"] == "All orders, by filter"
    assert dict(command_list(texts, "zh", "customer"))["orders"] == "我的订单"
    assert "labour" in dict(command_list(texts, "en", "manager"))
