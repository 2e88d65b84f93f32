"""``hegui assess pack``: the filing pack — the pieces the filing system asks for, in one folder.

What filing practice asks for (``/work/shared/reference/standards.md`` §1.9, §3.2): the
security assessment report, the test sets (generated content, should-refuse, should-not-refuse,
with the model's answers and results), the keyword list, the annotation rules, the service
agreement, the launch filing form, and for algorithm filing the self-assessment report and the
text to be made public. The pack holds what hegui can produce and lists what it cannot in
``manifest.json`` (``missing``: what, and why), so nothing is silently absent.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from hegui import taxonomy
from hegui.assess.bank import load_banks
from hegui.assess.checklist import CLAUSES
from hegui.assess.provider import load_provider
from hegui.assess.report import write_report
from hegui.assess.runner import RESULTS, RUN_FILE, SELECTION, load_results
from hegui.assess.sources import load_source
from hegui.assess.standard import BANK_RULES

__all__ = ["risk_label", "write_pack"]

REPORT_ZH = "01_安全评估报告.pdf"
REPORT_EN = "01_security_assessment_report_en.html"
TESTS_DIR = "02_评估测试题集"
KEYWORDS = "03_拦截关键词列表.xlsx"
MECHANISM = "04_算法机制说明与拟公示内容.md"
DATA_DIR = "05_评估数据"
TEST_FILES = {"generate": "生成内容测试题.xlsx", "refuse": "应拒答测试题.xlsx",
              "not-refuse": "非拒答测试题.xlsx"}  # fmt: skip


def risk_label(code: str | None) -> str:
    """``A.1.a`` → ``A.1 a) 煽动颠覆国家政权、推翻社会主义制度`` (the filing sheets' form)."""
    if not code or code not in taxonomy.RISKS:
        return code or ""
    return f"{code[:3]} {code[4:]}) {taxonomy.RISKS[code].zh}"


def _yes(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def _sheet(wb: Any, title: str, header: list[str], rows: list[list[Any]]) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for col, width in zip("ABCDEFG", (14, 60, 30, 24, 60, 10, 40), strict=False):
        ws.column_dimensions[col].width = width


def _test_rows(
    bank: str, judged: list[dict[str, Any]], results: dict[str, Any]
) -> tuple[list[str], list[list[Any]]]:
    rows: list[list[Any]] = []
    for j in judged:
        r = results.get(j["id"], {})
        answer = (
            r.get("answer")
            if r.get("status") == "ok"
            else f"（未获得回答：{r.get('error_kind') or '未提问'}）"
        )
        category = taxonomy.CATEGORIES.get((j.get("risk") or "")[:3], ("", ""))[0]
        if bank == "refuse":
            rows.append(["应拒答", r.get("question", ""), risk_label(j.get("risk")), category, answer,
                         _yes(j.get("passed"))])  # fmt: skip
        elif bank == "not-refuse":
            from hegui.assess.standard import aspect_name

            rows.append([r.get("question", ""), aspect_name(j.get("aspect") or "other"), answer,
                         _yes(j.get("refused")), _yes(j.get("passed"))])  # fmt: skip
        else:
            rows.append([r.get("question", ""), risk_label(j.get("risk")), answer, _yes(j.get("passed")),
                         f"stance={j.get('stance')}; harmful={j.get('harmful')}"])  # fmt: skip
    headers = {
        "refuse": [
            "测试类型",
            "题目-拒答题",
            "语料及生成内容的主要安全风险项",
            "类别",
            "回答",
            "是否合格",
        ],
        "not-refuse": ["问题", "类别（标签）", "答案", "是否拒答", "是否合格"],
        "generate": ["题目", "风险类别", "回答", "是否合格", "判定依据"],
    }
    return headers[bank], rows


def _write_tests(run_dir: Path, folder: Path) -> list[Path]:
    from openpyxl import Workbook

    judgements = [
        json.loads(line)
        for line in (run_dir / "judgements.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]
    results = load_results(run_dir)
    run = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
    files = [Path(f) for f in run.get("bank_files", [])]
    banks = load_banks(files) if files and all(f.is_file() for f in files) else None
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for bank, name in TEST_FILES.items():
        wb = Workbook()
        wb.remove(wb.active)
        header, rows = _test_rows(bank, [j for j in judgements if j["bank"] == bank], results)
        _sheet(wb, "抽样测试结果", header, rows)
        if banks is not None:
            items = banks.by_bank(bank)
            _sheet(wb, "题库", ["编号", "题目", "风险类别/方面", "语种", "来源", "许可"],
                   [[i.id, i.text, risk_label(i.risk) if i.risk else i.aspect, i.lang, i.source, i.licence]
                    for i in items])  # fmt: skip
        path = folder / name
        wb.save(path)
        written.append(path)
    return written


def _write_keywords(path: Path, config: Path | None) -> int:
    from openpyxl import Workbook

    from hegui.assess.context import lexicon_sources
    from hegui.safety.lexicon.format import builtin_dir, lexicon_files, read_file

    paths, builtin = lexicon_sources(config)
    seen: set[tuple[str, str]] = set()
    rows = []
    for f in lexicon_files([*([builtin_dir()] if builtin else []), *paths]):
        for e in read_file(f):
            if not e.allow and (e.term, e.code) not in seen:
                seen.add((e.term, e.code))
                rows.append([e.term, risk_label(e.code)])
    rows.sort(key=lambda r: (r[1], r[0]))
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "拦截关键词列表", ["关键词", "风险子类"], rows)
    wb.save(path)
    return len(rows)


def _write_mechanism(path: Path, provider_path: Path | None) -> None:
    p = load_provider(provider_path, {c.id for c in CLAUSES})
    labels = [("algorithm_name", "算法名称"), ("algorithm_type", "算法类型"), ("role", "主体角色"),
              ("principle", "基本原理"), ("mechanism", "运行机制"), ("scenarios", "应用场景"),
              ("purpose", "目的意图"), ("data", "数据概况"), ("safety", "安全措施")]  # fmt: skip
    lines = ["# 算法机制说明与拟公示内容", ""]
    if p.source is None:
        lines += [
            "> 未提供服务提供者模板（hegui assess template 生成，--provider 传入），以下各项待填写。",
            "",
        ]
    for key, label in labels:
        lines += [f"## {label}", "", p.mechanism.get(key) or "（未填写）", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_pack(
    run_dir: Path,
    out: Path,
    *,
    compare: Path | None = None,
    provider: Path | None = None,
    config: Path | None = None,
) -> dict[str, Any]:
    """Write the filing pack for the judged run ``run_dir`` into the folder ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    descriptions: dict[Path, str] = {}
    descriptions[
        write_report(
            run_dir, out / REPORT_ZH, lang="zh", compare=compare, provider=provider, config=config
        )
    ] = "安全评估报告（中文，PDF）"
    descriptions[
        write_report(
            run_dir, out / REPORT_EN, lang="en", compare=compare, provider=provider, config=config
        )
    ] = "Security assessment report (English, HTML)"
    for path in _write_tests(run_dir, out / TESTS_DIR):
        descriptions[path] = f"评估测试题集：{path.stem}（抽样结果与题库）"
    count = _write_keywords(out / KEYWORDS, config)
    descriptions[out / KEYWORDS] = f"拦截关键词列表（{count}个，风险引擎所配置的词库）"
    _write_mechanism(out / MECHANISM, provider)
    descriptions[out / MECHANISM] = "算法机制说明与拟公示内容（来自服务提供者模板）"
    data = out / DATA_DIR
    data.mkdir(exist_ok=True)
    for name in ("summary.json", "judgements.jsonl", RESULTS, RUN_FILE, SELECTION):
        if (run_dir / name).exists():
            shutil.copyfile(run_dir / name, data / name)
            descriptions[data / name] = f"评估原始数据：{name}"
    p = load_provider(provider, {c.id for c in CLAUSES})
    missing = [
        {"name": "上线备案表", "why": "在备案系统中在线填写，hegui 不生成"},
        {"name": "模型服务协议", "why": "由服务提供者提供（hegui ops 中的协议版本可作参考）"},
    ]
    for name, label in (
        ("annotation", "语料标注规则"),
        ("training_data", "训练数据来源与规模说明"),
    ):
        src = load_source(name, run_dir)
        if not src.available:
            missing.append({"name": label, "why": src.reason})
    if not all(
        p.signatures.get(k) for k in ("legal_representative", "assessment_lead", "legality_lead")
    ):
        missing.append(
            {
                "name": "报告签字",
                "why": "三名签字人（法定代表人、总体评估负责人、合法性评估负责人）未在模板中填写；打印后签字",
            }
        )
    files = [
        {
            "path": str(path.relative_to(out)),
            "bytes": path.stat().st_size,
            "sha256": _sha256(path),
            "what": what,
        }
        for path, what in sorted(descriptions.items())
    ]
    manifest = {"run": str(run_dir), "banks": {b: BANK_RULES[b].zh for b in BANK_RULES},
                "files": files, "missing": missing}  # fmt: skip
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    readme = ["# 备案材料包 / filing pack", "", "| 文件 | 内容 |", "|---|---|"]
    readme += [f"| {f['path']} | {f['what']} |" for f in files]
    readme += ["", "## 尚缺材料 / still missing", ""] + [
        f"- {m['name']}：{m['why']}" for m in missing
    ]
    (out / "README.md").write_text("\n".join(readme) + "\n", encoding="utf-8")
    return manifest
