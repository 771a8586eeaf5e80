"""A new customer registers, in their Telegram language; mistakes get clear answers."""
from sqlalchemy import select

from core.models import User


async def stored_user(bot, telegram_id):
    async with bot.desk.uow() as uow:
        return await uow.session.scalar(select(User).where(User.telegram_id == telegram_id))


async def test_a_customer_registers_with_the_contact_button(telegram, bot):
    ann = telegram.user(1001, "Ann", language_code="en")
    await ann.send("/start")
    ask = await ann.reply()
    assert "what name should the technician ask for" in ask.text
    await ann.send("Ann <b>&amp; Co</b> & sons")
    ask_phone = await ann.reply()
    assert "Ann <b>&amp; Co</b> & sons" in ask_phone.text  # shown literally, not as markup
    assert ask_phone.reply_keyboard[0][0]["request_contact"] is True
    await ann.send_contact(phone="8613800138000")
    done, menu = await ann.replies(2)
    assert "You are registered" in done.text
    assert done.remove_keyboard
    assert "/help" in menu.text and "Customer" in menu.text
    user = await stored_user(bot, 1001)
    assert (user.name, user.phone, user.role) == ("Ann <b>&amp; Co</b> & sons", "+8613800138000",
                                                  "customer")
    assert user.registered_at is not None

    await ann.send("/start")  # a registered customer gets the menu, not the questions again
    assert "Hello, Ann" in (await ann.reply()).text


async def test_a_chinese_customer_is_answered_in_chinese_and_may_type_the_phone(telegram, bot):
    wang = telegram.user(1002, "小王", language_code="zh-hans")
    await wang.send("/start")
    assert "请输入您的姓名" in (await wang.reply()).text
    await wang.send("王小明")
    assert "手机号" in (await wang.reply()).text
    await wang.send("138 0013 8000")
    done, menu = await wang.replies(2)
    assert "注册成功" in done.text
    assert "客户" in menu.text
    assert (await stored_user(bot, 1002)).phone == "+8613800138000"


async def test_unknown_telegram_language_gets_the_default(telegram, bots):
    await bots.start(default_language="zh")
    pierre = telegram.user(1003, "Pierre", language_code="fr")
    await pierre.send("/start")
    assert "请输入您的姓名" in (await pierre.reply()).text


async def test_wrong_answers_get_clear_messages_and_keep_the_step(telegram, bot):
    ann = telegram.user(1001, "Ann")
    await ann.send("/start")
    await ann.reply()
    await ann.send_photo()
    assert "type your answer as text" in (await ann.reply()).text
    await ann.send("x" * 5000)
    assert "too long" in (await ann.reply()).text
    await ann.send("Ann")
    await ann.reply()
    await ann.send("12345")
    assert "does not look like a phone number" in (await ann.reply()).text
    await ann.send_contact(phone="+8613900139000", user_id=4242)  # someone else's card
    assert "someone else" in (await ann.reply()).text
    await ann.send_location(31.2, 121.4)
    assert "share your phone number" in (await ann.reply()).text
    await ann.send("13800138000")
    done, _ = await ann.replies(2)
    assert "You are registered" in done.text
    assert (await stored_user(bot, 1001)).phone == "+8613800138000"


async def test_a_restart_in_the_middle_of_registration_resumes(telegram, bots):
    bot = await bots.start()
    ann = telegram.user(1001, "Ann")
    await ann.send("/start")
    await ann.reply()
    await ann.send("Ann Lee")
    await ann.reply()
    bot = await bots.restart(bot)
    await ann.send("13800138000")
    done, _ = await ann.replies(2)
    assert "You are registered, Ann Lee" in done.text
    assert (await stored_user(bot, 1001)).name == "Ann Lee"


async def test_cancel_leaves_registration_and_saves_nothing(telegram, bot):
    ann = telegram.user(1001, "Ann")
    await ann.send("/start")
    await ann.reply()
    await ann.send("Ann")
    await ann.reply()
    await ann.send("/cancel")
    cancelled = await ann.reply()
    assert "Cancelled" in cancelled.text and cancelled.remove_keyboard
    await ann.send("13800138000")  # no longer an answer to anything
    assert "did not understand" in (await ann.reply()).text
    await ann.send("/cancel")
    assert "nothing to cancel" in (await ann.reply()).text
    user = await stored_user(bot, 1001)
    assert user.registered_at is None and user.phone is None


async def test_help_mid_registration_keeps_the_step(telegram, bot):
    ann = telegram.user(1001, "Ann")
    await ann.send("/start")
    await ann.reply()
    await ann.send("/help")
    assert "/start" in (await ann.reply()).text
    await ann.send("Ann")
    assert "phone number" in (await ann.reply()).text


async def test_language_is_chosen_with_buttons_and_kept(telegram, bot):
    ann = telegram.user(1001, "Ann", language_code="en")
    await ann.send("/language")
    await ann.reply()
    await ann.press("中文")
    saved = await ann.reply()
    assert saved.edited and "中文" in saved.text
    await ann.send("/help")
    assert "我可以为您做这些" in (await ann.reply()).text
    assert (await stored_user(bot, 1001)).language == "zh"
    chat_menus = [v for k, v in telegram.commands.items() if "1001" in str(k)]
    assert chat_menus and any(c["description"] == "主菜单" for c in chat_menus[-1])


async def test_customers_command_menu_is_published_per_language(telegram, bot):
    menus = {str(key): value for key, value in telegram.commands.items()}
    zh = [v for k, v in menus.items() if "zh" in k and "default" in k]
    en = [v for k, v in menus.items() if "en" in k and "default" in k]
    assert zh and en
    assert {c["command"] for c in zh[0]} >= {"start", "help", "language", "cancel"}
    assert "invite" not in {c["command"] for c in en[0]}
