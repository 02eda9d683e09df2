"""Quality of the Chinese NLU: the classify contract, held-out scores, data validation.

Uses the real trained model in models/ (trained once per session) and the real
rasa env; skipped only when that env is missing.
"""
from __future__ import annotations

import io
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from intake_store import assistant

pytestmark = pytest.mark.skipif(
    not assistant.RASA_BIN.exists(),
    reason="the rasa env (.venv-rasa) is missing: run 'make rasa-env' (needs Python 3.10)",
)

ROOT = assistant.ROOT


@pytest.fixture(scope="session")
def trained_model() -> Path:
    # Rasa skips the work when config and data did not change.
    return assistant.train(quiet=True)


def classify(lines: list[str]) -> list[dict]:
    out = io.StringIO()
    from intake_store.classify import main

    code = main(io.StringIO("".join(line + "\n" for line in lines)), out)
    assert code == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


# Real-sounding complaints, long and colloquial, each clear about its category.
CLEAR_CASES = [
    (
        "我是做钢结构的小老板，前年给莱山区住建局干的一个厂房项目，验收都过了，"
        "审计也出了，还剩一百三十多万工程款一直拖着不给，去了十几趟都说财政没钱，"
        "我这边工人材料款都欠着，实在扛不住了",
        "arrears",
    ),
    (
        "我们三十多个农民工在区政府投资的安置房工地干了大半年，包工头说区里"
        "没拨款，工资一分没发，马上过年了大家都等着钱回家",
        "wage_arrears",
    ),
    (
        "前几年招商局的人请我们来这边投资建厂，说好的前三年厂房租金全免、"
        "还有五百万的设备补贴，合同都签了，结果厂子建起来了补贴一分没见，"
        "现在连租金也要我们全额交",
        "investment_promise",
    ),
    (
        "法院的判决早就生效了，判镇政府还我们四十万，申请强制执行一年多了，"
        "镇政府就是拖着不执行，这不是政府带头当老赖吗",
        "court_judgment",
    ),
    (
        "我们公司去年被市场监管局列进了经营异常名录，可我们每年都按时报年报了，"
        "这个记录是错的，影响我们投标，想申请异议，把失信记录撤下来",
        "credit_objection",
    ),
]


def test_classify_contract_categories_routing_errors_and_order(trained_model: Path) -> None:
    from intake_store.routing import route

    texts = [json.dumps({"text": text}, ensure_ascii=False) for text, _ in CLEAR_CASES]
    # bad lines in between: not JSON, no text, empty text
    lines = [texts[0], "这不是JSON", texts[1], json.dumps({"body": "x"}), texts[2],
             json.dumps({"text": "   "}), texts[3], texts[4]]
    results = classify(lines)

    assert len(results) == len(lines)
    assert "error" in results[1] and "JSON" in results[1]["error"]
    assert "error" in results[3] and "text" in results[3]["error"]
    assert "error" in results[5]
    answers = [results[i] for i in (0, 2, 4, 6, 7)]
    for (text, expected), got in zip(CLEAR_CASES, answers):
        print(expected, got)
        assert set(got) == {"category", "confidence", "lead", "lead_name", "co", "co_names"}
        assert got["category"] == expected, text
        assert 0.0 <= got["confidence"] <= 1.0
        assert len(got["co"]) == len(got["co_names"])
        assert all(isinstance(name, str) and name for name in [got["lead_name"], *got["co_names"]])

    # routing: the catalog's default lead ...
    assert answers[1]["lead"] == route("wage_arrears").lead == "hrss"
    assert answers[3]["lead"] == "court"
    # ... and 回避: 招商局 (商务局) is accused, so it does not lead its own case
    assert route("investment_promise").lead == "commerce"
    assert answers[2]["lead"] == "credit" and "commerce" not in answers[2]["co"]
    # the accused 市场监督管理局 assists (谁认定谁修复) but the 信用办 leads
    assert answers[4]["lead"] == "credit"
    assert "market" in answers[4]["co"]


def test_conversation_turns_are_not_complaints(trained_model: Path) -> None:
    results = classify([json.dumps({"text": t}, ensure_ascii=False) for t in ["你好", "谢谢啦", "查一下进度"]])
    assert [r["category"] for r in results] == ["other", "other", "other"]
    assert all(r["lead"] == "hotline" for r in results)


def test_held_out_intent_macro_f1(trained_model: Path) -> None:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [str(assistant.RASA_BIN), "test", "nlu", "--nlu", str(assistant.TEST_DATA),
             "--model", str(trained_model), "--out", out],
            cwd=ROOT, env=assistant.rasa_env(), check=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        report = json.loads((Path(out) / "intent_report.json").read_text())
    macro = report["macro avg"]["f1-score"]
    print(f"held-out intent macro-F1 {macro:.3f}, weighted {report['weighted avg']['f1-score']:.3f}")
    assert macro >= 0.85


def test_training_data_validates_without_warnings() -> None:
    proc = subprocess.run(
        [str(assistant.RASA_BIN), "data", "validate", "--fail-on-warnings",
         "--config", str(assistant.CONFIG), "--domain", str(assistant.DOMAIN),
         "--data", *[str(p) for p in assistant.TRAIN_DATA if p.exists()]],
        cwd=ROOT, env=assistant.rasa_env(), capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]


def test_respondent_synonyms_cover_the_catalog() -> None:
    """Every alias of every department maps to that department's full name."""
    catalog = yaml.safe_load((ROOT / "intake_store" / "data" / "departments.yml").read_text())
    data = yaml.safe_load((ROOT / "nlu_data" / "train" / "entities.yml").read_text())
    synonyms = {
        item["synonym"]: {line[2:].strip() for line in item["examples"].splitlines() if line.startswith("- ")}
        for item in data["nlu"] if "synonym" in item
    }
    places = {
        str(alias) for dept in catalog["departments"] if dept["level"] != "市"
        for alias in dept.get("aliases", []) if not str(alias).endswith(("政府", "办"))
    }
    for dept in catalog["departments"]:
        for alias in map(str, dept.get("aliases", [])):
            if alias.isdigit() or alias in places:
                continue  # a bare number or place name is no respondent by itself
            assert alias in synonyms.get(dept["name"], set()), (dept["code"], alias)
