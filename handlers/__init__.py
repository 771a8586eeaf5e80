"""The Telegram side, one module per role plus common. Thin: parse, check, call core, render."""
from telegram.ext import Application


def register(application: Application) -> None:
    from . import (
        booking,
        common,
        customer,
        dispatch,
        errors,
        jobs,
        labour,
        manager,
        reports,
        staff,
        stock,
    )

    # One group: conversations first, so their steps win while one is active; then plain
    # commands and buttons; the catch-alls last.
    for handler in common.conversation_handlers():
        application.add_handler(handler)
    application.add_handler(booking.conversation())
    application.add_handler(jobs.conversation())  # diagnosis, quote, completion, parts missing
    application.add_handler(stock.conversation())  # stock operations and /sale (handlers.sales)
    application.add_handler(customer.rating_conversation())
    for module in (customer, manager, dispatch, reports, stock, staff, jobs, labour, common):
        for handler in module.handlers():
            application.add_handler(handler)
    for handler in common.catch_alls():
        application.add_handler(handler)
    application.add_error_handler(errors.on_error)
