"""The preview of a flow's timing per recipient: `Automation.schedule`, offline.

`Schedule` reads the run contexts lazily (a list, a DataFrame's records, or a generator of
100,000 rows) and yields one `ScheduleRow` per context: when each step fires (`plan`'s
walk from ``start``) in UTC and in the recipient's zone, with the DST gaps and folds the
local-time delays fell in, the recipients whose zone came from the fallback, and the rows
that cannot be scheduled (no usable zone and no fallback, a malformed row): a flagged row,
never an exception that stops the preview. The text and HTML views show the first rows and
counts of the whole stream, holding only those rows in memory.

Rows are read as ``invoke_many`` reads them (`automation_dsl._bulk_rows`): the run-context
columns stay, every other column goes into ``data``.

Examples:
    >>> from datetime import UTC, datetime
    >>> from automation_dsl import Automation, at
    >>> from automation_dsl.conditions import profile
    >>> flow = Automation().delay(until=at("09:00", tz=profile.timezone)).send("DIGEST")
    >>> rows = [{"recipient": "ana", "profile": {"timezone": "Asia/Tokyo"}},
    ...         {"recipient": "bob", "profile": {}}]
    >>> preview = flow.schedule(rows, start=datetime(2026, 7, 1, 12, tzinfo=UTC))
    >>> for row in preview:
    ...     print(row.recipient, row.zone, [str(step.local) for step in row.steps], row.flags)
    ana Asia/Tokyo ['2026-07-02 09:00:00+09:00', '2026-07-02 09:00:00+09:00'] ()
    bob None [] ('no zone',)
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from html import escape
from typing import Any, ClassVar

import attrs

from ._automation import Automation
from ._bulk_rows import row_context, unencodable
from ._errors import AutomationError, ValidationError, ValidationTypeError
from ._localtime import WEEKDAYS, LocalTime
from ._steps import Delay
from ._time import NAIVE_HINT
from ._timing import plan
from ._values import RunContext

__all__ = ["Schedule", "ScheduleRow", "ScheduledStep"]

_OWNER = "Automation.schedule"
_ROW_EXPECTED = "a mapping (a dict, a DataFrame record) or a RunContext"
_SHOWN = 20
_UTC = UTC

FLAGS = ("gap", "fold", "fallback", "no zone", "invalid", "error")
"""Every flag a row may carry: DST ``gap``/``fold`` (a local-time delay fell in one),
``fallback`` (the zone is the fallback's), and the rows with no schedule: ``no zone``,
``invalid`` (not a run context), ``error`` (any other refusal, e.g. ``on_gap="raise"``)."""

_LABELS = {
    "gap": "in a DST gap",
    "fold": "in a DST fold",
    "fallback": "on the fallback zone",
    "no zone": "without a zone",
    "invalid": "invalid",
    "error": "in error",
}


@attrs.frozen(slots=True)
class ScheduledStep:
    """When one step fires for one recipient: in UTC and in the recipient's zone.

    ``gap`` and ``fold`` say that a local-time delay's wall time did not exist that day
    (moved forward by the gap) or happened twice (the chosen occurrence).

    Examples:
        >>> from automation_dsl import Automation
        >>> from datetime import UTC, datetime
        >>> row = next(iter(Automation().send("A").schedule([{}], start=datetime(2026, 1, 1,
        ...                                                                      tzinfo=UTC))))
        >>> row.steps[0]
        ScheduledStep(index=0, action='send', utc='2026-01-01T00:00:00+00:00', \
local='2026-01-01T00:00:00+00:00')
    """

    index: int
    action: str
    utc: datetime
    local: datetime
    gap: bool = False
    fold: bool = False

    def __repr__(self) -> str:
        text = (
            f"ScheduledStep(index={self.index}, action={self.action!r}, "
            f"utc={self.utc.isoformat()!r}, local={self.local.isoformat()!r}"
        )
        return (
            text + (", gap=True" if self.gap else "") + (", fold=True" if self.fold else "") + ")"
        )


@attrs.frozen(slots=True)
class ScheduleRow:
    """One recipient's schedule: each step's instants, or why there is none.

    Attributes:
        index: the row's position in the contexts, from 0.
        recipient: the run's recipient (``$ref:path`` for a reference), if any.
        zone: the IANA zone the local times were read in (the first local-time delay's;
            ``UTC`` for a flow without one); ``None`` when the row has no schedule.
        steps: one `ScheduledStep` per step of the flow; empty when the row has no schedule.
        flags: from ``gap``, ``fold``, ``fallback``, ``no zone``, ``invalid``, ``error``.
        error: why the row has no schedule (a [`ValidationError`][] naming the field).

    Examples:
        >>> from datetime import UTC, datetime
        >>> from automation_dsl import Automation, at
        >>> from automation_dsl.conditions import profile
        >>> flow = Automation().delay(until=at("09:00", tz=profile.timezone))
        >>> row = next(iter(flow.schedule([{"profile": {}}], start=datetime(2026, 1, 1,
        ...                                                                 tzinfo=UTC))))
        >>> row.ok, row.flags, row.error.path
        (False, ('no zone',), 'contexts[0].profile.timezone')
    """

    index: int
    recipient: str | None
    zone: str | None
    steps: tuple[ScheduledStep, ...] = ()
    flags: tuple[str, ...] = ()
    error: ValidationError | None = None

    @property
    def ok(self) -> bool:
        """Whether the row has a schedule."""
        return self.error is None

    def to_record(self) -> dict[str, Any]:
        """The row as flat JSON-ready values: ``step<i>_utc``/``step<i>_local`` as ISO 8601.

        Examples:
            >>> from datetime import UTC, datetime
            >>> from automation_dsl import Automation
            >>> start = datetime(2026, 1, 1, tzinfo=UTC)
            >>> next(iter(Automation().send("A").schedule([{}], start=start))).to_record()
            {'row': 0, 'recipient': None, 'zone': 'UTC', 'flags': '', 'error': None, \
'step0_action': 'send', 'step0_utc': '2026-01-01T00:00:00+00:00', \
'step0_local': '2026-01-01T00:00:00+00:00'}
        """
        record: dict[str, Any] = {
            "row": self.index,
            "recipient": self.recipient,
            "zone": self.zone,
            "flags": ",".join(self.flags),
            "error": None if self.error is None else " ".join(str(self.error).split()),
        }
        for step in self.steps:
            record[f"step{step.index}_action"] = step.action
            record[f"step{step.index}_utc"] = step.utc.isoformat()
            record[f"step{step.index}_local"] = step.local.isoformat()
        return record


class _Stepper:
    """One flow's schedule, one context at a time."""

    def __init__(self, automation: Automation, start: datetime) -> None:
        self.steps = automation.steps
        self.start = start
        self.actions = [step.action for step in self.steps]
        self.locals = [
            (step.until, attrs.evolve(step.until, fallback=None))
            for step in self.steps
            if isinstance(step, Delay) and isinstance(step.until, LocalTime)
        ]
        self.columns: dict[str, None] = {}
        # ZoneInfo caches a zone only while someone holds it (and its 8 most recent): holding
        # every zone met (at most the IANA database's few hundred) spares re-reading its file
        self.zones: dict[str, tzinfo] = {}

    def row(self, index: int, raw: object) -> ScheduleRow:
        where = f"contexts[{index}]"
        try:
            context = self._context(raw)
        except ValidationError as error:
            return ScheduleRow(index, None, None, flags=("invalid",), error=error.at(where))
        recipient = _recipient(context.get("recipient"))
        zone: tzinfo = _UTC
        flags: list[str] = []
        for number, (local_time, strict) in enumerate(self.locals):
            try:
                found = strict.zone_for(context)
            except ValidationError as error:
                if local_time.fallback is None:
                    return ScheduleRow(
                        index, recipient, None, flags=("no zone",), error=error.at(where)
                    )
                found = local_time.zone_for(context)
                if "fallback" not in flags:
                    flags.append("fallback")
            if number == 0:
                zone = found
            self.zones.setdefault(str(found), found)
        try:
            timed = plan(self.steps, context, self.start)
            steps = []
            for step in timed:
                if step.local is not None:
                    steps.append(
                        ScheduledStep(
                            step.index,
                            self.actions[step.index],
                            step.local.utc,
                            step.local.local,
                            step.local.gap,
                            step.local.fold,
                        )
                    )
                    flags += [flag for flag in ("gap", "fold") if getattr(step.local, flag)]
                else:
                    utc = step.at.astimezone(_UTC)
                    steps.append(
                        ScheduledStep(
                            step.index, self.actions[step.index], utc, utc.astimezone(zone)
                        )
                    )
        except ValidationError as error:
            return ScheduleRow(index, recipient, None, flags=("error",), error=error.at(where))
        except OverflowError:
            beyond = ValidationError(
                _OWNER,
                "start",
                "a start whose schedule ends before the year 9999",
                self.start,
                path=where,
            )
            return ScheduleRow(index, recipient, None, flags=("error",), error=beyond)
        return ScheduleRow(
            index, recipient, getattr(zone, "key", "UTC"), tuple(steps), tuple(dict.fromkeys(flags))
        )

    def _context(self, raw: object) -> dict[str, Any]:
        if not isinstance(raw, Mapping | RunContext):
            raise ValidationTypeError(_OWNER, "row", _ROW_EXPECTED, raw)
        try:
            return row_context(raw, self.columns)
        except ValidationError:
            raise
        except (RecursionError, ValueError, TypeError) as error:  # surrogates, nesting, cycles
            row = raw.to_wire() if isinstance(raw, RunContext) else raw
            field, expected, shown = unencodable(row if isinstance(row, Mapping) else {})
            raise ValidationError(_OWNER, field, expected, shown) from error


def _recipient(value: object) -> str | None:
    if isinstance(value, Mapping):
        return f"$ref:{value.get('$ref')}"
    return value if isinstance(value, str) else None


@attrs.frozen(slots=True)
class _Summary:
    """One full pass over the rows: the first ones, and counts of all."""

    head: tuple[ScheduleRow, ...]
    total: int
    counts: Mapping[str, int]


class Schedule:
    """The preview of a flow for many run contexts: one `ScheduleRow` per context, lazily.

    Made by [`Automation.schedule`][automation_dsl.Automation.schedule]. Iterating reads the
    contexts one at a time (a generator of 100,000 rows is never held in memory);
    `to_records` builds every row, on request. `to_text`, ``str()`` and the notebook's HTML
    table read the whole stream once to count it, keep only the first rows, and show those.

    A one-shot source (a generator, a file) can be iterated once; its views are computed in
    that pass and kept.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from automation_dsl import Automation, at
        >>> flow = Automation().delay(until=at("09:00", tz="Europe/London", days="Mo-Fr"))
        >>> preview = flow.schedule(({"recipient": f"user-{n}"} for n in range(3)),
        ...                         start=datetime(2026, 3, 28, 12, tzinfo=UTC))
        >>> [row.steps[0].local.isoformat() for row in preview]  # Saturday: to Monday
        ['2026-03-30T09:00:00+01:00', '2026-03-30T09:00:00+01:00', '2026-03-30T09:00:00+01:00']
    """

    SHOWN: ClassVar[int] = _SHOWN
    """How many rows the text and HTML views show by default."""

    __slots__ = ("_automation", "_consumed", "_contexts", "_one_shot", "_start", "_summary")

    def __init__(
        self,
        automation: Automation,
        contexts: Iterable[RunContext | Mapping[str, Any]],
        start: datetime | None = None,
    ) -> None:
        if not isinstance(automation, Automation):
            raise ValidationTypeError(_OWNER, "automation", "an Automation", automation)
        if isinstance(contexts, str | bytes | bytearray | Mapping | RunContext) or not isinstance(
            contexts, Iterable
        ):
            raise ValidationTypeError(
                _OWNER,
                "contexts",
                "an iterable of run contexts (a list of dicts, a generator, DataFrame records)",
                contexts,
                hint="for one recipient, pass a list of one: schedule([context])",
            )
        if start is None:
            start = datetime.now(_UTC)
        if not isinstance(start, datetime):
            raise ValidationTypeError(_OWNER, "start", "an aware datetime", start)
        if start.utcoffset() is None:
            raise ValidationError(_OWNER, "start", "an aware datetime", start, hint=NAIVE_HINT)
        try:
            moment = start.astimezone(_UTC)
        except OverflowError:
            raise ValidationError(
                _OWNER, "start", "an aware datetime within the years 1 to 9999 in UTC", start
            ) from None
        self._automation = automation
        self._contexts = contexts
        self._start = moment
        self._one_shot = iter(contexts) is contexts
        self._consumed = False
        self._summary: _Summary | None = None

    @property
    def automation(self) -> Automation:
        """The flow previewed."""
        return self._automation

    @property
    def start(self) -> datetime:
        """When every run is invoked (in UTC)."""
        return self._start

    def __iter__(self) -> Iterator[ScheduleRow]:
        """The rows, one per context, read as they are asked for."""
        if self._one_shot:
            if self._consumed:
                raise ValidationError(
                    _OWNER,
                    "contexts",
                    "an iterable that can be read again (a list), to iterate twice",
                    type(self._contexts).__name__,
                    hint="this one (a generator or a file) was read already: call "
                    "flow.schedule(...) with a fresh one",
                )
            self._consumed = True
        return self._rows()

    def _rows(self) -> Iterator[ScheduleRow]:
        stepper = _Stepper(self._automation, self._start)
        iterator = iter(self._contexts)
        for index in itertools.count():
            try:
                raw = next(iterator)
            except StopIteration:
                return
            except AutomationError:
                raise
            except Exception as error:
                raise ValidationError(
                    _OWNER,
                    "contexts",
                    "an iterable that yields every row",
                    error,
                    hint=f"it raised instead of yielding row {index}",
                    path=f"contexts[{index}]",
                ) from error
            yield stepper.row(index, raw)

    def to_records(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The rows as flat dicts (`ScheduleRow.to_record`), for ``pandas.DataFrame``: all
        of them, or the first ``limit``.

        Examples:
            >>> from datetime import UTC, datetime
            >>> from automation_dsl import Automation
            >>> preview = Automation().delay(hours=1).schedule(
            ...     [{"recipient": "ana"}], start=datetime(2026, 1, 1, tzinfo=UTC))
            >>> preview.to_records()[0]["step0_utc"]
            '2026-01-01T01:00:00+00:00'
        """
        rows = iter(self)
        if limit is not None:
            rows = itertools.islice(rows, _count(limit, "limit"))
        return [row.to_record() for row in rows]

    def summary(self, shown: int = _SHOWN) -> tuple[tuple[ScheduleRow, ...], int, dict[str, int]]:
        """The first ``shown`` rows, how many rows there are, and how many carry each flag
        (one pass over the contexts, then kept).

        Examples:
            >>> from datetime import UTC, datetime
            >>> from automation_dsl import Automation
            >>> head, total, counts = Automation().send("A").schedule(
            ...     [{}, 5], start=datetime(2026, 1, 1, tzinfo=UTC)).summary(1)
            >>> len(head), total, counts
            (1, 2, {'invalid': 1})
        """
        shown = _count(shown, "shown")
        known = self._summary
        if known is None or (len(known.head) < min(shown, known.total) and not self._one_shot):
            head: list[ScheduleRow] = []
            total = 0
            counts: Counter[str] = Counter()
            for row in self:
                if total < shown:
                    head.append(row)
                total += 1
                counts.update(row.flags)
            known = self._summary = _Summary(tuple(head), total, dict(counts))
        return (
            known.head[:shown],
            known.total,
            {f: known.counts[f] for f in FLAGS if f in known.counts},
        )

    def to_text(self, limit: int = _SHOWN) -> str:
        """A plain-text table of the first ``limit`` rows (a line per step), and the counts.

        Examples:
            >>> from datetime import UTC, datetime
            >>> from automation_dsl import Automation
            >>> print(Automation().send("A").schedule([{"recipient": "ana"}],
            ...       start=datetime(2026, 1, 1, tzinfo=UTC)).to_text())
            row  recipient  zone  step    utc                local                    flags
            0    ana        UTC   0 send  2026-01-01 00:00Z  Th 2026-01-01 00:00 UTC
            1 recipient: 1 scheduled
        """
        from ._render import text_table

        head, total, counts = self.summary(limit)
        table = text_table(_HEADER, (line for row in head for line in _lines(row, escape=None)))
        return table + "\n" + _counts(head, total, counts)

    def __str__(self) -> str:
        return self.to_text()

    def to_html(self, limit: int = _SHOWN) -> str:
        """A self-contained HTML table of the first ``limit`` rows and the counts."""
        from ._render import html_table

        head, total, counts = self.summary(limit)
        rows = [line for row in head for line in _lines(row, escape=escape)]
        return html_table(
            f"Schedule from {_utc(self._start)}: " + _counts(head, total, counts), _HEADER, rows
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        known = self._summary
        rows = "not read yet" if known is None else f"{known.total:,} rows"
        return f"<Schedule of {len(self._automation)} steps from {self._start.isoformat()}: {rows}>"


_HEADER = ("row", "recipient", "zone", "step", "utc", "local", "flags")


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%MZ")


def _local(moment: datetime) -> str:
    return f"{WEEKDAYS[moment.weekday()]} {moment.strftime('%Y-%m-%d %H:%M %Z')}"


def _lines(row: ScheduleRow, escape: Any) -> list[list[str]]:
    """A row as table lines: the first names the row, one line per step."""

    def cell(text: str) -> str:
        return text if escape is None else escape(text)

    first = [str(row.index), row.recipient or "-", row.zone or "-"]
    blank = ["", "", ""]
    row_flags = [flag for flag in row.flags if flag not in ("gap", "fold")]
    if not row.steps:
        flags = ", ".join(row_flags)
        if row.error is not None and escape is not None:
            flags += ": " + " ".join(str(row.error).split())
        elif row.error is not None and row.error.path:
            flags += f" ({row.error.path})"
        return [[cell(text) for text in [*first, "-", "-", "-", flags]]]
    lines = []
    for number, step in enumerate(row.steps):
        marks = [flag for flag in ("gap", "fold") if getattr(step, flag)]
        if number == 0:
            marks = row_flags + marks
        lines.append(
            [
                cell(text)
                for text in [
                    *(first if number == 0 else blank),
                    f"{step.index} {step.action}",
                    _utc(step.utc),
                    _local(step.local),
                    ", ".join(marks),
                ]
            ]
        )
    return lines


def _counts(head: tuple[ScheduleRow, ...], total: int, counts: Mapping[str, int]) -> str:
    failed = sum(counts.get(flag, 0) for flag in ("no zone", "invalid", "error"))
    text = f"{total:,} recipient" + ("s" if total != 1 else "") + f": {total - failed:,} scheduled"
    for flag in FLAGS:
        if counts.get(flag):
            text += f", {counts[flag]:,} {_LABELS[flag]}"
    if len(head) < total:
        text += f"; the first {len(head):,} shown"
    return text


def _count(value: object, field: str) -> int:
    """A number of rows: a whole number, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationTypeError("Schedule", field, "a whole number of rows, 0 or more", value)
    if value < 0:
        raise ValidationError("Schedule", field, "a whole number of rows, 0 or more", value)
    return value
