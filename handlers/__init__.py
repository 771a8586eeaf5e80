"""The Telegram side, one module per role plus common. Thin: parse, check, call core, render."""
from telegram.ext import Application


def register(application: Application) -> None:
    from . import booking, common, customer, dispatch, errors, manager

    # One group: the registration conversation first, so its steps win while it is active;
    # then plain commands; the catch-alls last.
    for handler in common.conversation_handlers():
        application.add_handler(handler)
    application.add_handler(booking.conversation())
    application.add_handler(customer.rating_conversation())
    for handler in customer.handlers():
        application.add_handler(handler)
    for handler in manager.handlers():
        application.add_handler(handler)
    for handler in dispatch.handlers():
        application.add_handler(handler)
    for handler in common.handlers():
        application.add_handler(handler)
    for handler in common.catch_alls():
        application.add_handler(handler)
    application.add_error_handler(errors.on_error)
