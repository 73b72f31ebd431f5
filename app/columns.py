"""Column types shared by every domain: aware UTC timestamps, enums stored as short strings, and the range of an id."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Protocol

from annotated_types import Interval
from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

# The largest id any table can hold: ids are INTEGER columns, 32-bit on PostgreSQL (SQLite's hold 64). A larger
# number in a request cannot name a row; without this bound PostgreSQL refuses to compare an INTEGER with it
# ("integer out of range") and SQLite's driver raises OverflowError above 2**63 - 1, both answering 500.
MAX_ROW_ID = 2**31 - 1

RowId = Annotated[int, Interval(ge=1, le=MAX_ROW_ID)]
"""An id as a request may give it (path, query, form or JSON body): out of range is a 422, never a 500."""

PageNumber = Annotated[int, Interval(ge=1, le=100_000)]
"""A page of a listing: its offset must stay far inside what the database can bind."""


class _HasId(Protocol):
    id: int | None


def id_of(row: _HasId) -> int:
    """The primary key of a row that has been flushed (SQLModel types it optional until then)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; SQLite keeps no offset, so values read back are marked UTC again."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def timestamp_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A ``*_at`` column; non-nullable ones default to now."""
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


def enum_field(
    enum_class: type[StrEnum], *, default: StrEnum | None = None, index: bool = False, length: int = 20
) -> Any:
    """A StrEnum column stored as VARCHAR (not a PostgreSQL enum type), so adding a value needs no type migration."""
    column_type = Enum(
        enum_class,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )
    if default is None:
        return Field(sa_type=column_type, nullable=False, index=index)
    return Field(default=default, sa_type=column_type, nullable=False, index=index)
