"""Every text exists in both languages, renders, and escapes what people typed."""
from dataclasses import replace
from datetime import date, datetime, timezone
from html.parser import HTMLParser
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from core.count_sheets import SheetLine, SheetSummary, SheetView
from core.customer_orders import OrderCard, TimelineEntry
from core.dispatch import DispatchCard
from core.jobs import JobCard
from core.lifecycle import APPLIANCE_CATEGORIES, STATUSES
from core.periods import Period
from core.purchasing import POLine, POView, SupplierView
from core.purchasing import Suggestion as Suggestion_
from core.quotes import QuoteLineView, QuoteView
from core.receiving import Checked, Receipt
from core.repair_reports import RepairReport, ReportLabour, ReportPart
from core.reports import RatingComment, Summary, TechnicianFigures
from core.scorecards import Scorecard, Scorecards
from core.settlement import CashDay, Check, PartDifference, Payment
from core.stock import CountLine, LedgerLine, LevelLine
from core.stock_levels import UnderMinimum
from core.triage import LoadLine, OrderTriage, RequestLine
from core.triage_model import LikelyFault, Suggestion
from core.van_requests import RequestLine as VanRequestLine
from core.van_requests import RequestSummary, RequestView, Short
from handlers.menus import ROLE_COMMANDS
from handlers.texts import LANGUAGES, Texts, money, pick_language

texts = Texts(ZoneInfo("Asia/Shanghai"))
TYPED = "<b>Tom & \"Jerry\"</b>"  # what a person might type

SAMPLE_CARD = OrderCard(
    id=1, number="R-1001", kind="repair", status="scheduled", category="tv", brand=TYPED,
    model=None, serial=None, booked_date=date(2026, 11, 25), window="09-12",
    window_start=None, window_end=None, address=TYPED, phone="+8613800138000",
    description=TYPED, photo_count=0, technician_name=TYPED, sales_number=None,
    created_at=datetime(2026, 11, 24, 2, tzinfo=timezone.utc), actions=("cancel",),
    timeline=(TimelineEntry(at=datetime(2026, 11, 24, 2, tzinfo=timezone.utc),
                            at_local=datetime(2026, 11, 24, 10), action="create",
                            from_status=None, to_status="new", by="customer",
                            by_name=None, note=TYPED),))

SAMPLE_DISPATCH = DispatchCard(
    id=1, number="R-1001", kind="repair", status="new", category="tv", brand=TYPED, model=TYPED,
    booked_date=date(2026, 11, 25), window="09-12", window_start=None, address=TYPED,
    area="Pudong", customer_name=TYPED, phone="+8613800138000", description=TYPED,
    photo_count=2, created_at=datetime(2026, 11, 24, 2, tzinfo=timezone.utc))

SAMPLE_QUOTE = QuoteView(
    id=1, order_id=1, order_number="R-1001", version=2, status="sent",
    lines=(QuoteLineView(id=1, position=1, kind="part", sku="CAP-1", name=TYPED, quantity=2,
                         unit_price=0, line_total=0, list_price=3500, warranty=True,
                         warranty_months=12),
           QuoteLineView(id=2, position=2, kind="labour", sku=None, name="Labour", quantity=1,
                         unit_price=8000, line_total=8000, list_price=8000, warranty=False,
                         warranty_months=None)),
    parts_total=0, labour_total=8000, total=8000, warranty_saving=7000,
    created_at=datetime(2026, 11, 24, 2, tzinfo=timezone.utc), sent_at=None, decided_at=None)
SAMPLE_REPORT = RepairReport(
    order_id=1, number="R-1001", kind="repair", category="tv", brand=TYPED, model=None,
    serial=None, technician_name="Li", found=TYPED, diagnosis_photos=(), work_done=TYPED,
    labour=(ReportLabour("Labour", 1, 8000, 8000, False),),
    parts=(ReportPart("CAP-1", TYPED, 1, "SN<1>", 3500, 3500, False, date(2027, 11, 24)),),
    parts_total=3500, labour_total=8000, total=11500,
    completed_at=datetime(2026, 11, 24, 2, tzinfo=timezone.utc), completed_on=date(2026, 11, 24),
    workmanship_until=date(2027, 2, 24), checklist=None, photos=(), payment_method=None)

SAMPLE_JOB = JobCard(
    id=1, number="R-1001", kind="warranty", status="scheduled", when="today",
    booked_date=date(2026, 11, 25), window="09-12", window_start=None, window_end=None,
    address=TYPED, latitude=31.2304, longitude=121.4737, customer_name=TYPED,
    phone="+8613800138000", category="refrigerator", brand=TYPED, model=TYPED, serial=TYPED,
    description=TYPED, photos=("AgAD1",), accepted=False,
    arrived_at=datetime(2026, 11, 25, 2, tzinfo=timezone.utc), on_time=False,
    diagnosis=TYPED, claimed_parts=("CMP-01",), actions=("accept", "decline", "start_trip"))

SAMPLE_TRIAGE = OrderTriage(1, Suggestion(
    "ok", "washing_machine", 120,
    faults=(LikelyFault(("WM-PUMP",), TYPED, 0.6), LikelyFault((), "", 0.2)),
    load=(("WM-PUMP", 1), ("WM-BRUSH", 2)), covered=0.9),
    (LoadLine("WM-PUMP", TYPED, 1, 1), LoadLine("WM-BRUSH", "电机碳刷", 2, 0)))
SAMPLE_NO_TRIAGE = OrderTriage(1, Suggestion("too_little_history", "tv", 4), ())

SAMPLE_SUMMARY = Summary(
    period=Period("week", date(2026, 11, 23), date(2026, 11, 29), date(2026, 11, 24), ()),
    by_status={"new": 2, "completed": 3}, new=5, completed=3, cancelled=1, arrivals=4,
    on_time=3, first_visit_fixed=2, quotes_approved=3, quotes_declined=1, ratings=2, stars=9,
    completion_seconds=3 * 86400 + 7200, revenue=153000, revenue_parts=90000,
    revenue_labour=63000,
    technicians=(TechnicianFigures(id=1, name=TYPED, booked=3, completed=2, ratings=2,
                                   stars=9),),
    days=(), low_ratings=1, comments=(RatingComment("R-1001", 2, TYPED),))

# A sample of what each template is given. A new template needs a line here, so that
# every text is rendered at least once in both languages.
_SAMPLE_SCORECARD = Scorecard(technician_id=7, name=TYPED, active=False, completed=4,
                              first_visit_fixed=3, arrivals=5, on_time=4, ratings=1, stars=5,
                              revenue=61000, on_site_jobs=4, on_site_seconds=18000, complaints=2)
_SCORECARD_SAMPLES = {
    "scorecard_card": dict(manager=True, month="Nov 2026", sc=Scorecards(
        period=None, cards=(_SAMPLE_SCORECARD,), ranks=(1,), page=1, pages=2, total=9)),
    "scorecard_lines": dict(card=_SAMPLE_SCORECARD, rank=3),
    "reminder_scorecard": dict(card=_SAMPLE_SCORECARD, month="Nov 2026"),
    "scorecard_chart": dict(month="Nov 2026"),
}
_SAMPLE_CHECK = Check(order_id=1, number="R-1001", status="completed", technician_name=TYPED,
                      completed_at=datetime(2026, 11, 24, 2, tzinfo=timezone.utc),
                      quoted=53000, billed=8000,
                      parts=(PartDifference("CMP-01", TYPED, 1, 1, 0),),
                      resolved_reason=None, resolved_at=None)
_SAMPLE_DAY = CashDay(technician_id=7, technician_name=TYPED, day=date(2026, 11, 24),
                      payments=(Payment("R-1001", "cash", 53000,
                                        datetime(2026, 11, 24, 2, tzinfo=timezone.utc)),
                                Payment("R-1002", "transfer", 8000,
                                        datetime(2026, 11, 24, 3, tzinfo=timezone.utc))),
                      settled=None, earlier=SimpleNamespace(handed_in=50000))
_SETTLEMENT_SAMPLES = {
    "settle_menu": dict(checks_total=7, checks_shown=5, days_total=9, page=1, pages=2),
    "settle_check": dict(c=_SAMPLE_CHECK, minimum=2, maximum=300),
    "settle_check_done": dict(number="R-1001", reason=TYPED),
    "settle_day": dict(d=_SAMPLE_DAY, day="Tue 24 Nov"),
    "settle_reason": dict(handed_in=50000, cash=53000, minimum=2, maximum=300),
    "settle_done": dict(name=TYPED, day="Tue 24 Nov", s=SimpleNamespace(
        handed_in=50000, cash_expected=53000, difference=-3000, reason=TYPED, transfers=8000)),
    "settle_cancelled": {},
    "settle_csv": dict(first="Sun 1 Nov", last="Mon 30 Nov", rows=1),
    "settle_invalid": dict(field="reason", reason="length", minimum=2, maximum=300),
    "error_bill_difference": dict(order="R-1001"),
    "reminder_bill_difference": dict(card=SAMPLE_CARD, check=_SAMPLE_CHECK),
}

SAMPLES = {
    "ask_name": dict(first_name=TYPED),
    "ask_phone": dict(name=TYPED),
    "registered": dict(name=TYPED),
    "menu": dict(role="manager", name=TYPED, commands=[("help", "Help")]),
    "help": dict(role="technician", commands=[("help", "Help")], registered=False),
    "language_choose": {}, "language_saved": {}, "cancelled": {}, "nothing_to_cancel": {},
    "unknown_command": {}, "not_understood": {}, "expected_text": {}, "expected_phone": {},
    "phone_not_yours": {}, "use_buttons": {}, "invite_choose_role": {}, "error_generic": {},
    "error_refused": {}, "edit_not_read": {}, "answer_latest": {}, "answer_above": {},
    "invite_refused": dict(reason="expired"),
    "error_invite_refused": dict(reason="used"),
    "joined": dict(role="technician"),
    "pick_skills": {}, "pick_areas": {},
    "skills_saved": dict(skills=["TV", TYPED]),
    "areas_saved": dict(areas=["Pudong", TYPED]),
    "invite_link": dict(role="manager", link="https://t.me/bot?start=abc",
                        expires_at=datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)),
    "error_invalid_input": dict(field="name", reason="too_long", limit=64),
    "error_not_found": dict(what="order"),
    "error_not_allowed": dict(reason="manager_only"),
    "error_transition_refused": dict(action="cancel", status="en_route", order="R-1001"),
    "error_window_full": dict(day=date(2026, 11, 25), window="09-12", category="tv"),
    # booking
    "register_first": {}, "ask_category": {}, "ask_brand": {}, "ask_brand_text": {},
    "ask_model": {}, "ask_serial": {}, "location_received": {}, "phone_keyboard": {},
    "ask_booking_phone": {}, "ask_day": {}, "booking_edit": {}, "booking_cancelled": {},
    "ask_sales_number": {}, "ask_sales_phone": {}, "photos_or_done": {},
    "ask_description": dict(minimum=5, maximum=1000),
    "ask_photos": dict(count=2, maximum=5),
    "photo_received": dict(count=2, maximum=5),
    "photos_full": dict(maximum=5),
    "ask_address": dict(has_saved=True),
    "ask_district": dict(address=TYPED),
    "complete_serial_check": dict(serial=TYPED, order="R-1001"),
    "phone_noted": dict(phone="+8613800138000"),
    "ask_window": dict(day="Wed 25 Nov", none_left=False),
    "day_full": dict(day="Wed 25 Nov"),
    "window_taken": dict(day="Wed 25 Nov", window="09:00–12:00"),
    "booking_summary": dict(kind="repair", category="TV", brand=TYPED, model=TYPED, serial=TYPED,
                            description=TYPED, photos=2, address=TYPED, located=True,
                            phone="+8613800138000", day="Wed 25 Nov", window="09:00–12:00",
                            sales_number=None),
    "booked": dict(number="R-1001", kind="repair", day="Wed 25 Nov", window="09:00–12:00"),
    "sales_order_found": dict(number="S-1", category="TV", brand=TYPED, model=""),
    # following orders
    "orders_list": dict(page=1, pages=2, total=7),
    "order_card": dict(day="Wed 25 Nov", window="09:00–12:00", card=SAMPLE_CARD),
    "timeline_entry": dict(entry=TimelineEntry(
        at=datetime(2026, 11, 24, 2, tzinfo=timezone.utc), at_local=datetime(2026, 11, 24, 10),
        action="rate", from_status="completed", to_status="completed", by="customer",
        by_name=None, note=None, detail={"stars": 4, "comment": TYPED})),
    "reschedule_day": dict(number="R-1001"),
    "reschedule_window": dict(number="R-1001", day="Wed 25 Nov", none_left=True),
    "rescheduled": dict(number="R-1001", day="Wed 25 Nov", window="09:00–12:00"),
    "cancel_reason": dict(number="R-1001"),
    "cancel_confirm": dict(number="R-1001", reason="It works again"),
    "order_cancelled": dict(number="R-1001"),
    "status_usage": {},
    # reminders (card: the order as the recipient may see it)
    **{f"reminder_{kind}": dict(card=SAMPLE_CARD, day="Wed 25 Nov", window="09:00–12:00")
       for kind in ("day_before", "two_hours", "on_my_way", "quote_waiting", "rating",
                    "warranty_ending", "assigned", "job_soon", "unassigned", "overdue",
                    "quote_unanswered", "confirmed", "parts_wait")},
    **{f"reminder_{kind}": dict(card=SAMPLE_CARD, day="Wed 25 Nov", window="09:00–12:00",
                                note=TYPED, approved=True)
       for kind in ("declined", "parts_missing", "quote_answered")},
    "reminder_quote": dict(card=SAMPLE_CARD, quote=SAMPLE_QUOTE),
    "reminder_parts_request": dict(card=SAMPLE_CARD, day="Wed 25 Nov", window="09:00–12:00",
                                   note=None, technician=TYPED,
                                   lines=[RequestLine("WM-PUMP", TYPED, 2)]),
    "reminder_report": dict(card=SAMPLE_CARD, report=SAMPLE_REPORT),
    "reminder_low_rating": dict(card=SAMPLE_CARD, rating=SimpleNamespace(stars=2, comment=TYPED)),
    "quote": dict(quote=SAMPLE_QUOTE),
    "quote_decided": dict(quote=SAMPLE_QUOTE, approved=False),
    "quote_decline_confirm": dict(quote=SAMPLE_QUOTE, revision=False),
    "repair_report": dict(report=SAMPLE_REPORT),
    "rating_thanks": dict(stars=4), "rate_ask": dict(number="R-1001"), "rating_comment_saved": {}, "rating_comment_skipped": {},
    "ask_warranty_parts": dict(number="R-1001", has_parts=True),
    "reminder_morning_list": dict(jobs=[], windows={}),
    "reminder_low_stock": dict(part=SimpleNamespace(sku="CMP-01", name=TYPED, quantity=1,
                                                    min_level=3)),
    "reminder_digest": dict(booked_today=3, unassigned=1, overdue=0, completed_yesterday=5,
                            rating=4.25),
    # dispatch
    "dispatch_list": dict(total=3, page=1, pages=1),
    "dispatch_card": dict(order=SAMPLE_DISPATCH, area="Pudong", everyone=False, day="Wed 25 Nov",
                          page=1, pages=1,
                          window="09:00–12:00", suggestions=[SimpleNamespace(
                              name=TYPED, has_skill=True, free=False, busy_with="R-1002",
                              jobs_that_day=2, id=7)], triage=SAMPLE_TRIAGE, vans={7: True}),
    "dispatch_assigned": dict(number="R-1001"),
    # technicians' jobs
    "job_list": dict(page=1, pages=2, total=6, jobs=[dict(
        id=1, number="R-1001", kind="repair", status="scheduled", when="today",
        day="Wed 25 Nov", window="09:00–12:00", category=TYPED)]),
    "job_card": dict(card=SAMPLE_JOB, quote=SAMPLE_QUOTE, amount=53000,
                     map_url="https://maps.google.com/?q=31.230400,121.473700",
                     day="Wed 25 Nov", window="09:00–12:00", triage=SAMPLE_TRIAGE),
    "triage_block": dict(triage=SAMPLE_NO_TRIAGE),
    "job_photos": dict(number="R-1001", count=2),
    "job_off_day": dict(card=SAMPLE_JOB, action="arrive", off="early", day="Wed 25 Nov",
                        window="09:00–12:00"),
    "job_decline_reason": dict(number="R-1001"),
    "job_decline_type": dict(number="R-1001", minimum=2, maximum=300),
    "job_declined": dict(number="R-1001", reason=TYPED),
    "job_pay": dict(number="R-1001", amount=53000),
    "job_paid": dict(number="R-1001", amount=53000, method="Cash"),
    "job_refused": dict(why="not_enough_stock",
                        details=dict(sku=TYPED, requested=2, available=1, van=1, main=0)),
    "job_flow_stopped": dict(flow="quote", number="R-1001"),
    "job_part_results": dict(query=TYPED, total=3, page=1, pages=1),
    "job_quantity": dict(what=TYPED, maximum=99),
    "job_missing_ask": dict(number="R-1001", parts=[[3, "CMP-01", TYPED, 2]], note=TYPED),
    "job_missing_note": dict(maximum=500),
    "job_missing_sent": dict(number="R-1001", parts=[[3, "CMP-01", TYPED, 2]], note=TYPED),
    "diagnose_ask_fault": dict(number="R-1001", minimum=5, maximum=2000, earlier=TYPED),
    "diagnose_ask_photos": dict(maximum=10),
    "diagnose_photo_received": dict(count=2, maximum=10),
    "diagnose_saved": dict(number="R-1001", fault=TYPED, photos=2),
    "quote_builder_draft": dict(quote=SAMPLE_QUOTE, number="R-1001"),
    "quote_builder_search": {},
    "quote_builder_labour": dict(total=2),
    "quote_builder_typed_description": dict(minimum=2, maximum=100),
    "quote_builder_typed_amount": dict(description=TYPED),
    "quote_builder_remove": dict(number="R-1001"),
    "quote_builder_sent": dict(quote=SAMPLE_QUOTE, number="R-1001"),
    "quote_builder_closed": dict(number="R-1001"),
    "complete_parts": dict(number="R-1001", allowed=[dict(
        id=3, sku="CMP-01", name=TYPED, quantity=2, used=1, prices=[[2, 45000, False]])],
        used=[dict(name=TYPED, sku="CMP-01", serial=TYPED)]),
    "complete_needs_revision": dict(number="R-1001", name=TYPED, approved=1),
    "complete_serial": dict(name=TYPED, maximum=64),
    "complete_search": {},
    "complete_waiting": dict(number="R-1001", used=[dict(name=TYPED, sku="CMP-01", serial=TYPED),
                                                    dict(name=TYPED, sku="CMP-01", serial=None)]),
    "complete_check": dict(number="R-1001", item="old_unit_removed", index=4, count=4),
    "complete_check_required": dict(number="R-1001", item="installed"),
    "complete_photos": dict(required=True, maximum=10),
    "complete_photo_received": dict(count=1, maximum=10),
    "complete_photo_needed": {},
    "complete_work": dict(maximum=1000),
    "complete_confirm": dict(number="R-1001", kind="repair",
                             used=[dict(name=TYPED, sku="CMP-01", serial=TYPED)],
                             checklist={"delivered": True, "old_unit_removed": False},
                             photos=1, work=TYPED, amount=53000),
    "complete_done": dict(number="R-1001", amount=53000),
    # summary, export, filters
    "summary_choose": {}, "export_choose": {}, "orders_filter_menu": {},
    "summary_card": dict(s=SAMPLE_SUMMARY, title="This week", first="23 Nov", last="29 Nov"),
    "summary_chart": dict(title="This week", first="23 Nov", last="29 Nov"),
    "export_ready": dict(title="Today", first="24 Nov", last="24 Nov", rows=1),
    "orders_filter_list": dict(name=TYPED, total=6, page=1, pages=2),
    # stock, parts, sales orders, staff
    "stock_ask_warehouse": dict(op="transfer", which="destination", source=TYPED),
    "stock_ask_part": dict(op="scrap", query=TYPED, total=12, page=1, pages=2, warehouse=TYPED),
    "stock_ask_quantity": dict(op="transfer", sku="CMP-01", name=TYPED, available=3,
                               source="Main warehouse", destination=TYPED, maximum=100000),
    "stock_ask_reason": dict(minimum=2, maximum=300),
    "stock_confirm": dict(op="scrap", sku="CMP-01", name=TYPED, available=3, source=TYPED,
                          destination=None, quantity=2, note=TYPED),
    "stock_done": dict(op="transfer", sku="CMP-01", name=TYPED, quantity=2, note=TYPED,
                       places=[("Main warehouse", 1), (TYPED, 2)],
                       low=[UnderMinimum(1, "CMP-01", TYPED, 1, 2, True)]),
    "stock_count_part": dict(warehouse=TYPED, position=2, total=5, sku="CMP-01", name=TYPED,
                             expected=4, counted=3),
    "stock_count_summary": dict(warehouse=TYPED,
                                differences=[CountLine(1, "CMP-01", TYPED, 4, 3, -1)],
                                more=2, matching=1, counted=4, listed=5),
    "stock_count_done": dict(warehouse=TYPED, differences=[CountLine(1, "CMP-01", TYPED, 4, 6, 2)],
                             more=0, counted=3, low=[UnderMinimum(1, "CMP-01", TYPED, 1, 2, False)]),
    "stock_cancelled": dict(op="receive"),
    "parts_closed": dict(),
    "stock_invalid": dict(field="quantity", reason="range", minimum=1, maximum=100000),
    "error_not_enough_stock": dict(sku="CMP-01", requested=5, available=2, warehouse="van:3",
                                   warehouse_name=TYPED),
    "stock_warehouses": dict(low=[LevelLine(1, "CMP-01", TYPED, 1, 2, True, True)], more=3),
    "stock_levels": dict(warehouse=TYPED, main=True, total=1, page=1, pages=1, low_only=False,
                         lines=[LevelLine(1, "CMP-01", TYPED, 1, 2, True, False)]),
    "stock_ledger": dict(warehouse=TYPED, total=1, page=1, pages=1, others={2: TYPED},
                         lines=[LedgerLine(1, datetime(2026, 11, 24, 2, tzinfo=timezone.utc),
                                           "transfer_out", 1, "CMP-01", TYPED, 1, -2, 3, 2,
                                           "R-1001", 5, TYPED, TYPED)]),
    "parts_list": dict(query=TYPED, total=1, page=1, pages=1, parts=[SimpleNamespace(
        sku="CMP-01", name=TYPED, price=45000, warranty_months=12, active=False)]),
    "parts_card": dict(in_main=1, under_minimum=True, part=SimpleNamespace(
        sku="CMP-01", name=TYPED, price=45000, warranty_months=12, min_level=2, active=True)),
    "parts_ask": dict(field="name", sku="CMP-01", current=TYPED, editing=True),
    "parts_confirm": dict(part=SimpleNamespace(sku="CMP-01", name=TYPED, price=45000,
                                               warranty_months=0, min_level=2)),
    "labour_menu": dict(total=12),
    "labour_list": dict(appliance=TYPED, any=False, total=11, page=1, pages=2, items=[
        SimpleNamespace(code="AC-CLEAN", name=TYPED, price=12000, category=None)]),
    "parts_saved": dict(sku="CMP-01", field="price", added=False),
    "sale_ask": dict(step="address", maximum=300),
    "sale_summary": dict(number="S-2026-0042", name=TYPED, phone="+8613900139000",
                         address=TYPED, category="Refrigerator", brand=TYPED, model=TYPED),
    "sale_registered": dict(number="S-2026-0042", name=TYPED, phone="+8613900139000"),
    "sale_cancelled": {},
    "staff_list": dict(total=7, page=1, pages=2, staff=[dict(
        id=1, name=TYPED, role="technician", active=False, phone=None, technician=True,
        skills=["tv"], categories=["TV"], areas=[TYPED], rating=4.5, ratings=2)]),
    "staff_card": dict(yourself=False, person=dict(
        id=1, name=TYPED, role="technician", active=True, phone="+8613800138000",
        technician=True, skills=["tv"], categories=["TV"], areas=[TYPED], rating=4.5,
        ratings=2)),
    "staff_deactivate_confirm": dict(name=TYPED, role="technician"),
    "staff_deactivated": dict(name=TYPED, role="technician", unassigned=["R-1001"],
                              under_way=["R-1002"], van_parts=2),
    "staff_pick": dict(what="areas", name=TYPED),
    # technicians' scorecards
    **_SCORECARD_SAMPLES,
    # settlement
    **_SETTLEMENT_SAMPLES,
}

# Van requests and count sheets (issue 15).
_NOW = datetime(2026, 11, 24, 2, tzinfo=timezone.utc)
_REQUEST_LINES = (VanRequestLine(1, "CMP-01", TYPED, 2, 1, 3, 0),
                  VanRequestLine(2, "FAN-03", TYPED, 1, 0, 0, 1))
_SHEET = SheetView(1, 1, "awaiting", 1, TYPED, _NOW, None, None,
                   (SheetLine(1, "CMP-01", TYPED, 5, 4, -1),))
_LINES = [(1, "CMP-01", TYPED, 2, 1)]
_REQUESTS = {status: dict(request=RequestView(1, 2, TYPED, status, _NOW, TYPED, _NOW, TYPED,
                                              _REQUEST_LINES))
             for status in ("pending", "approved", "refused")}
SAMPLES.update({
    "van_request_quantity": dict(sku="CMP-01", name=TYPED, in_main=3, in_van=0, asked=2,
                                 maximum=999),
    "van_request_lines": dict(lines=_LINES),
    "van_request_sent": dict(number=1, lines=_LINES),
    "van_request_card": _REQUESTS["pending"],
    "reminder_van_request": _REQUESTS["pending"],
    "reminder_van_request_decided": _REQUESTS["approved"],
    "reminder_van_short": dict(day="Wed 25 Nov", lines=[Short(1, "CMP-01", TYPED, 2, 1, 1)]),
    "van_request_change": dict(request=_REQUESTS["pending"]["request"],
                               line=_REQUEST_LINES[0], position=1, total=2, chosen=1,
                               maximum=999),
    "van_request_change_confirm": dict(request=_REQUESTS["pending"]["request"],
                                       chosen={1: 1}),
    "van_request_reason": dict(request=_REQUESTS["pending"]["request"]),
    "error_van_request_decided": dict(number=1, status="approved", by=TYPED),
    "error_van_request_short": dict(number=1, lines=[("CMP-01", TYPED, 2, 1)]),
    "van_stock": dict(lines=[LevelLine(1, "CMP-01", TYPED, 2, 0, False, True)], total=1,
                      page=1, pages=1),
    "count_sheet_card": dict(sheet=_SHEET, warehouse=TYPED, differences=_SHEET.lines, more=0),
    "reminder_count_sheet": dict(sheet=_SHEET, warehouse=TYPED, differences=_SHEET.lines,
                                 more=2),
    "reminder_count_due": dict(),
    "count_sheet_not_yours": dict(),
    "error_count_confirmed_already": dict(number=1, by=TYPED),
    "count_sheet_csv": dict(sheet=_SHEET, warehouse=TYPED),
    "van_request_stopped": dict(),
    "van_request_appliance_parts": dict(appliance=TYPED, total=3, page=1, pages=2),
    "van_decision_stopped": dict(),
    "van_request_list": dict(requests=[RequestSummary(1, TYPED, "pending", _NOW, 2)], total=1,
                             page=1, pages=1),
    "count_sheet_list": dict(sheets=[SheetSummary(1, 1, "awaiting", _NOW, TYPED, 1)],
                             places={1: TYPED}, total=1, page=1, pages=1),
})
# Purchasing and receiving against the purchase order.
_PO_LINES = (POLine(1, 1, "CMP-01", TYPED, 3, 40000, 2, 1), POLine(2, 2, "FAN-03", TYPED, 1, 500,
                                                                   0, 0))
_PO = {status: POView(1, "P-1001", status, 1, TYPED, TYPED, _NOW, _PO_LINES)
       for status in ("draft", "sent", "partly_received", "received", "cancelled")}
_SUGGESTED = Suggestion_(1, "CMP-01", TYPED, 1, 2, 2, 0, 3, 1, TYPED)
_CHECKED = (Checked("CMP-01", TYPED, 3, 3, 1, TYPED, 2), Checked("FAN-03", TYPED, 1, 2, 0,
                                                                 None, 2))
_RESULT = {"arrived": 3, "failed": 1, "reason": TYPED, "photo": "AgAD"}
_SUPPLIER = SupplierView(1, TYPED, TYPED, (("CMP-01", TYPED, 40000, 10),))
SAMPLES.update({
    "supplier_list": dict(suppliers=[_SUPPLIER], total=2),
    "supplier_ask_name": dict(),
    "supplier_ask_contact": dict(name=TYPED, maximum=200),
    "supplier_card": dict(supplier=_SUPPLIER),
    "supplier_ask_price": dict(supplier=TYPED, sku="CMP-01", name=TYPED, price=None),
    "supplier_ask_lead": dict(supplier=TYPED, sku="CMP-01", name=TYPED, price=40000,
                              maximum=365),
    "purchase_list": dict(lines=[_SUGGESTED, replace(_SUGGESTED, supplier=None)], more=2,
                          parts=3, orders=[_PO["sent"]]),
    "purchase_drafts": dict(orders=[_PO["draft"]], unsupplied=[_SUGGESTED]),
    "purchase_order_card": dict(order=_PO["partly_received"]),
    "purchase_order_csv": dict(order=_PO["sent"]),
    "purchase_list_csv": dict(parts=3),
    "purchase_ask_quantity": dict(order=_PO["draft"], line=_PO_LINES[0], maximum=99999),
    "receive_choose": dict(),
    "receive_ask_reason": dict(minimum=2, maximum=300),
    "receive_po_arrived": dict(order=_PO["sent"], line=_PO_LINES[0], position=1, total=2,
                               result=_RESULT, maximum=99999),
    "receive_po_inspect": dict(order=_PO["sent"], line=_PO_LINES[0], result=_RESULT),
    "receive_po_failed": dict(order=_PO["sent"], line=_PO_LINES[0], result=_RESULT),
    "receive_po_why": dict(order=_PO["sent"], line=_PO_LINES[0], result=_RESULT),
    "receive_po_photo": dict(order=_PO["sent"], line=_PO_LINES[0], result=_RESULT),
    "receive_po_confirm": dict(order=_PO["sent"], lines=[(_PO_LINES[0], _RESULT)]),
    "receive_po_done": dict(receipt=Receipt("P-1001", "partly_received", _CHECKED)),
    "reminder_purchase_differences": dict(order=_PO["partly_received"], by=TYPED,
                                          reasons=[TYPED]),
})
# Other states of the same texts, rendered and checked like the samples.
VARIANTS = [("van_request_card", v) for v in _REQUESTS.values()] + [
    ("purchase_order_card", dict(order=o)) for o in _PO.values()] + [
    ("receive_po_done", dict(receipt=Receipt("P-1001", "received", _CHECKED[:1]))),
    ("purchase_drafts", dict(orders=[], unsupplied=[_SUGGESTED])),
    ("reminder_van_request_decided", _REQUESTS["refused"]),
    ("stock_count_done", dict(SAMPLES["stock_count_done"], sheet=_SHEET)),
    ("stock_ledger", dict(SAMPLES["stock_ledger"], lines=[LedgerLine(
        1, _NOW, "transfer_in", 1, "CMP-01", TYPED, 1, 2, 3, 2, None, 5, TYPED, TYPED, 7, None)])),
    ("count_sheet_card", dict(sheet=SheetView(1, 1, "confirmed", 1, TYPED, _NOW, TYPED, _NOW,
                                              _SHEET.lines), warehouse=TYPED,
                              differences=_SHEET.lines, more=0))]


class TelegramHtml(HTMLParser):
    """Fails on tags Telegram's HTML mode does not know."""
    ALLOWED = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
               "blockquote", "tg-spoiler", "span", "tg-emoji"}

    def handle_starttag(self, tag, attrs):
        assert tag in self.ALLOWED, f"<{tag}> is not allowed in Telegram HTML"


def test_both_languages_have_the_same_templates_and_labels():
    assert texts.template_names("zh") == texts.template_names("en")
    assert set(texts.labels("zh")) == set(texts.labels("en"))


def test_every_template_has_a_sample():
    assert set(texts.template_names("en")) - set(SAMPLES) == set()
    assert set(SAMPLES) - set(texts.template_names("en")) == set()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_template_renders_and_escapes(lang, name):
    text = texts.render(lang, name, **SAMPLES[name])
    assert text.strip()
    TelegramHtml().feed(text)
    assert "<b>Tom" not in text  # typed text never becomes markup
    if "Tom" in text:
        assert "&lt;b&gt;Tom &amp; &#34;Jerry&#34;&lt;/b&gt;" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_names_exist_for_every_status_category_role_and_command(lang):
    for status in STATUSES:
        assert texts.has_label(lang, f"status.{status}")
    for category in APPLIANCE_CATEGORIES:
        assert texts.has_label(lang, f"category.{category}")
    for commands in ROLE_COMMANDS.values():
        for command in commands:
            # Telegram: a command description is 1 to 256 characters.
            assert 1 <= len(texts.label(lang, f"command.{command}")) <= 256


def test_times_are_shown_in_the_company_time_zone():
    assert texts.local_time(datetime(2026, 11, 24, 23, 30, tzinfo=timezone.utc)) == "2026-11-25 07:30"


def test_money_is_integer_fen_shown_as_yuan():
    assert money(12345) == "¥123.45"
    assert money(5) == "¥0.05"
    assert money(-250) == "-¥2.50"


def test_language_is_saved_then_telegram_then_default():
    assert pick_language("en", "zh-hans", "zh") == "en"
    assert pick_language(None, "zh-hans", "en") == "zh"
    assert pick_language(None, "en-GB", "zh") == "en"
    assert pick_language(None, "fr", "zh") == "zh"
    assert pick_language(None, None, "en") == "en"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_act_on_an_order_has_words_for_the_timeline(lang):
    import re
    from pathlib import Path

    from core.lifecycle import ACTIONS

    recorded = set()
    for source in Path("core").glob("*.py"):
        recorded |= set(re.findall(r'record\(\s*uow,\s*\w+,\s*"(\w+)"', source.read_text()))
    for action in {"create", *ACTIONS, *recorded}:
        assert texts.has_label(lang, f"action.{action}"), action


def test_chinese_texts_quote_the_button_names_they_tell_to_press():
    """"点「照片已发完」", not "点照片已发完" (bold is lost on some phones and reads as one run)."""
    import re

    for name, values in SAMPLES.items():
        text = texts.render("zh", name, **values)
        assert not re.search(r"[点按]<b>", text), name


def test_a_count_of_one_is_singular_in_english():
    assert "— 1 part," in texts.render("en", "parts_list", query="", total=1, page=1,
                                      pages=2, parts=[])
    assert "— 1 part\n" in texts.render("en", "stock_levels", warehouse="Main", main=True,
                                        total=1, page=1, pages=1, low_only=False, lines=[]) + "\n"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("index", range(len(VARIANTS)))
def test_other_states_of_van_requests_and_count_sheets_render_and_escape(lang, index):
    name, values = VARIANTS[index]
    text = texts.render(lang, name, **values)
    TelegramHtml().feed(text)
    assert "<b>Tom" not in text and "&lt;b&gt;Tom" in text


# --- complaints -------------------------------------------------------------------------------

from core.complaint_views import ComplaintCard, ComplaintEntry, ComplaintFigures

SAMPLE_COMPLAINT = ComplaintCard(
    id=1, number="C-1001", status="resolved", reason="damage", text=TYPED, photos=("AgAD1",),
    order_id=1, order_number="R-1001", category="tv", technician_name=TYPED,
    customer_name=TYPED, customer_phone="+8613800138000", manager_id=3, manager_name=TYPED,
    resolution="refund", amount=15050, resolution_note=TYPED, revisit_number=None,
    created_at=datetime(2026, 11, 24, 2, tzinfo=timezone.utc),
    timeline=(ComplaintEntry(datetime(2026, 11, 24, 2, tzinfo=timezone.utc), "open", "open",
                             "customer", TYPED),
              ComplaintEntry(datetime(2026, 11, 24, 3, tzinfo=timezone.utc), "resolve",
                             "resolved", "manager", TYPED, "refund", 15050, None)))
SAMPLES.update({
    "complaint_ask_order": {},
    "complaint_no_orders": {},
    "complaint_ask_reason": dict(number="R-1001"),
    "complaint_ask_text": dict(reason="Late", number="R-1001"),
    "complaint_ask_photos": dict(count=1, maximum=5, received=True),
    "complaint_photos_or_send": {},
    "complaint_opened": dict(number="C-1001", order="R-1001"),
    "complaint_cancelled": {},
    "complaint_invalid": dict(field="amount", reason="format", maximum=100),
    "complaint_ask_resolution": dict(number="C-1001"),
    "complaint_ask_amount": dict(number="C-1001", what="Refund"),
    "complaint_ask_note": dict(number="C-1001", required=True),
    "complaint_ask_day": dict(number="C-1001", none=False),
    "complaint_ask_window": dict(day="Wed 25 Nov", none=False),
    "complaint_resolution_saved": dict(card=SAMPLE_COMPLAINT),
    "complaint_resolution_cancelled": {},
    "complaint_answered": dict(number="C-1001", satisfied=False),
    "complaint_list": dict(count=2, staff=True),
    "complaint_card": dict(card=SAMPLE_COMPLAINT, staff=True),
    "reminder_complaint_new": dict(card=SAMPLE_COMPLAINT, staff=True),
    "reminder_complaint_unhandled": dict(card=SAMPLE_COMPLAINT, staff=True),
    "reminder_complaint_resolved": dict(card=SAMPLE_COMPLAINT, staff=False),
    "reminder_complaint_reopened": dict(card=SAMPLE_COMPLAINT, staff=True),
})


@pytest.mark.parametrize("lang", LANGUAGES)
def test_complaint_figures_in_the_summary_and_the_digest(lang):
    figures = ComplaintFigures(opened=2, completed=40, resolved=2, median_minutes=1500,
                               average_minutes=95)
    card = texts.render(lang, "summary_card", s=SAMPLE_SUMMARY, c=figures, title="Today",
                        first="24 Nov", last="24 Nov")
    assert ("5.0 per 100 completed orders" if lang == "en" else "每 100 个完工订单 5.0 件") in card
    assert ("1 d 1 h 0 min (median)" if lang == "en" else "1 天 1 小时 0 分钟") in card
    digest = texts.render(lang, "reminder_digest", **SAMPLES["reminder_digest"], complaints=3)
    assert ("Open complaints: 3" if lang == "en" else "未结投诉：3") in digest


# a delivery's handover (core.handover)
def _handover(**changes):
    from core.handover import HandoverView
    values = dict(order_id=1, number="I-1001", sales_number=TYPED, condition="damaged",
                  photos=("AgADh1", "AgADh2"), customer_answer="damaged", complaint_id=2,
                  complaint_number="C-1002", decision=None, technician_name=TYPED)
    return HandoverView(**(values | changes))


SAMPLES.update({
    "handover_condition": dict(number="I-1001"),
    "handover_photos": dict(condition="damaged", maximum=10),
    "handover_photo_received": dict(count=1, maximum=10),
    "handover_photo_needed": {},
    "handover_recorded": dict(handover=_handover()),
    "handover_answered": dict(handover=_handover()),
    "handover_decided": dict(handover=_handover(decision="hold")),
    "reminder_handover_confirm": dict(handover=_handover(customer_answer=None), decision="asked"),
    "reminder_handover_answered": dict(handover=_handover(), decision="answered"),
    "reminder_handover_claim": dict(handover=_handover(), decision="claim"),
    "reminder_handover_decided": dict(handover=_handover(decision="install"), decision="install"),
})
SAMPLES["job_card"] = dict(SAMPLES["job_card"], handover=_handover())


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("changes", [
    dict(condition="intact", customer_answer="good", complaint_id=None, complaint_number=None),
    dict(condition="intact", customer_answer=None, complaint_id=None, complaint_number=None),
    dict(decision="hold"), dict(decision="install")])
def test_a_handover_in_each_state_renders_and_escapes(lang, changes):
    seen = _handover(**changes)
    for name in ("handover_recorded", "handover_answered", "handover_decided",
                 "reminder_handover_confirm", "reminder_handover_answered",
                 "reminder_handover_claim", "reminder_handover_decided"):
        text = texts.render(lang, name, handover=seen, decision=seen.decision or "hold")
        assert TYPED not in text and "&lt;b&gt;Tom" in text, name
    card = texts.render(lang, "job_card", **dict(SAMPLES["job_card"], handover=seen))
    assert ("C-1002" in card) == (seen.complaint_number is not None)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("reason", ["not_a_delivery", "handover_recorded", "handover_not_now",
                                    "handover_answered", "handover_decided",
                                    "handover_awaiting", "handover_held"])
def test_every_handover_refusal_has_its_own_words(lang, reason):
    text = texts.render(lang, "error_not_allowed", reason=reason, order="I-1001",
                        decision="hold", by=TYPED)
    generic = texts.render(lang, "error_not_allowed", reason="?")
    assert "I-1001" in text and text != generic


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_dispatch_card_says_status_and_time_on_lines_of_their_own(lang):
    text = texts.render(lang, "dispatch_card", **SAMPLES["dispatch_card"])
    status, when = ("Status:", "When:") if lang == "en" else ("状态：", "时间：")
    lines = text.splitlines()
    assert any(line.startswith(status) for line in lines)
    assert any(line.startswith(when) for line in lines)
