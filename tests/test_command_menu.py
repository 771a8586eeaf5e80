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
