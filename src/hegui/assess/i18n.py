"""The report's words in Chinese (the filing language) and English."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["LANGS", "STRINGS", "translator"]

LANGS = ("zh", "en")

STRINGS: dict[str, tuple[str, str]] = {
    "title": ("生成式人工智能服务安全评估报告", "Generative AI service security assessment report"),
    "subtitle": ("依据 TC260-003《生成式人工智能服务安全基本要求》/ GB/T 45654-2025 第8—9章及附录B",
                 "Following TC260-003 / GB/T 45654-2025 chapters 8–9 and Appendix B"),
    "provider": ("服务提供者", "Provider"),
    "service": ("服务名称", "Service"),
    "model": ("模型", "Model"),
    "endpoint": ("被测接口", "Endpoint under test"),
    "label": ("被测配置", "Configuration"),
    "date": ("评估日期", "Date"),
    "tool": ("评估工具", "Tool"),
    "not_provided": ("未填写", "not provided"),
    "not_available": ("不可用", "not available"),
    "conclusion": ("总体结论", "Overall conclusion"),
    "compliant": ("符合", "compliant"),
    "non-compliant": ("不符合", "non-compliant"),
    "not-applicable": ("不适用", "not applicable"),
    "pending": ("待确认", "pending"),
    "conclusion_compliant": ("各条款均符合或不适用。", "Every clause is compliant or not applicable."),
    "conclusion_non-compliant": ("存在不符合项，详见逐条评估结果。", "Some clauses are non-compliant; see the checklist."),
    "conclusion_pending": ("测试指标已按下文评估；部分条款尚缺证据（待确认），补充后方可形成最终结论。",
                           "The measured thresholds are assessed below; some clauses still lack evidence (pending) and must be completed before a final conclusion."),
    "overview": ("一、评估概况", "1. Overview"),
    "checklist": ("二、逐条评估结果", "2. Per-clause results"),
    "clause": ("条款", "Clause"),
    "requirement": ("要求", "Requirement"),
    "result": ("结论", "Result"),
    "evidence": ("证据", "Evidence"),
    "reason": ("说明", "Notes"),
    "results": ("三、生成内容安全与问题拒答评估", "3. Generated content and refusal"),
    "bank": ("题库", "Bank"),
    "judged": ("已评估/抽取", "Judged/sampled"),
    "rate": ("比率", "Rate"),
    "ci": ("95%置信区间", "95 % CI"),
    "threshold": ("要求", "Required"),
    "sample_min": ("样本要求", "Sample ≥"),
    "verdict": ("判定", "Verdict"),
    "needed": ("以95%置信达标所需样本", "Sample to clear with 95 % confidence"),
    "pass": ("达标", "pass"),
    "fail": ("未达标", "fail"),
    "insufficient sample": ("样本不足", "insufficient sample"),
    "no data": ("无数据", "no data"),
    "pass_rate": ("合格率", "pass rate"),
    "refusal_rate": ("拒答率", "refusal rate"),
    "non_refusal_rate": ("非拒答率", "non-refusal rate"),
    "methods": ("生成内容评估的三种方法（§9.3）", "The three §9.3 checks of generated content"),
    "method_col": ("方法", "Method"),
    "method_judge": ("综合判定（拒答检测+风险引擎）", "Combined judge (refusal + risk engine)"),
    "method_keyword": ("关键词抽检（风险引擎关键词层）", "Keyword check (engine lexicon layer)"),
    "method_classifier": ("分类模型抽检（风险引擎分类层）", "Classifier check (engine classifier layer)"),
    "method_manual": ("人工抽检：请以人工标注文件（--labels）补充，见第九节", "Manual check: supply human labels (--labels), see section 9"),
    "compare": ("对照：同一模型不同配置", "Comparison: the same model in another configuration"),
    "this_run": ("本次", "this run"),
    "per_risk": ("四、分风险结果", "4. Results per risk"),
    "risk": ("风险", "Risk"),
    "aspect": ("方面", "Aspect"),
    "questions": ("题数", "Questions"),
    "stats": ("五、关键词库与测试题库统计", "5. Keyword library and test banks"),
    "keywords": ("关键词库（TC260-003 §8.1）", "Keyword library (TC260-003 §8.1)"),
    "terms": ("关键词数", "Terms"),
    "minimum": ("最低要求", "Minimum"),
    "total": ("合计", "Total"),
    "coverage": ("测试题库覆盖情况（§8.2—8.3）", "Bank coverage (§8.2–8.3)"),
    "languages": ("语种", "Languages"),
    "sources_col": ("来源", "Sources"),
    "training": ("六、训练数据与数据标注", "6. Training data and annotation"),
    "training_data": ("训练数据概况（语料登记）", "Training data (corpus registry)"),
    "annotation": ("数据标注规则与质量", "Annotation rules and quality"),
    "mechanism": ("七、算法机制说明", "7. Algorithm mechanism"),
    "unjudged": ("八、未能评估的题目", "8. Items that could not be judged"),
    "unjudged_none": ("所有抽取的题目均已评估。", "Every sampled item was judged."),
    "method": ("九、评估方法说明", "9. Method"),
    "examples": ("附录：未通过样例", "Appendix: examples that did not pass"),
    "question": ("问题", "Question"),
    "answer": ("回答", "Answer"),
    "judgement": ("判定依据", "Judgement"),
    "signatures": ("签字", "Signatures"),
    "sig_legal": ("法定代表人", "Legal representative"),
    "sig_lead": ("总体评估负责人", "Overall assessment lead"),
    "sig_legality": ("合法性评估负责人", "Legality assessment lead"),
    "sign_date": ("签字 / 日期", "Signature / date"),
    "principle": ("基本原理", "Basic principle"),
    "mechanism_field": ("运行机制", "Operating mechanism"),
    "scenarios": ("应用场景", "Application scenarios"),
    "purpose": ("目的意图", "Purpose"),
    "algorithm_name": ("算法名称", "Algorithm name"),
    "algorithm_type": ("算法类型", "Algorithm type"),
    "role": ("备案主体角色", "Role"),
    "data": ("数据概况", "Data"),
    "safety": ("安全措施", "Safety measures"),
    "agreement": ("与人工标注的一致性", "Agreement with human labels"),
    "font_note": ("以下字符无可用字体，可能显示为方框：", "No font covers these characters; they may show as boxes: "),
}  # fmt: skip


def translator(lang: str) -> Callable[[str], str]:
    """``t(key)`` for ``lang``; unknown keys are shown as they are (never a silent blank)."""
    index = 0 if lang == "zh" else 1

    def t(key: str) -> str:
        pair = STRINGS.get(key)
        return key if pair is None else pair[index]

    return t
