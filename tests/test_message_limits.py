"""No message exceeds Telegram's limit, whatever was typed: a long rendering is cut into parts
at line ends, and a single line too long between characters."""
from handlers.texts import MESSAGE_MAX, split_message, visible_length


def test_a_short_message_is_one_part():
    assert split_message("<b>Quote</b>\n1. Pump × 1: ¥120.00") == [
        "<b>Quote</b>\n1. Pump × 1: ¥120.00"]


def test_a_long_message_is_cut_at_line_ends_each_part_within_the_limit():
    lines = [f"{n}. {'压缩机 &amp; <i>relay</i> ' * 20}× 1: ¥450.00" for n in range(1, 31)]
    text = "<b>Quote for job R-1001</b>\n" + "\n".join(lines) + "\n<b>Total ¥13,500.00</b>"
    parts = split_message(text)
    assert len(parts) > 1
    assert all(visible_length(part) <= MESSAGE_MAX for part in parts)
    assert "\n".join(parts).count("× 1: ¥450.00") == 30  # nothing lost
    assert parts[-1].endswith("<b>Total ¥13,500.00</b>")
    for part in parts:  # every tag opened in a part is closed in it
        assert part.count("<i>") == part.count("</i>") and part.count("<b>") == part.count("</b>")


def test_one_line_longer_than_the_limit_is_cut_between_characters_nothing_lost():
    text = "Address: " + "长" * 5000 + " &lt;b&gt;"
    parts = split_message(text)
    assert len(parts) == 2 and all(visible_length(part) <= MESSAGE_MAX for part in parts)
    assert "".join(parts) == text


def test_length_is_counted_as_telegram_counts_it():
    assert visible_length("<b>a&amp;b</b>") == 3
    assert visible_length("📺") == 2  # one emoji is two UTF-16 code units


def test_van_requests_and_count_sheets_fit_one_message_at_their_largest():
    """A van request has at most 20 parts and a count sheet's message lists at most 20
    differences on a sheet's card (then "…and N more"); part names are at most 100 characters, typed in HTML
    that escaping lengthens. Each fits one message, its buttons with it."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from core.count_sheets import SheetLine, SheetView
    from core.van_requests import LINES_MAX, RequestLine, RequestView
    from handlers.count_sheets import SHEET_SHOWN
    from handlers.texts import Texts

    texts = Texts(ZoneInfo("Asia/Shanghai"))
    name = "压缩机 <&> " * 12  # 100 characters that escaping makes longer
    now = datetime(2026, 11, 24, 2, tzinfo=timezone.utc)
    lines = tuple(RequestLine(i, f"SKU-{i:027d}", name[:100], 999, 999, 99999, 99999)
                  for i in range(LINES_MAX))
    sheet_lines = tuple(SheetLine(i, f"SKU-{i:027d}", name[:100], 99999, 0, -99999)
                        for i in range(SHEET_SHOWN))
    for lang in ("en", "zh"):
        for status in ("pending", "approved", "refused"):
            request = RequestView(1, 1, "李" * 64, status, now, "王" * 64, now, "理" * 300, lines)
            for template in ("van_request_card", "reminder_van_request_decided",
                             "van_request_change_confirm"):
                text = texts.render(lang, template, request=request, chosen={})
                assert visible_length(text) <= MESSAGE_MAX, (lang, template)
        draft = [(i, f"SKU-{i:027d}", name[:100], 999, 0) for i in range(LINES_MAX)]
        assert visible_length(texts.render(lang, "van_request_lines", lines=draft)) <= MESSAGE_MAX
        sheet = SheetView(1, 1, "awaiting", 1, "王" * 64, now, None, None, sheet_lines)
        text = texts.render(lang, "reminder_count_sheet", sheet=sheet, warehouse="李" * 70,
                            differences=sheet_lines, more=5000)
        assert visible_length(text) <= MESSAGE_MAX, lang


def test_a_page_of_scorecards_fits_one_message_whatever_the_names():
    """A manager's /scorecard with a full page of technicians with the longest names (64
    characters of emoji and markup-like text) and the largest figures is one message."""
    from zoneinfo import ZoneInfo

    from core.scorecards import PAGE_SIZE, Scorecard, Scorecards
    from handlers.texts import Texts

    longest = ("📺<b>&" * 16)[:64]
    card = Scorecard(technician_id=1, name=longest, active=False, completed=99999,
                     first_visit_fixed=99998, arrivals=99999, on_time=99998, ratings=99999,
                     stars=499995, revenue=99_999_999_99, on_site_jobs=99999,
                     on_site_seconds=99999 * 86400, complaints=9999)
    page = Scorecards(period=None, cards=(card,) * PAGE_SIZE,
                      ranks=tuple(range(991, 991 + PAGE_SIZE)), page=99, pages=99, total=999)
    texts = Texts(ZoneInfo("Asia/Shanghai"))
    for lang in ("en", "zh"):
        text = texts.render(lang, "scorecard_card", sc=page, manager=True, month="Sep 2026")
        assert split_message(text) == [text], lang
        assert text.count("📺") == longest.count("📺") * PAGE_SIZE  # nobody cut off


def test_a_complaint_card_at_its_longest_fits_one_message():
    """The complaint's words (1000 characters), the resolution's (500) and a long history: the
    card and every notice about it stay one message, in both languages."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from core.complaint_views import ComplaintCard, ComplaintEntry
    from handlers.texts import LANGUAGES, Texts

    moment = datetime(2026, 11, 24, 2, tzinfo=timezone.utc)
    name = "<&>" * 21  # 63 characters, escaped to five times as many
    card = ComplaintCard(
        id=1, number="C-1001", status="reopened", reason="damage", text="&<" * 500,
        photos=("x",) * 5, order_id=1, order_number="R-1001", category="tv",
        technician_name=name, customer_name=name, customer_phone="+8613800138000",
        manager_id=1, manager_name=name, resolution="refund", amount=100_000_000,
        resolution_note="<" * 500, revisit_number="W-1002", created_at=moment,
        timeline=tuple(ComplaintEntry(moment, "resolve", "resolved", "manager", name, "revisit",
                                      None, "W-1002") for _ in range(40)))
    texts = Texts(ZoneInfo("Asia/Shanghai"))
    for lang in LANGUAGES:
        for template in ("complaint_card", "reminder_complaint_new", "reminder_complaint_resolved",
                         "reminder_complaint_reopened", "complaint_resolution_saved"):
            text = texts.render(lang, template, card=card, staff=True)
            assert visible_length(text) <= MESSAGE_MAX, (lang, template)


def test_every_handover_message_at_its_longest_fits_one_message():
    """The longest sales order number (32) and technician's name (64), escaped: each handover
    message stays one message, in both languages."""
    from zoneinfo import ZoneInfo

    from core.handover import HandoverView
    from handlers.texts import LANGUAGES, Texts

    texts = Texts(ZoneInfo("Asia/Shanghai"))
    seen = HandoverView(order_id=1, number="I-999999999999", sales_number="<&>" * 10 + "<&",
                        condition="damaged", photos=("x",) * 10, customer_answer="damaged",
                        complaint_id=1, complaint_number="C-999999999999", decision="hold",
                        technician_name="<&>" * 21 + "<")
    for lang in LANGUAGES:
        for template in ("handover_recorded", "handover_answered", "handover_decided",
                         "reminder_handover_confirm", "reminder_handover_answered",
                         "reminder_handover_claim", "reminder_handover_decided"):
            text = texts.render(lang, template, handover=seen, decision="hold")
            assert visible_length(text) <= 1024, (lang, template)  # even as a caption


def test_purchasing_lists_fit_one_message_at_their_largest():
    """The suggested purchase list (SHOWN parts, then "…and N more"), the suppliers (a page of
    them), a supplier's card, a purchase order's card and the drafts made, with the longest
    names and contacts typed in markup-like text: each one message, whatever the catalogue's
    size."""
    from dataclasses import replace
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from core.purchasing import POLine, POView, Suggestion, SupplierView
    from handlers.purchasing import SHOWN
    from handlers.texts import Texts

    texts = Texts(ZoneInfo("Asia/Shanghai"))
    name = ("压缩机 <&> " * 12)[:100]
    sku = "S" * 32
    now = datetime(2026, 11, 24, 2, tzinfo=timezone.utc)
    suggestion = Suggestion(1, sku, name, 99999, 99999, 99999, 99999, 99999, 1, name)
    lines = tuple(POLine(i, i, sku, name, 99999, 100_000_000, 99999, 99999) for i in range(500))
    order = POView(1, "P-999999999", "partly_received", 1, name, "联" * 200, now, lines)
    supplier = SupplierView(1, name, "联" * 200, tuple((sku, name, 100_000_000, 365)
                                                      for _ in range(500)))
    for lang in ("en", "zh"):
        rendered = {
            "purchase_list": texts.render(lang, "purchase_list", lines=[suggestion] * SHOWN,
                                          more=5000, parts=5000, orders=[order] * 20),
            "supplier_list": texts.render(lang, "supplier_list", suppliers=[supplier] * 20,
                                          total=500),
            "supplier_card": texts.render(lang, "supplier_card", supplier=supplier),
            "purchase_order_card": texts.render(lang, "purchase_order_card", order=order),
            "purchase_drafts": texts.render(
                lang, "purchase_drafts", orders=[replace(order, status="draft")] * 50,
                unsupplied=[suggestion] * 500),
        }
        for template, text in rendered.items():
            assert visible_length(text) <= MESSAGE_MAX, (lang, template, visible_length(text))
