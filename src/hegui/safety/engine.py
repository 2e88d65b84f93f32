"""The risk engine: run the detection layers over one text and let the policy decide.

Written once, called by every door (``hegui check``, the gateway, the console, corpus scans,
the assessment). The engine only orchestrates: detectors find, the policy decides, templates
word the refusal. Any detector error makes the verdict ``failed`` with action ``block``: a text
is never treated as safe because a check did not run (fail closed).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hegui.errors import EngineError, InputError
from hegui.safety.policy import Decision, Policy, load_policy
from hegui.safety.redact import redact
from hegui.safety.templates import detect_lang
from hegui.safety.types import Action, Detector, Direction, Doc, Finding, RiskHit, Verdict

if TYPE_CHECKING:
    from hegui.config import EngineSettings
    from hegui.safety.guard import GuardModel

__all__ = ["CheckContext", "Engine"]

log = logging.getLogger("hegui.safety")


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Facts about the request that can change the decision (never stored by the engine)."""

    minor: bool = False
    lang: str | None = None
    prompt: str | None = None  # for output checks: the prompt that produced the answer


_DEFAULT_CONTEXT = CheckContext()


@dataclass(frozen=True, slots=True)
class _DefaultSettings:
    """``EngineSettings()``'s values without importing pydantic, which would cost ~0.3 s of the
    1 s cold-start budget of ``hegui check``; a test keeps the two equal."""

    policy: str | None = None
    lexicons: tuple[str, ...] = ()
    builtin_lexicon: bool = True
    classifier: bool = True
    guard_url: str | None = None
    guard_model: str = "Qwen3Guard-Gen-0.6B"
    guard_protocol: str = "chat"
    guard_timeout: float = 2.0
    max_text_chars: int = 1_000_000


DEFAULT_SETTINGS = _DefaultSettings()


class Engine:
    """Detectors + policy (+ optional guard model). Thread-safe; build once, reuse."""

    def __init__(
        self,
        detectors: Sequence[Detector],
        policy: Policy | None = None,
        *,
        guard: GuardModel | None = None,
        max_text_chars: int = 1_000_000,
        cache_size: int = 4096,
    ) -> None:
        self.detectors = list(detectors)
        self.policy = policy or Policy.builtin()
        self.guard = guard
        self.max_text_chars = max_text_chars
        self._cache = _VerdictCache(cache_size)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_settings(cls, settings: EngineSettings | None = None) -> Engine:
        """Build the layers named by the settings; missing resources raise at start-up."""
        settings = settings or DEFAULT_SETTINGS  # type: ignore[assignment]
        assert settings is not None
        detectors: list[Detector] = []
        from hegui.safety.lexicon.detector import LexiconDetector

        if settings.lexicons or not settings.builtin_lexicon:
            detectors.append(
                LexiconDetector.from_paths(list(settings.lexicons), builtin=settings.builtin_lexicon)
            )
        else:
            detectors.append(LexiconDetector.default())
        from hegui.safety.pii import PiiDetector

        detectors.append(PiiDetector())
        if settings.classifier:
            from hegui.safety.classifier import ClassifierDetector

            detectors.append(ClassifierDetector.default())
        guard = None
        if settings.guard_url:
            from hegui.safety.guard import GuardModel

            guard = GuardModel(settings.guard_url, settings.guard_model, settings.guard_timeout,
                               protocol=settings.guard_protocol)  # fmt: skip
        return cls(
            detectors,
            load_policy(settings.policy),
            guard=guard,
            max_text_chars=settings.max_text_chars,
        )

    @classmethod
    def default(cls) -> Engine:
        """The engine with built-in lexicon, PII, classifier and policy (one per process)."""
        global _default
        with _default_lock:
            if _default is None:
                _default = cls.from_settings()
            return _default

    def warm_up(self) -> None:
        """Load what the layers build on first use (normalisation and pinyin tables), so that a
        server's first request does not pay for it and a frozen GC keeps it out of its passes."""
        for direction in (Direction.INPUT, Direction.OUTPUT):
            self._detect(Doc("预热 warm-up 13800138000 a@example.com 姓名：张三"), direction)

    @property
    def max_term_length(self) -> int:
        """Longest lexicon term in characters: the least context a stream must hold back."""
        lengths = [int(getattr(d, "max_term_length", 0)) for d in self.detectors]
        return max(lengths, default=0)

    # ------------------------------------------------------------------ checking
    def check(
        self,
        text: str,
        direction: Direction | str = Direction.INPUT,
        context: CheckContext | None = None,
    ) -> Verdict:
        """Check one text with the in-process layers (the guard model runs only in :meth:`acheck`)."""
        direction = Direction(direction)
        context = context or _DEFAULT_CONTEXT
        self._validate(text)
        if not text:
            return Verdict(safe=True, action=Action.ALLOW, score=0.0)
        key = (text, direction, context.minor, context.lang)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            findings = self._detect(Doc(text), direction)
        except EngineError as exc:
            return self._failed(text, context, str(exc))
        verdict = self._decide(text, findings, direction, context)
        self._cache.put(key, verdict)
        return verdict

    async def acheck(
        self,
        text: str,
        direction: Direction | str = Direction.INPUT,
        context: CheckContext | None = None,
    ) -> Verdict:
        """Like :meth:`check`, then ask the external guard model if one is configured."""
        if self.guard is None:
            return self.check(text, direction, context)
        direction = Direction(direction)
        context = context or _DEFAULT_CONTEXT
        self._validate(text)
        if not text:
            return Verdict(safe=True, action=Action.ALLOW, score=0.0)
        try:
            findings = self._detect(Doc(text), direction)
            findings += await self.guard.classify(text, direction, context.prompt)
        except EngineError as exc:
            return self._failed(text, context, str(exc))
        return self._decide(text, findings, direction, context)

    def check_many(
        self, texts: Iterable[str], direction: Direction | str = Direction.INPUT
    ) -> Iterator[Verdict]:
        """Check texts one after another in this thread (see ``hegui.safety.batch`` for cores)."""
        for text in texts:
            yield self.check(text, direction)

    # ------------------------------------------------------------------ internals
    def _validate(self, text: str) -> None:
        if not isinstance(text, str):
            raise InputError(f"text must be a string, got {type(text).__name__}")
        if len(text) > self.max_text_chars:
            raise InputError(
                f"text is {len(text):,} characters; the limit is {self.max_text_chars:,}"
            )

    def _detect(self, doc: Doc, direction: Direction) -> list[Finding]:
        findings: list[Finding] = []
        for detector in self.detectors:
            try:
                findings.extend(detector.detect(doc, direction))
            except Exception as exc:  # any detector failure fails the text closed
                log.error("detector %s failed: %s", detector.name, type(exc).__name__)
                raise EngineError(
                    f"detector {detector.name} failed: {type(exc).__name__}: {exc}"
                ) from exc
        return findings

    def _decide(
        self, text: str, findings: list[Finding], direction: Direction, context: CheckContext
    ) -> Verdict:
        decision = self.policy.decide(findings, direction, minor=context.minor)
        risks = _group(decision.kept)
        score = max((r.score for r in risks), default=0.0)
        safe = decision.action in (Action.ALLOW, Action.FLAG, Action.REVIEW)  # served as is
        verdict = Verdict(safe=safe, action=decision.action, score=score, risks=risks)
        if decision.action is Action.REDACT:
            verdict.redacted = redact(text, decision.redact)
        elif decision.action in (Action.REFUSE, Action.BLOCK):
            verdict.message = self._message(decision, text, context)
        return verdict

    def _message(self, decision: Decision, text: str, context: CheckContext) -> str:
        lang = context.lang or detect_lang(context.prompt or text)
        rule = decision.rule
        code = rule.risk if rule is not None and rule.risk != "*" else None
        if code is None and decision.kept:
            code = max(decision.kept, key=lambda f: f.score).code
        style = rule.response if rule is not None else "refusal"
        return self.policy.templates.text(code, style, lang)

    def _failed(self, text: str, context: CheckContext, error: str) -> Verdict:
        lang = context.lang or detect_lang(text)
        return Verdict(
            safe=False,
            action=Action.BLOCK,
            score=1.0,
            message=self.policy.templates.text(None, "refusal", lang),
            failed=True,
            error=error,
        )


class _VerdictCache:
    """Small thread-safe LRU of verdicts: system prompts, conversation history and common
    answers repeat, and the in-process layers are deterministic. Failed verdicts are never
    cached; callers get a copy so they cannot change what others will receive."""

    _MAX_TEXT = 8192

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[tuple[object, ...], Verdict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> Verdict | None:
        if self.size <= 0 or len(key[0]) > self._MAX_TEXT:  # type: ignore[arg-type]
            return None
        with self._lock:
            verdict = self._data.get(key)
            if verdict is None:
                return None
            self._data.move_to_end(key)
        return _copy(verdict)

    def put(self, key: tuple[object, ...], verdict: Verdict) -> None:
        if self.size <= 0 or verdict.failed or len(key[0]) > self._MAX_TEXT:  # type: ignore[arg-type]
            return
        stored = _copy(verdict)
        with self._lock:
            self._data[key] = stored
            if len(self._data) > self.size:
                self._data.popitem(last=False)


def _copy(v: Verdict) -> Verdict:
    """A copy sharing only immutable parts (Evidence is frozen); built field by field, which
    is several times cheaper than ``dataclasses.replace`` on this per-check path."""
    risks = [RiskHit(r.code, r.score, list(r.evidence)) for r in v.risks] if v.risks else []
    return Verdict(v.safe, v.action, v.score, risks, v.redacted, v.message, v.failed, v.error)


def _group(findings: list[Finding]) -> list[RiskHit]:
    """One RiskHit per code, strongest first; evidence deduplicated by (layer, span)."""
    hits: dict[str, RiskHit] = {}
    seen: set[tuple[str, str, int, int]] = set()
    for f in findings:
        hit = hits.get(f.code)
        if hit is None:
            hit = hits[f.code] = RiskHit(f.code, f.score)
        elif f.score > hit.score:
            hit.score = f.score
        key = (f.code, f.evidence.layer, f.evidence.start, f.evidence.end)
        if key not in seen:
            seen.add(key)
            hit.evidence.append(f.evidence)
    for hit in hits.values():
        hit.evidence.sort(key=lambda e: (e.start, e.end))
    return sorted(hits.values(), key=lambda h: (-h.score, h.code))


_default: Engine | None = None
_default_lock = threading.Lock()
