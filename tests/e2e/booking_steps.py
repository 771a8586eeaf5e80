"""Walking a customer through /book, for tests whose subject is what comes after."""


async def give_address(who, address: str, district: str = "Not in this list"):
    """Types the address; when it names no district we serve, the bot asks which one."""
    await who.send(address)
    asked = await who.reply()
    if "Which district" in asked.text:
        await who.press(district)
        asked = await who.reply()
    if "shares your phone number" in asked.text:
        await who.reply()  # the phone question follows its keyboard's note


async def book_repair_until_summary(who, *, category="TV", brand="TCL", model=None,
                                    problem="Screen flickers", address="1 Main St",
                                    day="Wed 25 Nov", window="09:00–12:00"):
    await who.send("/book")
    await who.reply()
    await who.press(category)
    await who.reply()
    await who.press(brand)
    await who.reply()
    if model:
        await who.send(model)
    else:
        await who.press("Skip")
    await who.reply()
    await who.press("Skip")
    await who.reply()
    await who.send(problem)
    await who.reply()
    await who.press("Done with photos")
    await who.reply()
    await give_address(who, address)
    await who.send("13800138000")
    await who.replies(2)
    await who.press(day)
    await who.reply()
    await who.press(window)
    return await who.reply()


async def book_repair(who, **choices) -> str:
    """Books a repair through the chat and returns its number."""
    await book_repair_until_summary(who, **choices)
    await who.press("✅ Confirm")
    booked = await who.reply()
    return booked.text.split("order number is ")[1].split(".")[0]
