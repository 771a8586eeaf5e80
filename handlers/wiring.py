"""Every handler in its place on the PTB application.

Every update meets the conversation engine first (handlers.flow_engine, group -1): what answers
an open question, or starts a flow, ends there; everything else (commands, the stateless buttons
of cards and lists) goes on to the handlers below, the catch-alls last.
"""
from telegram import Update
from telegram.ext import Application, TypeHandler

from . import (
    booking,
    common,
    complaints,
    completion,
    count_sheets,
    customer,
    dispatch,
    errors,
    handover,
    job_flows,
    jobs,
    labour,
    manager,
    parts_catalogue,
    purchasing,
    quote_builder,
    receiving,
    reports,
    sales,
    scorecards,
    settlement,
    staff,
    stock,
    stock_count,
    stock_moves,
    van_requests,
)
from .flow_engine import Engine

FLOWS = [common.REGISTRATION, booking.BOOKING, customer.RATING,
         quote_builder.DIAGNOSE, quote_builder.QUOTE, completion.COMPLETE, completion.MISSING,
         job_flows.DECLINE, stock_moves.STOCK_MOVES, stock_count.STOCK_COUNT,
         parts_catalogue.PARTS_CATALOGUE, sales.SALE, *van_requests.FLOWS, *settlement.flows(),
         complaints.COMPLAINT, complaints.RESOLUTION, handover.HANDOVER, *purchasing.FLOWS,
         receiving.PO_RECEIVE]
# Modules whose handlers() follow the engine, in this order; common's catch-alls come last.
MODULES = (customer, manager, dispatch, reports, stock, staff, jobs, labour, van_requests,
           count_sheets, scorecards, settlement, complaints, handover, purchasing, common)


def register(application: Application) -> None:
    engine = Engine(FLOWS)
    application.bot_data["flows"] = engine
    application.add_handler(TypeHandler(Update, engine.handle), group=-1)
    for module in MODULES:
        for handler in module.handlers():
            application.add_handler(handler)
    for handler in common.catch_alls():
        application.add_handler(handler)
    application.add_error_handler(errors.on_error)
