"""Small pieces the packs' actions and batch imports share: the bilingual refusal of one field,
the refusal of a time outside the accepted range, the refusal of a batch that touches another
owner's rows, a batch's outcome and its refused rows, the fields of a located site, reading ids
in chunks, a share in percent (and the attribute that reads one off two counts), and copying
the same-named attributes of a row into a new record."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, NotRequired, TypedDict, TypeVar, cast, overload

from ioc.core import clock
from ioc.core.ownership import NotYourData

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "CHUNK",
    "BatchOutcome",
    "FieldError",
    "LabelledFieldError",
    "Rate",
    "RateOf",
    "Refused",
    "SiteFields",
    "check_accepted",
    "check_move",
    "chunks",
    "refuse_foreign",
    "same_named",
]

T = TypeVar("T")

#: How many ids one ``IN (…)`` query takes at the most.
CHUNK = 500


class FieldError(ValueError):
    """A refused value: the field it names, the Vietnamese ``message`` and the English ``en``.

    ``str()`` gives the Vietnamese message."""

    def __init__(self, field: str, message: str, en: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.en = en


class SiteFields(TypedDict):
    """What a located site (a monitoring station, a camera …) is given when it is created or
    updated: its code and name, its point, the commune asked for (the point's commune wins)
    and the agency that owns it."""

    code: str
    name: str
    lat: float
    lon: float
    area_code: NotRequired[str | None]
    agency_code: str | None


class LabelledFieldError(FieldError):
    """A :class:`FieldError` whose ``str()`` names the field and both languages
    (``field: message / en``), for pages that show it as it is."""

    def __str__(self) -> str:
        return f"{self.field}: {self.message} / {self.en}"


class Refused:
    """Base of the frozen dataclass that tells why one row (or cell) of a batch was refused:
    where it is, the field and the messages. Its JSON form is its fields, by name."""

    def as_dict(self) -> dict[str, Any]:
        """JSON form: the fields in their declared order."""
        return asdict(cast("DataclassInstance", self))


E = TypeVar("E", bound=Refused)


@dataclass
class BatchOutcome(Generic[E]):
    """What a batch import did; subclasses add their counts as fields. ``errors`` holds the
    refused rows (or cells)."""

    errors: list[E] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was refused."""
        return not self.errors

    def counts(self) -> dict[str, Any]:
        """The subclass's fields (its counts) by name, in their declared order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "errors"}

    def errors_json(self, most: int | None = None) -> list[dict[str, Any]]:
        """The refused rows in JSON form (the first ``most`` of them when given)."""
        return [e.as_dict() for e in self.errors[:most]]

    def as_dict(self) -> dict[str, Any]:
        """JSON form: :meth:`counts`, then the refused rows (``errors``)."""
        return {**self.counts(), "errors": self.errors_json()}


def check_move(
    transitions: Mapping[str, Collection[str]],
    current: str,
    wanted: str,
    refuse: type[FieldError],
) -> None:
    """Raise ``refuse`` (on the field ``status``) unless ``transitions`` allow the move from
    status ``current`` to ``wanted``."""
    if wanted not in transitions.get(current, ()):
        raise refuse(
            "status",
            f"không chuyển được từ {current} sang {wanted}",
            f"cannot go from {current} to {wanted}",
        )


def check_accepted(
    moment: datetime, field: str, refuse: Callable[[str, str, str], Exception]
) -> None:
    """Raise ``refuse(field, vi, en)`` when the aware ``moment`` lies outside the times the IOC
    accepts (:func:`ioc.core.clock.accepted`); the messages give the range."""
    if not clock.accepted(moment):
        raise refuse(
            field,
            f"thời điểm ngoài khoảng cho phép {clock.RANGE_TEXT}",
            f"time outside the accepted range {clock.RANGE_TEXT}",
        )


def refuse_foreign(refused: Collection[str], what_vi: str, what_en: str) -> None:
    """Raise :class:`NotYourData` when a batch holds rows of another owner (``refused`` names
    them; the message shows the first 20 in order). ``what_vi``/``what_en`` name the rows."""
    if refused:
        shown = ", ".join(sorted(refused)[:20])
        raise NotYourData(
            f"Lô có {what_vi} của đơn vị khác: {shown}",
            f"the batch holds {what_en} of another agency: {shown}",
            owners=refused,
        )


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size`` (for ``IN (…)`` queries of bounded length)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Rate:
    """A share ``hits / total`` in percent; ``value`` is None when ``total`` is 0."""

    hits: int
    total: int

    @property
    def value(self) -> float | None:
        """The percentage (0–100), or None without a denominator."""
        return None if self.total == 0 else 100.0 * self.hits / self.total


R = TypeVar("R", bound="Rate")


class RateOf(Generic[R]):
    """A read-only attribute giving the rate (``kind``, a :class:`Rate` class) of two count
    attributes of the same object, as in
    ``fixed_rate = RateOf(Rate, "fixed", "answered", "Answers saying fixed.")``."""

    def __init__(self, kind: type[R], hits: str, total: str, doc: str) -> None:
        self.kind = kind
        self.hits = hits
        self.total = total
        self.__doc__ = doc

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> RateOf[R]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> R: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> RateOf[R] | R:
        """The rate of ``obj`` (the descriptor itself when read on the class)."""
        if obj is None:
            return self
        return self.kind(getattr(obj, self.hits), getattr(obj, self.total))


def same_named(source: object, names: str, *, prefix: str = "") -> dict[str, Any]:
    """``{name: source.<prefix><name>}`` for each of the space-separated ``names``: the
    attributes a new record takes over unchanged, as in
    ``Row(**same_named(task, "id ref title"), state=s)``; ``prefix`` reads a settings group
    (``same_named(settings, "max_line", prefix="syslog_")``)."""
    return {name: getattr(source, prefix + name) for name in names.split()}
