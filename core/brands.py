"""Appliance brands offered as buttons: company data (a table), each with its Chinese name."""
from __future__ import annotations

from sqlalchemy import select

from .desk import UnitOfWork
from .models import Brand


async def brands(uow: UnitOfWork) -> list[Brand]:
    return list(await uow.session.scalars(select(Brand).order_by(Brand.position, Brand.id)))


async def brand(uow: UnitOfWork, brand_id: int) -> Brand | None:
    return await uow.session.get(Brand, brand_id)


def brand_name(brand: Brand, lang: str) -> str:
    """As the reader writes it: 海尔 for Chinese readers, Haier for others."""
    return brand.name_zh if lang == "zh" and brand.name_zh else brand.name
