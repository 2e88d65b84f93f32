"""The policy: which action a finding leads to, per risk, direction, layer and audience.

Detection says *what* is in a text; the policy says *what to do about it*, and is kept apart so
operators can change decisions without touching detectors (Presidio keeps its anonymizer apart
from its analyzer for the same reason). A policy file is TOML or YAML with ``[defaults]``,
``[[rules]]`` and an optional ``[templates]`` override; see ``data/policy.toml`` for the built-in
one and ``docs/policy.md`` for the format. Errors name the file and the line of the bad rule.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from hegui import taxonomy
from hegui.errors import ConfigError
from hegui.safety.templates import Templates
from hegui.safety.types import ACTION_ORDER, Action, Direction, Finding, Layer

__all__ = ["PRESETS", "Decision", "Policy", "Rule", "load_policy", "preset_path"]

_BUILTIN = Path(__file__).parent / "data" / "policy.toml"
PRESETS = ("strict", "balanced", "lenient")
"""Sensitivity presets: ``balanced`` is the built-in policy; see ``docs/policy.md`` for each
preset's thresholds and its rates on the failure-mode dev sets."""
_DIRECTIONS = {"input", "output", "both"}
_RESPONSES = {"refusal", "safe_answer"}
_AUDIENCES = {"all", "minor"}


@dataclass(frozen=True, slots=True)
class Rule:
    """One policy rule; ``risk`` is a code ("A.4.f"), a category ("A.1") or "*"."""

    risk: str
    action: Action
    direction: str = "both"
    threshold: float = 0.5
    layer: Layer | None = None
    response: str = "refusal"
    audience: str = "all"
    review: float | None = None
    """Scores in ``[review, threshold)`` get ``review`` (served, queued for a person) instead
    of the rule's action: the uncertain band of a calibrated score."""

    def matches(self, finding: Finding, direction: Direction, minor: bool) -> bool:
        if finding.score < (self.threshold if self.review is None else self.review):
            return False
        return self.applies(finding.code, direction, minor, finding.evidence.layer)

    def applies(self, code: str, direction: str, minor: bool, layer: Layer) -> bool:
        """:meth:`matches` without the score: what :class:`Policy` indexes its rules by."""
        if self.direction != "both" and self.direction != direction:
            return False
        if self.audience == "minor" and not minor:
            return False
        if self.layer is not None and layer != self.layer:
            return False
        return self.risk == "*" or code == self.risk or code.startswith(self.risk + ".")

    @property
    def specificity(self) -> int:
        """Exact code > category > "*"; naming a layer or an audience makes a rule more specific."""
        risk = 0 if self.risk == "*" else (1 if len(self.risk) <= 3 else 2)
        return risk * 4 + (self.layer is not None) * 2 + (self.audience != "all")


@dataclass(slots=True)
class Decision:
    """The policy's answer for a set of findings."""

    action: Action
    kept: list[Finding] = field(default_factory=list)
    rule: Rule | None = None
    redact: list[Finding] = field(default_factory=list)


@dataclass(slots=True)
class Policy:
    """Rules plus defaults plus the refusal/safe-answer templates."""

    rules: list[Rule]
    threshold: float = 0.3
    default_action: Action = Action.FLAG
    templates: Templates = field(default_factory=Templates.builtin)
    version: str = "custom"
    source: str = "<memory>"
    # rules that apply to a (code, direction, minor, layer), built on first use: a check
    # with findings then tests a few rules instead of all of them. Rebuilt when ``rules`` is
    # replaced; the list is read as it was then (build a new Policy to change rules in place).
    _index: dict[tuple[str, str, bool, Layer], tuple[Rule, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _indexed: list[Rule] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def builtin(cls) -> Policy:
        return _builtin_policy()

    def decide(
        self, findings: Iterable[Finding], direction: Direction, *, minor: bool = False
    ) -> Decision:
        """Strictest action over all findings at or above the policy threshold."""
        decision = Decision(Action.ALLOW)
        for finding in findings:
            if finding.score < self.threshold:
                continue
            decision.kept.append(finding)
            action, rule = self._action_for(finding, direction, minor)
            if action is Action.REDACT:
                decision.redact.append(finding)
            if ACTION_ORDER[action] > ACTION_ORDER[decision.action]:
                decision.action, decision.rule = action, rule
        return decision

    def _action_for(
        self, finding: Finding, direction: Direction, minor: bool
    ) -> tuple[Action, Rule | None]:
        """The most specific matching rule decides; ties go to the strictest action."""
        score = finding.score
        matching = [r for r in self._rules_for(finding.code, direction, minor, finding.evidence.layer)
                    if not score < (r.threshold if r.review is None else r.review)]  # fmt: skip
        if not matching:
            return self.default_action, None
        rule = max(matching, key=lambda r: (r.specificity, ACTION_ORDER[r.action]))
        if rule.review is not None and finding.score < rule.threshold:
            return Action.REVIEW, rule
        return rule.action, rule

    def _rules_for(self, code: str, direction: str, minor: bool, layer: Layer) -> tuple[Rule, ...]:
        """The rules (in file order) that :meth:`Rule.applies` to these, from the index."""
        if self._indexed is not self.rules:
            self._index, self._indexed = {}, self.rules
        key = (code, direction, minor, layer)
        found = self._index.get(key)
        if found is None:
            found = tuple(r for r in self.rules if r.applies(code, direction, minor, layer))
            if len(self._index) < _INDEX_MAX:  # codes come from the taxonomy: a few hundred keys
                self._index[key] = found
        return found


_INDEX_MAX = 4096


def load_policy(path: str | Path | None) -> Policy:
    """Load a policy file (TOML or YAML); ``None`` gives the built-in policy."""
    if path is None:
        return Policy.builtin()
    if str(path) in PRESETS and not Path(path).exists():
        return _load(preset_path(str(path)))
    return _load(Path(path))


def preset_path(name: str) -> Path:
    """The file of a sensitivity preset (``balanced`` is the built-in policy)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r} (use one of {', '.join(PRESETS)})")
    return _BUILTIN if name == "balanced" else _BUILTIN.parent / "presets" / f"{name}.toml"


@cache
def _builtin_policy() -> Policy:
    return _load(_BUILTIN)


def _load(path: Path) -> Policy:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("policy file not found", path=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("policy file is not valid UTF-8", path=str(path)) from None
    data = _parse(raw, path)
    lines = _rule_lines(raw, path)
    defaults = data.get("defaults", {}) or {}
    where = _Where(str(path), raw)
    rules = [
        _rule(item, where, lines[i] if i < len(lines) else None)
        for i, item in enumerate(data.get("rules", []) or [])
    ]
    base: Policy | None = None
    if "preset" in data:  # the preset's rules first; this file's rules and defaults on top
        name = str(data["preset"])
        _check(name in PRESETS, f"preset must be one of {', '.join(PRESETS)}, got {name!r}",
               where, where.line_of("preset"))  # fmt: skip
        base = _load(preset_path(name))
        rules = [*base.rules, *rules]
    templates = base.templates if base is not None else Templates.builtin()
    if data.get("templates"):
        templates = templates.merged(data["templates"], source=str(path))
    threshold = defaults.get("threshold", base.threshold if base is not None else 0.3)
    action = defaults.get("action", base.default_action if base is not None else "flag")
    return Policy(
        rules=rules,
        threshold=_number(threshold, "defaults.threshold", where, None),
        default_action=_action(action, where, where.line_of("action")),
        templates=templates,
        version=str(data.get("version", "custom")),
        source=str(path),
    )


def _parse(raw: str, path: Path) -> dict[str, Any]:
    if path.suffix.lower() in {".yaml", ".yml"}:
        import yaml

        try:
            data = yaml.safe_load(raw) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise ConfigError(
                f"invalid YAML: {getattr(exc, 'problem', exc)}", path=str(path), line=line
            ) from None
    else:
        try:
            data = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            line = int(match.group(1)) if match else None
            raise ConfigError(f"invalid TOML: {exc}", path=str(path), line=line) from None
    if not isinstance(data, dict):
        raise ConfigError("policy must be a mapping with 'rules'", path=str(path))
    return data


def _rule_lines(raw: str, path: Path) -> list[int]:
    """Line numbers where each rule starts, so errors can point at them."""
    yaml_file = path.suffix.lower() in {".yaml", ".yml"}
    pattern = re.compile(r"^\s*-\s" if yaml_file else r"^\s*\[\[rules\]\]")
    in_rules = not yaml_file
    out = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if yaml_file and re.match(r"^rules\s*:", line):
            in_rules = True
            continue
        if yaml_file and in_rules and re.match(r"^\S", line):
            in_rules = False
        if in_rules and pattern.match(line):
            out.append(number)
    return out


@dataclass(frozen=True, slots=True)
class _Where:
    path: str
    raw: str

    def line_of(self, key: str) -> int | None:
        for number, line in enumerate(self.raw.splitlines(), start=1):
            if re.match(rf"^\s*{re.escape(key)}\s*[=:]", line):
                return number
        return None


def _rule(item: Any, where: _Where, line: int | None) -> Rule:
    if not isinstance(item, dict):
        raise ConfigError("a rule must be a table/mapping", path=where.path, line=line)
    unknown = set(item) - {
        "risk",
        "action",
        "direction",
        "threshold",
        "review",
        "layer",
        "response",
        "audience",
    }
    if unknown:
        raise ConfigError(
            f"unknown rule key(s): {', '.join(sorted(unknown))}", path=where.path, line=line
        )
    risk = str(item.get("risk", ""))
    if risk != "*" and not (taxonomy.is_known(risk) or risk in taxonomy.CATEGORIES):
        raise ConfigError(
            f"unknown risk code {risk!r} (use a code like A.1.a, a category like A.1, or *)",
            path=where.path,
            line=line,
        )
    direction = str(item.get("direction", "both"))
    _check(direction in _DIRECTIONS, f"direction must be one of {sorted(_DIRECTIONS)}", where, line)
    response = str(item.get("response", "refusal"))
    _check(response in _RESPONSES, f"response must be one of {sorted(_RESPONSES)}", where, line)
    audience = str(item.get("audience", "all"))
    _check(audience in _AUDIENCES, f"audience must be one of {sorted(_AUDIENCES)}", where, line)
    layer = item.get("layer")
    if layer is not None:
        _check(
            layer in {str(x) for x in Layer},
            f"layer must be one of {[str(x) for x in Layer]}",
            where,
            line,
        )
    threshold = _number(item.get("threshold", 0.5), "threshold", where, line)
    review = item.get("review")
    if review is not None:
        review = _number(review, "review", where, line)
        _check(
            review < threshold,
            f"review ({review}) must be below threshold ({threshold})",
            where,
            line,
        )
    return Rule(
        risk=risk,
        action=_action(item.get("action"), where, line),
        direction=direction,
        threshold=threshold,
        review=review,
        layer=Layer(layer) if layer is not None else None,
        response=response,
        audience=audience,
    )


def _action(value: Any, where: _Where, line: int | None) -> Action:
    try:
        return Action(str(value))
    except ValueError:
        raise ConfigError(
            f"unknown action {value!r} (allow, flag, review, redact, refuse, block)",
            path=where.path,
            line=line,
        ) from None


def _number(value: Any, name: str, where: _Where, line: int | None) -> float:
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and 0.0 <= float(value) <= 1.0
    )
    _check(ok, f"{name} must be a number between 0 and 1, got {value!r}", where, line)
    return float(value)


def _check(ok: bool, message: str, where: _Where, line: int | None) -> None:
    if not ok:
        raise ConfigError(message, path=where.path, line=line)
