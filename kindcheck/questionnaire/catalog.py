"""The outcome catalog and the Meldcode guide (format 2): plain, frozen data.

A catalog (``kind = "catalog"``, e.g. ``uitkomst-v2.toml``) holds what the answers of the
format-2 questionnaires can lead to: signals of unsafety, concerns with their next steps,
hand-offs to offer and the events that make the Kindcheck due again. Questionnaires name it with
``catalog = "uitkomst-v2"``, so a signal or a concern means the same in an intake and in a
follow-up.

The guide (``kind = "guide"``, ``meldcode-v2.toml``) holds the Meldcode texts shown with a
signal: the acute lines, the five steps, the afwegingen of step 5, the decisions, and the
afwegingskader per professional group. :mod:`.catalog_loader` builds both.
"""

from __future__ import annotations

from dataclasses import dataclass

from kindcheck.conditions import Node

from .localized import Localized


@dataclass(frozen=True)
class Signal:
    """A signal of unsafety. Format 1 declares them in the questionnaire; format 2 in the
    catalog, where ``requires`` may turn a matching answer into ``otherwise_concern``."""

    id: str
    name: Localized
    line: int
    source: str = ""
    requires: Node | None = None
    otherwise_concern: str | None = None


@dataclass(frozen=True)
class ConcernStep:
    """A next step shared by concerns (e.g. "talk it over with a colleague")."""

    id: str
    text: Localized


@dataclass(frozen=True)
class Concern:
    """A worry that is not a signal of unsafety; it always comes with next steps."""

    id: str
    name: Localized
    source: str
    line: int
    requires: Node | None = None
    acute: bool = False  # the 112 line comes first, as with a signal
    steps: tuple[ConcernStep, ...] = ()
    next: tuple[Localized, ...] = ()

    def step_texts(self) -> tuple[Localized, ...]:
        """The shared steps, then the concern's own next steps."""
        return tuple(step.text for step in self.steps) + self.next


@dataclass(frozen=True)
class Handoff:
    """Help the clinician can offer with a warm hand-off."""

    id: str
    name: Localized
    what: Localized
    offer_if: Node
    line: int
    not_if: Node | None = None


@dataclass(frozen=True)
class Event:
    """Something that makes the Kindcheck due again ``due_days`` after it happened."""

    id: str
    name: Localized
    due_days: int
    line: int


@dataclass(frozen=True)
class Catalog:
    id: str
    version: int
    title: Localized
    signals: tuple[Signal, ...]
    concerns: tuple[Concern, ...]
    handoffs: tuple[Handoff, ...]
    events: tuple[Event, ...]
    concern_steps: tuple[ConcernStep, ...] = ()
    path: str = ""

    @property
    def key(self) -> str:
        return f"{self.id}-v{self.version}"

    def signal(self, signal_id: str) -> Signal:
        return next(s for s in self.signals if s.id == signal_id)

    def concern(self, concern_id: str) -> Concern:
        return next(c for c in self.concerns if c.id == concern_id)

    def handoff(self, handoff_id: str) -> Handoff:
        return next(h for h in self.handoffs if h.id == handoff_id)

    def event(self, event_id: str) -> Event:
        return next(e for e in self.events if e.id == event_id)

    def has_signal(self, signal_id: str) -> bool:
        return any(s.id == signal_id for s in self.signals)

    def has_concern(self, concern_id: str) -> bool:
        return any(c.id == concern_id for c in self.concerns)

    def has_handoff(self, handoff_id: str) -> bool:
        return any(h.id == handoff_id for h in self.handoffs)

    def has_event(self, event_id: str) -> bool:
        return any(e.id == event_id for e in self.events)

    def requires_names(self) -> dict[str, set[str]]:
        """Item id -> the names its ``requires`` uses (signals and concerns)."""
        found: dict[str, set[str]] = {}
        for item_id, requires in [(s.id, s.requires) for s in self.signals] + [
            (c.id, c.requires) for c in self.concerns
        ]:
            if requires is not None:
                found[item_id] = requires.names()
        return found


# ---------------------------------------------------------------------------------------------
# The Meldcode guide


@dataclass(frozen=True)
class MeldcodeStep:
    id: str
    title: Localized
    detail: Localized


@dataclass(frozen=True)
class MeldcodeGuide:
    """The version-1 guide (meldcode.toml), shown with the signals of a v1 session."""

    title: Localized
    phone: str
    advice_anytime: Localized
    not_a_decision: Localized
    steps: tuple[MeldcodeStep, ...]
    version: int = 1


@dataclass(frozen=True)
class Afweging:
    """One of the five afwegingen of step 5, with what follows each answer."""

    id: str
    question: Localized
    yes: Localized
    no: Localized
    yes_decision: str | None = None
    no_decision: str | None = None


@dataclass(frozen=True)
class Decision:
    id: str
    name: Localized
    needs_reason: bool = False
    needs_date: bool = False
    closes_process: bool = False


@dataclass(frozen=True)
class ProfessionalGroup:
    id: str
    name: Localized
    afwegingskader: Localized


@dataclass(frozen=True)
class RecordItem:
    id: str
    text: Localized


@dataclass(frozen=True)
class MeldcodeGuideV2:
    """The version-2 guide (meldcode-v2.toml): shown, after the acute lines, with any signal
    of a v2 session."""

    title: Localized
    not_a_decision: Localized
    acute_line: Localized  # "Bij acuut gevaar: bel 112."
    veilig_thuis_line: Localized  # Veilig Thuis 0800-2000, also for anonymous advice
    phone: str  # Veilig Thuis
    emergency: str  # 112
    steps: tuple[MeldcodeStep, ...]
    afwegingen: tuple[Afweging, ...]
    decisions: tuple[Decision, ...]
    after_report: tuple[Localized, ...]
    record: tuple[RecordItem, ...]
    closing_title: Localized
    closing_needs: tuple[str, ...]
    closing_hint: Localized
    groups: tuple[ProfessionalGroup, ...]
    version: int = 2

    def group(self, group_id: str | None) -> ProfessionalGroup | None:
        return next((g for g in self.groups if g.id == group_id), None)

    def decision(self, decision_id: str) -> Decision:
        return next(d for d in self.decisions if d.id == decision_id)
