"""The local Bot API answers a real python-telegram-bot client as Telegram would.

Every test talks to the server through PTB itself (``telegram.Bot`` or a full ``Application``),
so what passes here is what the service-desk bot will see in its own end-to-end tests.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time

import aiohttp
import pytest
import telegram
from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    MenuButtonCommands,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, NetworkError
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

try:  # tests/ is on sys.path (no tests/__init__.py)
    from local_bot_api import (
        LocalBotApi,
        attach_transcript,
        errors,
        parse_formatted_text,
        parse_html,
        tiny_png,
    )
    from local_bot_api import pytest_plugin
except ModuleNotFoundError:  # tests/ is a package
    from tests.local_bot_api import (  # type: ignore[no-redef]
        LocalBotApi,
        attach_transcript,
        errors,
        parse_formatted_text,
        parse_html,
        tiny_png,
    )
    from tests.local_bot_api import pytest_plugin  # type: ignore[no-redef]

TOKEN = "123456:TEST"


@pytest.fixture
async def api(request):
    async with LocalBotApi(token=TOKEN, bot_username="service_desk_bot") as server:
        yield attach_transcript(request, server)


@pytest.fixture
async def bot(api):
    async with telegram.Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as b:
        yield b


@pytest.fixture
async def ann(api, bot):
    """A user who already wrote to the bot (so the bot may write to her)."""
    user = api.user(1001, "Ann", username="ann", language_code="zh", phone_number="+8613800138000")
    await user.send("/start")
    return user


def assert_telegram_error(exc: telegram.error.TelegramError, description: str) -> None:
    # PTB strips "Bad Request: " and capitalizes the rest; errors.ptb_message does the same.
    assert exc.message == errors.ptb_message(description), exc.message


async def drain(bot: telegram.Bot) -> list[Update]:
    """Fetch and confirm all pending updates."""
    updates = await bot.get_updates(timeout=0)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return list(updates)


# ----------------------------------------------------------------------------- basics
async def test_get_me_and_transport_errors(api, bot):
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "service_desk_bot")
    assert api.calls[0][0] == "getMe"

    with pytest.raises(InvalidToken):  # Bot.initialize() calls getMe: 401 Unauthorized
        async with telegram.Bot("999:WRONG", base_url=api.base_url):
            pass

    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")

    # Method names are case-insensitive; JSON bodies work as well as PTB's form posts.
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api.base_url}{TOKEN}/GETME", json={}) as response:
            assert response.status == 200
            assert (await response.json())["result"]["username"] == "service_desk_bot"
        async with http.post(f"{api.base_url}{TOKEN}/sendMessage",
                             json={"chat_id": 42, "text": "x"}) as response:
            assert response.status == 400
            assert await response.json() == {
                "ok": False, "error_code": 400, "description": "Bad Request: chat not found"
            }
        async with http.get(f"{api.base_url}WRONG:TOKEN/getMe") as response:
            assert response.status == 401
            assert (await response.json())["description"] == "Unauthorized"


async def test_user_message_reaches_bot_as_a_proper_update(api, bot):
    ann = api.user(1001, "Ann", last_name="Lee", language_code="zh")
    sent = await ann.send("/start repair_42")
    [update] = await drain(bot)
    message = update.message
    assert message.text == "/start repair_42"
    assert message.from_user.id == 1001 and message.from_user.language_code == "zh"
    assert message.chat.id == 1001 and message.chat.type == "private"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6
    assert message.message_id == sent["message_id"] == 1
    reply = await bot.send_message(1001, "hi")
    assert reply.message_id == 2  # message ids are per chat, shared with the user
    assert reply.from_user.id == 123456 and reply.chat.id == 1001


async def test_long_poll_returns_as_soon_as_an_update_arrives(api, bot, ann):
    await drain(bot)
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    await ann.send("hello")
    updates = await poll
    assert time.monotonic() - started < 2
    assert [u.message.text for u in updates] == ["hello"]
    # Not confirmed yet: the same update comes again; a higher offset confirms it.
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id]
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()
    assert time.monotonic() - started >= 0.25

    # A second poller (another bot instance) ends the pending long poll with 409.
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api.base_url}{TOKEN}/getUpdates", data={"timeout": "0"}) as r:
            assert (await r.json())["result"] == []
    with pytest.raises(telegram.error.Conflict) as conflict:
        await first
    assert conflict.value.message == errors.TERMINATED_BY_OTHER_POLL


async def test_user_who_started_the_bot_earlier_can_be_notified(api, bot):
    api.user(3003, "Chen", language_code="zh", started=True)
    assert (await bot.send_message(3003, "Your technician is on the way")).chat.id == 3003


# ----------------------------------------------------------------------------- real Application
async def test_application_polling_echo_and_button(api):
    async def start(update, context):
        await update.message.reply_text(
            "<b>Welcome</b>, pick a service:",
            parse_mode="HTML",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Repair", callback_data="svc:repair"),
                  InlineKeyboardButton("Delivery", callback_data="svc:delivery")]]
            ),
        )

    async def echo(update, context):
        await update.message.reply_text(update.message.text)

    async def chosen(update, context):
        query = update.callback_query
        assert query.message.text == "Welcome, pick a service:"  # the full message arrives
        await query.answer(f"You chose {query.data}")
        await query.edit_message_text(f"Chosen: <i>{query.data.split(':')[1]}</i>", parse_mode="HTML")

    app = (
        ApplicationBuilder().token(TOKEN).base_url(api.base_url)
        .base_file_url(api.base_file_url).build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(chosen))
    async with app:
        await app.start()
        await app.updater.start_polling()
        try:
            ann = api.user(1001, "Ann", language_code="zh")
            await ann.send("/start")
            menu = await ann.reply()
            assert menu.text == "Welcome, pick a service:"
            assert menu.html == "<b>Welcome</b>, pick a service:"
            assert menu.buttons == [["Repair", "Delivery"]]
            assert menu.callback_data == {"Repair": "svc:repair", "Delivery": "svc:delivery"}

            await ann.send("my fridge is broken")
            assert (await ann.reply()).text == "my fridge is broken"

            await ann.press("Delivery")
            assert await ann.toast() == "You chose svc:delivery"
            edited = await ann.reply()
            assert edited.edited and edited.message_id == menu.message_id
            assert edited.text == "Chosen: delivery" and edited.buttons == []
            assert ann.toasts == ["You chose svc:delivery"]
            assert await ann.settle(quiet=0.1) == []
            assert ann.transcript == [
                "> Ann: /start",
                "< bot: Welcome, pick a service: [buttons: Repair | Delivery]",
                "> Ann: my fridge is broken",
                "< bot: my fridge is broken",
                f'> Ann: (pressed "Delivery" on #{menu.message_id})',
                "< bot (toast): You chose svc:delivery",
                f"< bot (edit #{menu.message_id}): Chosen: delivery",
            ]
        finally:
            await app.updater.stop()
            await app.stop()


async def test_webhook_delivery_secret_retry_and_conflict(api, bot):
    received: list[dict] = []
    answers = iter([500])  # the receiver fails once: Telegram must deliver the update again

    async def receive(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != "s3cret":
            return web.Response(status=403)
        status = next(answers, 200)
        if status == 200:
            received.append(await request.json())
        return web.Response(status=status)

    receiver = web.Application()
    receiver.router.add_post("/hook", receive)
    runner = web.AppRunner(receiver)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        with pytest.raises(telegram.error.Conflict) as conflict:
            await bot.get_updates()
        assert conflict.value.message == errors.WEBHOOK_ACTIVE

        ann = api.user(1001, "Ann")
        await ann.send("first")
        await ann.send("second")
        for _ in range(100):
            if len(received) == 2:
                break
            await asyncio.sleep(0.05)
        updates = [Update.de_json(data, bot) for data in received]
        assert [u.message.text for u in updates] == ["first", "second"]
        assert [status for _, status in api.webhook_deliveries] == [500, 200, 200]

        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
        assert "500" in info.last_error_message

        assert await bot.delete_webhook()
        await ann.send("polled")
        [update] = await bot.get_updates(timeout=1)
        assert update.message.text == "polled"
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


# ----------------------------------------------------------------------------- errors
async def test_chat_not_found_and_blocked_user(api, bot):
    bob = api.user(2002, "Bob")
    with pytest.raises(BadRequest) as not_found:
        await bot.send_message(2002, "hello")  # Bob never wrote to the bot
    assert_telegram_error(not_found.value, errors.CHAT_NOT_FOUND)
    assert not_found.value.message == "Chat not found"

    await bob.send("hi")
    await drain(bot)
    bob.block()
    with pytest.raises(Forbidden) as blocked:
        await bot.send_message(2002, "hello")
    assert blocked.value.message == "Forbidden: bot was blocked by the user"
    with pytest.raises(Forbidden):
        await bot.send_chat_action(2002, "typing")
    [update] = await drain(bot)  # Telegram tells the bot it was blocked
    assert update.my_chat_member.new_chat_member.status == "kicked"
    bob.unblock()
    assert (await bot.send_message(2002, "welcome back")).text == "welcome back"
    assert bob.transcript[-1] == "< bot: welcome back"
    assert "! sendMessage -> 403 Forbidden: bot was blocked by the user" in bob.transcript


async def test_injected_errors_flood_and_server_errors(api, bot, ann):
    api.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(telegram.error.RetryAfter) as flood:
        await bot.send_message(1001, "x")
    assert flood.value.retry_after in (3, dtm.timedelta(seconds=3))

    api.fail_next("SENDMESSAGE", status=500, count=2)
    for _ in range(2):
        with pytest.raises(NetworkError) as server_error:
            await bot.send_message(1001, "x")
        assert "Internal Server Error" in server_error.value.message
    api.fail_next("*", status=502)
    with pytest.raises(NetworkError) as gateway:
        await bot.send_chat_action(1001, "typing")
    assert "Bad Gateway" in gateway.value.message
    assert (await bot.send_message(1001, "now it works")).text == "now it works"
    assert [m for m, _ in api.calls].count("sendMessage") == 4


async def test_text_limits_and_empty_text(api, bot, ann):
    with pytest.raises(BadRequest) as empty:
        await bot.send_message(1001, "")
    assert_telegram_error(empty.value, errors.MESSAGE_TEXT_EMPTY)
    with pytest.raises(BadRequest) as blank:
        await bot.send_message(1001, "   \n ")
    assert_telegram_error(blank.value, errors.TEXT_MUST_BE_NON_EMPTY)

    with pytest.raises(BadRequest) as too_long:
        await bot.send_message(1001, "x" * 4097)
    assert_telegram_error(too_long.value, errors.MESSAGE_TOO_LONG)
    with pytest.raises(BadRequest):
        await bot.send_message(1001, "<b>" + "y" * 4097 + "</b>", parse_mode="HTML")
    # The limit applies to the visible text: tags and entities do not count.
    ok = await bot.send_message(1001, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert len(ok.text) == 4096
    ok = await bot.send_message(1001, "&amp;" * 4096, parse_mode="HTML")
    assert ok.text == "&" * 4096
    # Telegram trims surrounding white space.
    assert (await bot.send_message(1001, "  hi \n")).text == "hi"

    photo = tiny_png()
    with pytest.raises(BadRequest) as caption:
        await bot.send_photo(1001, photo, caption="c" * 1025)
    assert_telegram_error(caption.value, errors.CAPTION_TOO_LONG)
    assert (await bot.send_photo(1001, photo, caption="c" * 1024)).caption == "c" * 1024

    with pytest.raises(BadRequest) as mode:
        await bot.send_message(1001, "x", parse_mode="HTM")
    assert_telegram_error(mode.value, errors.UNSUPPORTED_PARSE_MODE)


@pytest.mark.parametrize(
    ("text", "visible", "error"),
    [
        ("<b>x</b>", "x", None),
        ("<B>bold</B> <strong>s</strong> <i>i</i> <u>u</u> <s>s</s> <code>c</code>",
         "bold s i u s c", None),
        ('<tg-spoiler>a</tg-spoiler> <span class="tg-spoiler">b</span>', "a b", None),
        ('<a href="https://example.com/?a=1&b=2">link</a>', "link", None),  # "&" in attributes
        ("<pre><code class=\"language-python\">print(1)</code></pre>", "print(1)", None),
        ("<blockquote expandable>quote</blockquote>", "quote", None),
        ("&amp; &lt;tag&gt; &quot;q&quot; &#8364; &#x41;", '& <tag> "q" € A', None),
        ("a < b", None, 'Unsupported start tag "" at byte offset 2'),
        ("<foo>bar</foo>", None, 'Unsupported start tag "foo" at byte offset 0'),
        ("line<br>break", None, 'Unsupported start tag "br" at byte offset 4'),
        ("Привет <x>", None, 'Unsupported start tag "x" at byte offset 13'),  # UTF-8 bytes
        ("Tom & Jerry", None, errors.CANT_PARSE_ENTITIES),  # strict mode, see below
        ("<b>unclosed", None, 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>test</b></i>", None,
         'Unmatched end tag at byte offset 10, expected "</i>", found "</b>"'),
        ("x</b>", None, "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", None, 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b", None, "Unclosed start tag at byte offset 0"),
    ],
)
async def test_html_parse_mode(api, bot, ann, text, visible, error):
    if error is None:
        message = await bot.send_message(1001, text, parse_mode="HTML")
        assert message.text == visible
        assert (await ann.reply()).text == visible  # what the user sees
        return
    with pytest.raises(BadRequest) as exc:
        await bot.send_message(1001, text, parse_mode="HTML")
    if error == errors.CANT_PARSE_ENTITIES:
        assert exc.value.message.startswith("Can't parse entities: character \"&\"")
    else:
        assert_telegram_error(exc.value, errors.CANT_PARSE_ENTITIES + error)


def test_html_parser_details():
    # UTF-16 offsets, like the Bot API reports them.
    parsed = parse_html("😀 <b>bold</b>")
    assert parsed.text == "😀 bold"
    assert parsed.entities == [{"type": "bold", "offset": 3, "length": 4}]
    # Real Telegram keeps a bare "&" (and unknown entities) literally; strict mode refuses it.
    assert parse_html("Tom & Jerry &nbsp;").text == "Tom & Jerry &nbsp;"
    with pytest.raises(ValueError):
        parse_html("Tom & Jerry", strict=True)
    nested = parse_html('<b>a <i>b</i></b> <a href="t.me/x">c</a>')
    assert nested.entities == [
        {"type": "bold", "offset": 0, "length": 3},
        {"type": "italic", "offset": 2, "length": 1},
        {"type": "text_link", "offset": 4, "length": 1, "url": "http://t.me/x"},
    ]
    # MarkdownV2 and Markdown, with Telegram's wording.
    assert parse_formatted_text("*bold* \\.", "MarkdownV2").text == "bold ."
    with pytest.raises(ValueError, match=r"Character '\.' is reserved"):
        parse_formatted_text("done.", "MarkdownV2")
    with pytest.raises(ValueError, match="Can't find end of the entity starting at byte offset 0"):
        parse_formatted_text("*bold", "Markdown")


async def test_inline_keyboard_validation(api, bot, ann):
    def keyboard(**button):
        return InlineKeyboardMarkup([[InlineKeyboardButton("b", **button)]])

    with pytest.raises(BadRequest) as too_long:
        await bot.send_message(1001, "x", reply_markup=keyboard(callback_data="x" * 65))
    assert_telegram_error(too_long.value, errors.BUTTON_DATA_INVALID)
    with pytest.raises(BadRequest):  # 64 characters but 66 UTF-8 bytes
        await bot.send_message(1001, "x", reply_markup=keyboard(callback_data="é" * 33))
    assert await bot.send_message(1001, "x", reply_markup=keyboard(callback_data="x" * 64))
    with pytest.raises(BadRequest) as text_only:
        await bot.do_api_request(
            "sendMessage",
            api_kwargs={"chat_id": 1001, "text": "x",
                        "reply_markup": {"inline_keyboard": [[{"text": "b"}]]}},
        )
    assert_telegram_error(text_only.value, errors.TEXT_BUTTONS_UNALLOWED)
    with pytest.raises(BadRequest) as bad_url:
        await bot.send_message(1001, "x", reply_markup=keyboard(url="ftp://example.com"))
    assert "unsupported url protocol" in bad_url.value.message.lower()
    # Reply keyboards and their removal are accepted.
    assert await bot.send_message(
        1001, "share", reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton("Share phone", request_contact=True), "Cancel"]],
            resize_keyboard=True, one_time_keyboard=True,
        ),
    )
    assert await bot.send_message(1001, "ok", reply_markup=ReplyKeyboardRemove())


async def test_edit_delete_and_callback_errors(api, bot, ann):
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    message = await bot.send_message(1001, "<b>Status</b>: new", parse_mode="HTML",
                                     reply_markup=markup)
    with pytest.raises(BadRequest) as same:
        await bot.edit_message_text("<b>Status</b>: new", 1001, message.message_id,
                                    parse_mode="HTML", reply_markup=markup)
    assert_telegram_error(same.value, errors.MESSAGE_NOT_MODIFIED)
    # Same text without the bold entity is a change.
    plain = await bot.edit_message_text("Status: new", 1001, message.message_id,
                                        reply_markup=markup)
    assert plain.text == "Status: new" and plain.entities == ()
    with pytest.raises(BadRequest) as missing:
        await bot.edit_message_text("x", 1001, 999)
    assert_telegram_error(missing.value, errors.MESSAGE_TO_EDIT_NOT_FOUND)
    with pytest.raises(BadRequest) as own:
        await bot.edit_message_text("x", 1001, 1)  # Ann's /start
    assert_telegram_error(own.value, errors.MESSAGE_CANT_BE_EDITED)

    # Leaving reply_markup out of an edit removes the keyboard, as in Telegram.
    await bot.edit_message_text("Status: done", 1001, message.message_id)
    assert ann.last_message.buttons == []
    await bot.edit_message_reply_markup(1001, message.message_id, reply_markup=markup)
    assert ann.last_message.buttons == [["Go"]]
    with pytest.raises(BadRequest):
        await bot.edit_message_reply_markup(1001, message.message_id, reply_markup=markup)

    query_id = await ann.press("Go")
    await drain(bot)
    assert await bot.answer_callback_query(query_id, text="Working…", show_alert=True)
    with pytest.raises(BadRequest) as twice:
        await bot.answer_callback_query(query_id)
    assert_telegram_error(twice.value, errors.QUERY_TOO_OLD)
    with pytest.raises(BadRequest):
        await bot.answer_callback_query("123")
    assert ann.answers[0]["show_alert"] is True
    assert "< bot (alert): Working…" in ann.transcript

    assert await bot.delete_message(1001, message.message_id)
    with pytest.raises(BadRequest) as gone:
        await bot.delete_message(1001, message.message_id)
    assert_telegram_error(gone.value, errors.MESSAGE_TO_DELETE_NOT_FOUND)
    assert ann.messages == [] and f"< bot (deleted #{message.message_id})" in ann.transcript

    photo = await bot.send_photo(1001, tiny_png(), caption="<i>before</i>", parse_mode="HTML")
    edited = await bot.edit_message_caption(1001, photo.message_id, caption="after")
    assert edited.caption == "after"
    with pytest.raises(BadRequest) as no_text:
        await bot.edit_message_text("x", 1001, photo.message_id)
    assert_telegram_error(no_text.value, errors.NO_TEXT_TO_EDIT)


async def test_press_on_old_message_stale_data_and_helpful_failures(api, bot, ann):
    first = await bot.send_message(1001, "Pick", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("Yes", callback_data="yes:1")]]))
    await bot.send_message(1001, "Pick again", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("Yes", callback_data="yes:2"),
          InlineKeyboardButton("Site", url="https://example.com")]]))
    await drain(bot)
    await ann.press("Yes")                               # the newest message
    await ann.press("Yes", message=first.message_id)     # an older one
    await ann.press_data("forged:1")
    updates = await drain(bot)
    assert [u.callback_query.data for u in updates] == ["yes:2", "yes:1", "forged:1"]
    assert updates[1].callback_query.message.message_id == first.message_id

    with pytest.raises(AssertionError, match=r'(?s)no inline button "Nope".*Yes \| Site'):
        await ann.press("Nope")
    with pytest.raises(AssertionError, match="is a url button"):
        await ann.press("Site")
    assert [m.text for m in await ann.replies(2)] == ["Pick", "Pick again"]
    with pytest.raises(AssertionError, match="(?s)waited 0.1s.*> Ann: /start"):
        await ann.reply(timeout=0.1)


async def test_documents_photos_and_files(api, bot, ann):
    await drain(bot)
    csv_bytes = "id,status\n1,новый\n".encode()
    sent = await bot.send_document(1001, csv_bytes, filename="tickets.csv", caption="Export")
    received = await ann.reply()
    assert received.kind == "document" and received.document == csv_bytes
    assert received.filename == "tickets.csv" and received.mime_type == "text/csv"
    assert received.caption == "Export"
    upload = api.calls_to("sendDocument")[0]["document"]
    assert upload.filename == "tickets.csv" and upload.data == csv_bytes
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == csv_bytes
    # A file_id can be sent again.
    again = await bot.send_document(1001, sent.document.file_id)
    assert again.document.file_id == sent.document.file_id

    png = tiny_png(640, 480)
    photo = await bot.send_photo(1001, png)
    assert photo.photo[-1].width == 640 and len(photo.photo) == 2
    assert (await ann.replies(2))[1].photo == png

    await ann.send_photo(png, caption="the broken part")
    await ann.send_document(b"%PDF-1.4", "invoice.pdf")
    photo_update, document_update = await drain(bot)
    largest = photo_update.message.photo[-1]
    assert photo_update.message.caption == "the broken part"
    assert bytes(await (await largest.get_file()).download_as_bytearray()) == png
    document = document_update.message.document
    assert (document.file_name, document.mime_type) == ("invoice.pdf", "application/pdf")
    assert bytes(await (await document.get_file()).download_as_bytearray()) == b"%PDF-1.4"

    with pytest.raises(BadRequest) as wrong:
        await bot.send_photo(1001, "no-such-file-id")
    assert_telegram_error(wrong.value, errors.WRONG_FILE_ID)

    album = await bot.send_media_group(1001, [InputMediaPhoto(png, caption="1"),
                                              InputMediaPhoto(tiny_png())])
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert [m.caption for m in await ann.replies(2)] == ["1", None]


async def test_location_chat_action_reply_keyboard_and_contact(api, bot, ann):
    await drain(bot)
    assert await bot.send_chat_action(1001, "typing")
    assert ann.chat_actions == ["typing"]
    with pytest.raises(BadRequest) as action:
        await bot.send_chat_action(1001, "dancing")
    assert_telegram_error(action.value, errors.WRONG_CHAT_ACTION)

    await bot.send_location(1001, 31.23, 121.47)
    assert (await ann.reply()).location == (31.23, 121.47)

    await bot.send_message(1001, "Share your phone", reply_markup=ReplyKeyboardMarkup(
        [[KeyboardButton("Share phone", request_contact=True)], ["Cancel"]],
        one_time_keyboard=True))
    prompt = await ann.reply()
    assert prompt.reply_keyboard[0][0] == {
        "text": "Share phone", "request_contact": True, "request_location": False}
    assert "[keyboard: Share phone(contact) / Cancel]" in prompt.describe()
    await ann.tap("Share phone")
    assert ann.keyboard is None  # one-time keyboard hidden after use
    [update] = await drain(bot)
    contact = update.message.contact
    assert (contact.phone_number, contact.user_id) == ("+8613800138000", 1001)

    await ann.send_location(31.2, 121.5)
    assert (await drain(bot))[0].message.location.latitude == 31.2
    await bot.send_message(1001, "Thanks", reply_markup=ReplyKeyboardRemove())
    assert (await ann.reply()).remove_keyboard


async def test_commands_and_menu_button(api, bot, ann):
    zh = [BotCommand("start", "开始"), BotCommand("new", "新工单")]
    assert await bot.set_my_commands(zh, scope=BotCommandScopeChat(1001), language_code="zh")
    assert await bot.set_my_commands([BotCommand("start", "Start")])
    assert api.commands_for({"type": "chat", "chat_id": 1001}, "zh") == [
        {"command": "start", "description": "开始"}, {"command": "new", "description": "新工单"}]
    assert api.commands_for() == [{"command": "start", "description": "Start"}]
    assert ('{"chat_id":1001,"type":"chat"}', "zh") in api.commands
    got = await bot.get_my_commands(scope=BotCommandScopeChat(1001), language_code="zh")
    assert [c.command for c in got] == ["start", "new"]
    assert await bot.get_my_commands(language_code="en") == ()
    assert await bot.delete_my_commands(scope=BotCommandScopeDefault())
    assert api.commands_for() == []
    with pytest.raises(BadRequest) as invalid:
        await bot.set_my_commands([BotCommand("Start", "x")])
    assert_telegram_error(invalid.value, errors.BOT_COMMAND_INVALID)
    assert await bot.set_chat_menu_button(1001, MenuButtonCommands())
    assert api.menu_buttons[1001] == {"type": "commands"}


async def test_transcript_report_section(api, bot, ann, request):
    await bot.send_message(1001, "Hello <b>Ann</b>", parse_mode="HTML")
    assert api.transcript() == "[Ann #1001] > Ann: /start\n[Ann #1001] < bot: Hello Ann"
    assert request.config.pluginmanager.get_plugin(pytest_plugin.PLUGIN_NAME) is not None

    class FakeReport:
        failed = True
        sections: list = []

    class FakeItem:
        pass

    item = FakeItem()
    attach_transcript(type("Req", (), {"node": item, "config": request.config})(), api)
    hook = pytest_plugin.pytest_runtest_makereport(item, None)
    next(hook)
    with pytest.raises(StopIteration) as done:
        hook.send(FakeReport())
    title, text = done.value.value.sections[0]
    assert title == "telegram transcript (@service_desk_bot)"
    assert "< bot: Hello Ann" in text


async def test_raw_form_and_multipart_requests(api, ann):
    # What other clients send: form fields with JSON-encoded objects, multipart uploads.
    async with aiohttp.ClientSession() as http:
        form = {"chat_id": "1001", "text": "<i>hi</i>", "parse_mode": "HTML",
                "reply_markup": json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})}
        async with http.post(f"{api.base_url}{TOKEN}/sendMessage", data=form) as response:
            body = await response.json()
        assert body["result"]["entities"] == [{"type": "italic", "offset": 0, "length": 2}]
        data = aiohttp.FormData()
        data.add_field("chat_id", "1001")
        data.add_field("document", b"hello", filename="a.txt", content_type="text/plain")
        async with http.post(f"{api.base_url}{TOKEN}/sendDocument", data=data) as response:
            body = await response.json()
        assert body["result"]["document"]["file_name"] == "a.txt"
    assert [m.text for m in await ann.replies(2)] == ["hi", None]


async def test_forward_and_copy_between_chats(api, bot, ann):
    tom = api.user(4004, "Tom", started=True)  # a technician who uses the bot too
    photo = tiny_png(400, 300)
    sent = await ann.send_photo(photo, caption="leaking pipe")
    forwarded = await bot.forward_message(4004, 1001, sent["message_id"])
    assert forwarded.forward_origin.sender_user.id == 1001
    seen = await tom.reply()
    assert seen.kind == "photo" and seen.photo == photo and seen.caption == "leaking pipe"
    copied = await bot.copy_message(4004, 1001, 1, caption="ignored for text")  # Ann's /start
    assert (await tom.reply()).text == "/start" and copied.message_id == seen.message_id + 1
    with pytest.raises(BadRequest) as missing:
        await bot.copy_message(4004, 1001, 999)
    assert missing.value.message == "Message to copy not found"
