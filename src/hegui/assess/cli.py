"""``hegui assess …``: banks, run, judge, report, pack. Thin: the rules live in the modules.

Exit codes: ``banks check`` 0 when every minimum is met, 1 when not; ``run`` and ``judge`` 0
when every bank clears its threshold, 1 when one does not (``run --no-judge``: 0 when the run
finished); 2 for usage or input errors, with a one-line message.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

assess_app = typer.Typer(
    name="assess",
    help="Security self-assessment (TC260-003 §8–9): banks, runner, judge, report, filing pack.",
    no_args_is_help=True,
)
banks_app = typer.Typer(
    name="banks", help="Question banks: coverage and importers.", no_args_is_help=True
)
assess_app.add_typer(banks_app, name="banks")

API_KEY_VARS = ("HEGUI_ASSESS_API_KEY", "OPENAI_API_KEY")
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="hegui.toml whose engine (lexicons, policy) judges and is reported (default ./hegui.toml when present).",
    ),
]


def register(app: typer.Typer) -> None:
    """Add ``assess`` to ``app``."""
    app.add_typer(assess_app, name="assess")


@banks_app.command("check")
def banks_check(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Bank files or folders (default: shipped banks).")
    ] = None,
    lang: Annotated[str, typer.Option(help="Names in zh or en.")] = "zh",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Questions per risk and per bank against TC260-003 §8.2–8.3; exit 0 when all are met."""
    from hegui.assess.coverage import coverage
    from hegui.assess.render_cli import print_coverage

    banks = _load(files)
    result = coverage(banks, lang)
    if as_json:
        import json

        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_coverage(result, banks)
    raise typer.Exit(0 if result.ok else 1)


def _load(files: list[Path] | None) -> Any:
    from hegui.assess.bank import load_banks
    from hegui.errors import InputError

    try:
        return load_banks(files or [])
    except FileNotFoundError as exc:
        raise InputError(str(exc)) from None


@banks_app.command("import")
def banks_import(
    name: Annotated[
        str,
        typer.Argument(
            help="jade-db, do-not-answer, cvalues, safetybench, strongreject or harmbench."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="JSONL file to write.")],
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="The shared/data/raw folder.")
    ] = Path("../shared/data/raw"),
    bank: Annotated[
        str | None, typer.Option(help="Put the items in this bank instead of the suggested one.")
    ] = None,
) -> None:
    """Convert one public safety set into bank items mapped to risk codes."""
    import json

    from hegui.assess.importers import import_set
    from hegui.assess.standard import BANKS
    from hegui.errors import InputError

    if bank is not None and bank not in BANKS:
        raise InputError(f"--bank must be one of {', '.join(BANKS)}")
    items = import_set(name, data_dir, bank)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
    print(f"{out}: {len(items)} items from {name}", file=sys.stderr)


@assess_app.command("run")
def run_cmd(
    endpoint: Annotated[
        str, typer.Option(help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1.")
    ],
    model: Annotated[str, typer.Option(help="Model name to ask.")],
    out: Annotated[Path, typer.Option("--out", help="Run folder (resumed when it exists).")],
    bank: Annotated[
        list[Path] | None,
        typer.Option("--bank", help="Bank file or folder (repeatable; default: shipped banks)."),
    ] = None,
    sample: Annotated[
        int | None,
        typer.Option(
            help="Questions per bank (default: the standard's minimum, 1000/300/300; 0 = all)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 0,
    concurrency: Annotated[int, typer.Option(help="Requests in flight.")] = 32,
    timeout: Annotated[float, typer.Option(help="Seconds per request attempt.")] = 60.0,
    retries: Annotated[
        int, typer.Option(help="Retries after a time-out, 429/5xx or bad JSON.")
    ] = 3,
    max_tokens: Annotated[int, typer.Option(help="max_tokens of each request.")] = 1024,
    system: Annotated[
        str | None, typer.Option(help="System prompt to send with every question.")
    ] = None,
    label: Annotated[
        str | None, typer.Option(help="Name of this run in the report, e.g. 'behind hegui serve'.")
    ] = None,
    retry_errors: Annotated[
        bool, typer.Option("--retry-errors", help="Ask again the items whose request failed.")
    ] = False,
    judge: Annotated[
        bool, typer.Option("--judge/--no-judge", help="Judge the answers when the run ends.")
    ] = True,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")
    ] = True,
    config: ConfigOption = None,
) -> None:
    """Ask the banks to an endpoint (a bare model, or the same model behind ``hegui serve``).

    The API key, if the endpoint needs one, is read from HEGUI_ASSESS_API_KEY or OPENAI_API_KEY
    and never written to the run folder."""
    import asyncio

    from hegui.assess.runner import RunConfig, file_sha256, run, select_items
    from hegui.errors import InputError

    if concurrency < 1 or retries < 0 or timeout <= 0 or (sample is not None and sample < 0):
        raise InputError("--concurrency ≥ 1, --retries ≥ 0, --timeout > 0 and --sample ≥ 0 please")
    if not endpoint.startswith(("http://", "https://")):
        raise InputError(f"--endpoint must be an http(s) URL, not {endpoint!r}")
    banks = _load(bank)
    for err in banks.errors:
        print(f"hegui: skipped bad bank line {err}", file=sys.stderr)
    items = select_items(banks, sample, seed)
    if not items:
        raise InputError("the banks hold no readable question")
    run_config = RunConfig(
        endpoint=endpoint, model=model, bank_files=banks.files,
        bank_sha256={Path(f).name: file_sha256(f) for f in banks.files},
        sample=sample, seed=seed, concurrency=concurrency, timeout=timeout, retries=retries,
        max_tokens=max_tokens, system=system, label=label,
        extra={"bad_bank_lines": [str(e) for e in banks.errors]},
    )  # fmt: skip
    api_key = next((os.environ[v] for v in API_KEY_VARS if os.environ.get(v)), None)
    from hegui.assess.render_cli import run_progress

    with run_progress(progress and sys.stderr.isatty(), "asking") as on_progress:
        counts = asyncio.run(
            run(
                run_config,
                items,
                out,
                api_key=api_key,
                retry_errors=retry_errors,
                on_progress=on_progress,
            )
        )
    print(
        f"{out}: asked {counts['asked']} ({counts['ok']} answered, {counts['error']} failed), "
        f"{counts['skipped']} already done",
        file=sys.stderr,
    )
    if judge:
        _judge_and_print(out, progress=progress, judge=_judge(config))


def _judge(config: Path | None, prefer_llm: bool = False) -> Any:
    """The judge with the engine as ``config`` sets it up (the built-in one without a file)."""
    from hegui.assess.judge import Judge
    from hegui.config import load_settings
    from hegui.safety import Engine

    return Judge(Engine.from_settings(load_settings(config).engine), prefer_llm=prefer_llm)


def _judge_and_print(out: Path, progress: bool, **kwargs: Any) -> None:
    from hegui.assess.evaluate import judge_run
    from hegui.assess.render_cli import print_summary, run_progress

    with run_progress(progress and sys.stderr.isatty(), "judging") as on_progress:
        summary = judge_run(out, on_progress=on_progress, **kwargs)
    print_summary(summary)
    raise typer.Exit(0 if summary["overall"] else 1)


@assess_app.command("judge")
def judge_cmd(
    out: Annotated[Path, typer.Argument(help="Run folder.")],
    llm_endpoint: Annotated[
        str | None, typer.Option(help="OpenAI-compatible URL of an LLM judge.")
    ] = None,
    llm_model: Annotated[str | None, typer.Option(help="Model name of the LLM judge.")] = None,
    prefer_llm: Annotated[
        bool, typer.Option("--prefer-llm", help="Let the LLM judge decide where it answered.")
    ] = False,
    labels: Annotated[
        Path | None,
        typer.Option(help='Human labels, JSONL {"id", "refused", "harmful"}: report agreement.'),
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    config: ConfigOption = None,
) -> None:
    """(Re-)judge a run folder: judgements.jsonl and summary.json."""
    from hegui.errors import InputError

    if (llm_endpoint is None) != (llm_model is None):
        raise InputError("--llm-endpoint and --llm-model go together")
    if labels is not None and not labels.is_file():
        raise InputError(f"labels file not found: {labels}")
    llm = None
    if llm_endpoint and llm_model:
        from hegui.assess.llm_judge import LLMJudge

        api_key = next((os.environ[v] for v in API_KEY_VARS if os.environ.get(v)), None)
        llm = LLMJudge(llm_endpoint, llm_model, api_key=api_key)
    _judge_and_print(out, progress, judge=_judge(config, prefer_llm), llm=llm, labels=labels)


@assess_app.command("report")
def report_cmd(
    out_dir: Annotated[Path, typer.Argument(help="Run folder (judged).")],
    out: Annotated[Path, typer.Option("--out", help="FILE.pdf or FILE.html")],
    lang: Annotated[str, typer.Option(help="zh (default) or en.")] = "zh",
    compare: Annotated[
        Path | None,
        typer.Option(help="Another judged run folder to show side by side (e.g. the bare model)."),
    ] = None,
    provider: Annotated[
        Path | None,
        typer.Option(
            help="Provider template (hegui assess template) with the mechanism and clause answers."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Write the self-assessment report (per-clause checklist, charts, statistics)."""
    from hegui.assess.report import write_report

    path = write_report(out_dir, out, lang=lang, compare=compare, provider=provider, config=config)
    print(f"wrote {path}", file=sys.stderr)


@assess_app.command("pack")
def pack_cmd(
    out_dir: Annotated[Path, typer.Argument(help="Run folder (judged).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the filing pack into.")],
    compare: Annotated[
        Path | None, typer.Option(help="Another judged run folder for the report.")
    ] = None,
    provider: Annotated[
        Path | None, typer.Option(help="Provider template with the mechanism and clause answers.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Write the filing pack: report (zh PDF + en HTML), test sets, keyword list, manifest."""
    from hegui.assess.pack import write_pack

    manifest = write_pack(out_dir, out, compare=compare, provider=provider, config=config)
    for entry in manifest["files"]:
        print(f"{entry['path']}  {entry['bytes']:>9,} B", file=sys.stderr)
    for entry in manifest["missing"]:
        print(f"missing: {entry['name']} — {entry['why']}", file=sys.stderr)


@assess_app.command("template")
def template_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the provider template (TOML).")
    ],
) -> None:
    """Write the template the provider fills in: service, algorithm mechanism, clause answers."""
    from hegui.assess.provider import TEMPLATE_PATH
    from hegui.errors import InputError

    if out.exists():
        raise InputError(f"{out} exists; not overwriting it")
    out.write_text(TEMPLATE_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"wrote {out}; fill it in and pass it as --provider", file=sys.stderr)
