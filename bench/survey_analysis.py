"""The full analysis of a large survey: 1,000,000 responses to a 20-question survey.

    .venv/bin/python bench/survey_analysis.py [--size 1000000] [--seed 7]

1. Generates the survey (NPS, CSAT, CES, overall satisfaction, six service attributes asked for
   importance and performance, single and multiple choice, a two-item scale) and its answers
   with numpy straight into a SQLite database with the project's schema (20 million answer
   rows at the default size), cached under var/bench/surveys-<size>/ so re-runs start at once.
2. Times `clientdesk.surveys.analysis.analyse` (reading the columns, headline scores,
   distributions, every cross-tabulation with its test and the BH/Holm corrections, Cronbach's
   alpha, importance-performance analysis, driver analysis and the recommendations):
   cold, reading the answer table and keeping the columnar snapshot; then warm, after 1,000
   more responses arrive: the snapshot plus those responses read from the tables.
3. Prints seconds, peak RSS and a few figures (target: under 10 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ATTRS = ["Скорость", "Цена", "Качество", "Вежливость", "Отчётность", "Доступность"]
SEGMENTS = [a + x for a in "ABC" for x in "XYZ"]
SECTIONS = list("ACFGHJKLMN")
SIZES = ["micro", "small", "medium", "large"]
ROLES = ["decision_maker", "economic_buyer", "technical", "user", "accountant", "other"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django(var_dir: Path) -> None:
    os.environ["CLIENTDESK_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientdesk.config.settings")
    os.environ.setdefault("TASKS_BACKEND", "sync")
    os.environ.setdefault("DEBUG", "true")  # a local benchmark database, no secrets
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def build_survey() -> int:
    from clientdesk.surveys import services
    from clientdesk.surveys.models import QuestionKind, QuestionRole, Survey

    survey = services.survey_create(data=services.SurveyInput(title="Bench survey"), by=None)
    add = services.question_add
    QI = services.QuestionInput
    add(survey=survey, data=QI(kind=QuestionKind.NPS, text="NPS"), by=None)
    add(survey=survey, data=QI(kind=QuestionKind.CSAT, text="CSAT"), by=None)
    add(survey=survey, data=QI(kind=QuestionKind.CES, text="CES"), by=None)
    add(
        survey=survey,
        data=QI(kind=QuestionKind.LIKERT5, text="Overall", role=QuestionRole.OVERALL),
        by=None,
    )
    for attr in ATTRS:
        services.ipa_attribute_add(survey=survey, attribute=attr, by=None)
    opts = services.parse_options("E-mail\nPhone\nPortal\nVisit")
    add(survey=survey, data=QI(kind=QuestionKind.SINGLE, text="Channel", choices=opts), by=None)
    add(survey=survey, data=QI(kind=QuestionKind.MULTI, text="Services", choices=opts), by=None)
    for i in (1, 2):
        add(
            survey=survey,
            data=QI(kind=QuestionKind.LIKERT7, text=f"Loyal {i}", scale="loyalty"),
            by=None,
        )
    assert Survey.objects.get(pk=survey.pk).questions.count() == 20
    return survey.pk


def _answer_columns(questions: list[Any], latent: Any, size: int, rng: Any) -> list[Any]:
    """One column of answers per question, driven by each respondent's latent satisfaction."""
    import numpy as np

    def scale(low: int, high: int, signal: Any) -> Any:
        mid, half = (low + high) / 2, (high - low) / 2
        x = mid + half * 0.45 * (signal + rng.normal(size=size))
        return np.clip(np.rint(x), low, high)

    attr_perf = [0.9 * latent + rng.normal(scale=0.6, size=size) for _ in ATTRS]
    weights = (0.5, 0.2, 0.4, 0.1, 0.1, 0.2)
    overall = sum(w * a for w, a in zip(weights, attr_perf, strict=True)) / 1.2
    by_kind = {
        "nps": lambda q: scale(0, 10, latent + 0.6),
        "csat": lambda q: scale(1, 5, latent + 0.5),
        "ces": lambda q: scale(1, 7, -latent),
        "single": lambda q: rng.integers(1, 5, size).astype(float),
        "multi": lambda q: rng.integers(1, 16, size).astype(float),
    }
    by_role = {
        "overall": lambda q: scale(1, 5, overall),
        "performance": lambda q: scale(1, 5, attr_perf[ATTRS.index(q.attribute)] + 0.3),
        "importance": lambda q: scale(1, 5, np.full(size, 0.8 - 0.25 * ATTRS.index(q.attribute))),
    }
    columns = []
    for q in questions:
        make = by_role.get(q.role) or by_kind.get(q.kind) or (lambda q: scale(1, 7, latent))
        columns.append(make(q))
    return columns


def _write_answers(
    con: sqlite3.Connection, questions: list[Any], columns: list[Any], size: int, rng: Any
) -> int:
    import numpy as np

    chunk = 100_000
    written = 0
    for start in range(0, size, chunk):
        stop = min(start + chunk, size)
        rows = []
        for qi, q in enumerate(questions):
            vals = columns[qi][start:stop]
            skip = rng.random(stop - start) < 0.03  # 3 % left unanswered
            for off in np.nonzero(~skip)[0].tolist():
                rows.append((start + off + 1, q.pk, 0, int(vals[off]), ""))
        con.executemany(
            "INSERT INTO surveys_answer (response_id, question_id, item, value, text) "
            "VALUES (?,?,?,?,?)",
            rows,
        )
        written += len(rows)
    return written


def generate(var_dir: Path, size: int, seed: int) -> int:
    import numpy as np
    from django.core.management import call_command
    from django.db import connections

    marker = var_dir / "generated.json"
    if marker.exists():
        print(f"Using cached survey in {var_dir}")
        return int(json.loads(marker.read_text())["survey_id"])
    db = var_dir / "clientdesk.sqlite3"
    if db.exists():
        db.unlink()
    call_command("migrate", verbosity=0)
    survey_id = build_survey()
    from clientdesk.surveys.models import Question

    questions = list(Question.objects.filter(survey_id=survey_id).order_by("position"))
    connections.close_all()
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA journal_mode=OFF")
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC).isoformat(" ")
    seg = rng.integers(0, len(SEGMENTS), size)
    latent = rng.normal(size=size) - 0.15 * (seg % 3)  # Z segments a little less satisfied
    resp_rows = (
        (
            i + 1,
            survey_id,
            "link",
            "ru",
            "",
            SEGMENTS[seg[i]],
            SECTIONS[s],
            SIZES[z],
            ROLES[r],
            "",
            1,
            now,
            now,
            now,
        )
        for i, s, z, r in zip(
            range(size),
            rng.integers(0, len(SECTIONS), size).tolist(),
            rng.integers(0, len(SIZES), size).tolist(),
            rng.integers(0, len(ROLES), size).tolist(),
            strict=True,
        )
    )
    con.executemany(
        "INSERT INTO surveys_response (id, survey_id, channel, language, source, segment, "
        "industry, size_band, role, region, page, started_at, updated_at, submitted_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        resp_rows,
    )

    columns = _answer_columns(questions, latent, size, rng)
    index_sql = [
        r[0]
        for r in con.execute(
            "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name IN "
            "('surveys_answer', 'surveys_response') AND sql IS NOT NULL"
        )
    ]
    for name in ("answer_by_question", "response_attributes"):
        con.execute(f"DROP INDEX IF EXISTS {name}")
    answer_id = 1 + _write_answers(con, questions, columns, size, rng)
    for sql in index_sql:
        if "answer_by_question" in sql or "response_attributes" in sql:
            con.execute(sql)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    print(
        f"Generated {size:,} responses, {answer_id - 1:,} answers in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    marker.write_text(json.dumps({"survey_id": survey_id, "size": size}))
    return survey_id


def add_new_responses(var_dir: Path, survey_id: int, count: int, seed: int) -> None:
    """Responses submitted after the snapshot, as a live survey gets them (raw SQL, fast)."""
    import numpy as np
    from django.db import connection

    rng = np.random.default_rng(seed + 1)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with connection.cursor() as cur:
        cur.execute("SELECT MAX(id) FROM surveys_response")
        start = int(cur.fetchone()[0]) + 1
        cur.execute("SELECT id FROM surveys_question WHERE survey_id = %s", [survey_id])
        q_ids = [r[0] for r in cur.fetchall()]
        cur.executemany(
            "INSERT INTO surveys_response (id, survey_id, channel, language, source, segment, "
            "industry, size_band, role, region, page, started_at, updated_at, submitted_at) "
            "VALUES (%s, %s, 'link', 'ru', '', 'AX', 'J', 'large', 'user', '', 1, %s, %s, %s)",
            [(start + i, survey_id, now, now, now) for i in range(count)],
        )
        cur.executemany(
            "INSERT INTO surveys_answer (response_id, question_id, item, value, text) "
            "VALUES (%s, %s, 0, %s, '')",
            [(start + i, q, int(rng.integers(1, 6))) for i in range(count) for q in q_ids],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    var_dir = ROOT / "var" / "bench" / f"surveys-{args.size}"
    var_dir.mkdir(parents=True, exist_ok=True)
    setup_django(var_dir)
    survey_id = generate(var_dir, args.size, args.seed)

    from django.db import connection

    from clientdesk.surveys import analysis
    from clientdesk.surveys import columns as col
    from clientdesk.surveys.models import ColumnSnapshot, Survey

    if "surveys_columnsnapshot" not in connection.introspection.table_names():
        # A cache generated before the snapshot table existed.
        with connection.schema_editor() as editor:
            editor.create_model(ColumnSnapshot)
    survey = Survey.objects.get(pk=survey_id)
    q_ids = list(survey.questions.values_list("pk", flat=True))
    ColumnSnapshot.objects.filter(survey=survey).delete()
    t0 = time.perf_counter()
    data = col.load(survey.pk, q_ids, use_snapshot=False)
    t_load = time.perf_counter() - t0
    del data
    t0 = time.perf_counter()
    analysis.analyse(survey)  # reads the tables and keeps the snapshot
    t_cold = time.perf_counter() - t0
    add_new_responses(var_dir, survey.pk, 1_000, args.seed)
    t0 = time.perf_counter()
    report = analysis.analyse(survey)  # snapshot + the 1,000 new responses
    t_all = time.perf_counter() - t0
    summary = analysis.summary_for_bench(report)
    print(f"responses            {summary['n']:>12,}")
    print(f"reading columns from the answer table     {t_load:>7.2f} s")
    print(f"full analysis, cold (tables → snapshot)   {t_cold:>7.2f} s")
    print(f"full analysis, snapshot + 1,000 new       {t_all:>7.2f} s   (target < 10 s)")
    print(f"peak RSS             {rss_mb():>10.0f} MB")
    nps = summary["nps"]
    print(f"NPS                  {nps:>10.1f}" if nps is not None else "NPS   —")
    print(f"cross-tabulations    {summary['crosstabs']:>10}  ({summary['significant']} sig. BH)")
    print(f"recommendations      {summary['recommendations']:>10}")
    for name, result in report.drivers.items():
        top = max(zip(result.shares, result.names, strict=True))
        print(f"top driver of {name:<6} {top[1]} ({100 * top[0]:.0f} % of R² {result.r2:.2f})")
    # The bench database stays as generated: the new responses go again.
    with connection.cursor() as cur:
        cur.execute("DELETE FROM surveys_answer WHERE response_id > %s", [args.size])
        cur.execute("DELETE FROM surveys_response WHERE id > %s", [args.size])


if __name__ == "__main__":
    main()
