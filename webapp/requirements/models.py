"""Requirement templates: one per (service, sub-type), each a list of items.

Items of one template that share an `alt_group` are alternatives ("A atau B"). The condition
columns decide when an item applies (see services.requirements_for); for kind "eligibility"
they describe the rule that eligibility_problems checks."""
from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import Timestamps, UUIDKey
from webapp.extensions import db

ITEM_KINDS = ("document", "presence", "photo", "eligibility")


class RequirementTemplate(UUIDKey, Timestamps, db.Model):
    __tablename__ = "requirement_template"
    __sync__ = False   # reference data edited at the office; in the checkout package
    __entity_type__ = "requirement_template"

    service_code: Mapped[str] = mapped_column(String(20), nullable=False)
    subtype_code: Mapped[str] = mapped_column(String(30), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    items: Mapped[list["RequirementItem"]] = relationship(
        back_populates="template", order_by="RequirementItem.position", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("service_code", "subtype_code", name="uq_requirement_template_service"),)


class RequirementItem(UUIDKey, db.Model):
    __tablename__ = "requirement_item"
    __sync__ = False   # reference data edited at the office; in the checkout package
    __entity_type__ = "requirement_item"

    template_id: Mapped[uuid.UUID] = mapped_column(
        db.Uuid, ForeignKey("requirement_template.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="document")
    alt_group: Mapped[str | None] = mapped_column(String(20))
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    only_if: Mapped[str | None] = mapped_column(String(30))
    age_setting: Mapped[str | None] = mapped_column(String(60))

    template: Mapped[RequirementTemplate] = relationship(back_populates="items")
