"""Members of Congress, their terms and offices, and ZIP→district rows, as loaded by sync."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.extensions import db
from outreach.models.base import as_utc, enum_type, utcnow


class Chamber(str, enum.Enum):
    HOUSE = "house"
    SENATE = "senate"

    @property
    def other(self) -> "Chamber":
        return Chamber.SENATE if self is Chamber.HOUSE else Chamber.HOUSE


class Person(db.Model):
    """Anyone who has held a seat, keyed by bioguide id."""

    __tablename__ = "people"

    bioguide_id: Mapped[str] = mapped_column(String(7), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    middle_name: Mapped[str | None] = mapped_column(String(80))
    nickname: Mapped[str | None] = mapped_column(String(80))
    suffix: Mapped[str | None] = mapped_column(String(20))
    official_full: Mapped[str | None] = mapped_column(String(160))
    # True when the latest sync's legislators-current file lists this person (DESIGN: "Who is current").
    is_current: Mapped[bool] = mapped_column(default=False, index=True)

    terms: Mapped[list["Term"]] = relationship(
        back_populates="person", order_by="Term.start", cascade="all, delete-orphan"
    )
    offices: Mapped[list["DistrictOffice"]] = relationship(
        back_populates="person", order_by="DistrictOffice.id", cascade="all, delete-orphan"
    )

    @property
    def display_name(self) -> str:
        return self.official_full or f"{self.first_name} {self.last_name}"

    def seat_on(self, day: date) -> "Term | None":
        """Return the term this person served on the given day, if any."""
        for term in self.terms:
            if term.start <= day <= term.end:
                return term
        return None

    @property
    def current_term(self) -> "Term | None":
        if not self.is_current:
            return None
        return next((t for t in self.terms if t.is_current), None)


class Term(db.Model):
    __tablename__ = "terms"
    __table_args__ = (Index("ix_terms_current_seat", "is_current", "chamber", "state", "district"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bioguide_id: Mapped[str] = mapped_column(ForeignKey("people.bioguide_id", ondelete="CASCADE"), index=True)
    chamber: Mapped[Chamber] = mapped_column(enum_type(Chamber))
    state: Mapped[str] = mapped_column(String(2))
    district: Mapped[int | None] = mapped_column(Integer)  # House only; 0 = at-large or delegate
    senate_class: Mapped[int | None] = mapped_column(Integer)
    party: Mapped[str | None] = mapped_column(String(40))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(300))
    contact_form: Mapped[str | None] = mapped_column(String(300))
    # The last term of a person in legislators-current: the seat they hold now.
    is_current: Mapped[bool] = mapped_column(default=False)

    person: Mapped[Person] = relationship(back_populates="terms")

    @property
    def contact_url(self) -> str | None:
        return self.contact_form or self.url


class DistrictOffice(db.Model):
    __tablename__ = "district_offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    bioguide_id: Mapped[str] = mapped_column(ForeignKey("people.bioguide_id", ondelete="CASCADE"), index=True)
    office_key: Mapped[str] = mapped_column(String(80))
    address: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[str | None] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(40))

    person: Mapped[Person] = relationship(back_populates="offices")


class ZipDistrict(db.Model):
    """One (ZCTA, state, district) row; a ZIP spanning several districts has several rows."""

    __tablename__ = "zip_districts"

    zcta: Mapped[str] = mapped_column(String(5), primary_key=True)
    state: Mapped[str] = mapped_column(String(2), primary_key=True)
    district: Mapped[int] = mapped_column(Integer, primary_key=True)


class DataSync(db.Model):
    """A record of one sync: where the data came from, which Congress, and what was counted."""

    __tablename__ = "data_syncs"

    id: Mapped[int] = mapped_column(primary_key=True)
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    source: Mapped[str] = mapped_column(String(500))
    source_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    congress: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    warnings: Mapped[list] = mapped_column(JSON, default=list)

    def age_hours(self, now: datetime | None = None) -> float:
        """Return how long ago this sync ran; SQLite hands back naive UTC datetimes."""
        return ((now or utcnow()) - as_utc(self.synced_at)).total_seconds() / 3600


class CwcOffice(db.Model):
    """An office that takes messages through Communicating with Congress, from the chamber's own list."""

    __tablename__ = "cwc_offices"

    office_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    chamber: Mapped[Chamber] = mapped_column(enum_type(Chamber))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
