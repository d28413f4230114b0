"""Import speed: our importer against django-import-export on the same files and models.

    .venv/bin/python bench/import_companies.py [--size 100000] [--die-size 10000] [--repeat 2]
    .venv/bin/python bench/import_companies.py --size 100000 --only-die   # the long one

Generates companies.csv (N companies) and contacts.csv (3 contacts each) the way a 1C export
looks (UTF-8 with BOM, ';', Russian titles, '1 234 567,89'), then imports them into a fresh
SQLite database in a temporary directory, once with clientdesk's importer and once with a
django-import-export ModelResource whose clean-up calls the same validators. Each importer runs
in its own process so that its peak RSS is its own, with DEBUG off as in production (with DEBUG
on, Django formats every query's SQL for connection.queries, which is not what a server does).

Besides wall-clock time each run reports the CPU seconds of its process and the load average
before it: on a shared machine wall-clock rates fall with the load, CPU time much less, so the
CPU-time ratio is the steadier comparison. --repeat runs each importer that many times,
alternating, and prints the ratio of every pair.

django-import-export is not a dependency of clientdesk: on first run this script creates
var/bench-venv with the project's requirements plus django-import-export and re-runs itself
there (delete var/bench-venv to rebuild it; it is refreshed when requirements/base.txt changes).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path
from typing import Any

BASE = Path(__file__).resolve().parent.parent
VENV = BASE / "var" / "bench-venv"
CONTACTS_PER_COMPANY = 3

COMPANY_HEADER = [
    "ИНН",
    "КПП",
    "Полное наименование",
    "ОГРН",
    "Телефон",
    "Эл. почта",
    "Выручка",
    "Численность",
]
CONTACT_HEADER = ["ИНН компании", "КПП компании", "ФИО", "Должность", "E-mail", "Телефон"]


# --- bootstrap --------------------------------------------------------------------------------
def ensure_venv(argv: list[str]) -> None:
    """Re-executes this script inside var/bench-venv, creating or refreshing it as needed."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    python = VENV / "bin" / "python"
    requirements = BASE / "requirements" / "base.txt"
    stamp = VENV / "installed-base.txt"
    if not python.exists():
        print(f"Creating {VENV} (first run only)…", flush=True)
        venv.create(VENV, with_pip=True)
    if not stamp.exists() or stamp.read_text() != requirements.read_text():
        print(f"Installing requirements/base.txt and django-import-export into {VENV}…")
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "-r",
                str(requirements),
                "django-import-export",
            ],
            check=True,
        )
        stamp.write_text(requirements.read_text())
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *argv])  # noqa: S606


# --- data -------------------------------------------------------------------------------------
def make_inn(n: int) -> str:
    from stdnum.ru import inn

    body = f"{77 + n // 10_000_000:02d}{n % 10_000_000:07d}"
    return body + inn.calc_company_check_digit(body)


def make_ogrn(n: int) -> str:
    from stdnum.ru import ogrn

    body = f"1027{n:08d}"
    # calc_check_digit takes the whole number and ignores its last digit.
    return body + ogrn.calc_check_digit(body + "0")


def rub(amount: int) -> str:
    return f"{amount:,}".replace(",", " ") + ",00"


def generate(directory: Path, size: int) -> tuple[Path, Path]:
    rng = random.Random(42)
    names = ["Ромашка", "Лютик", "Вектор", "Техносервис", "Альфа", "Северсталь", "Гранит", "Восток"]
    firsts = ["Иван", "Анна", "Пётр", "Мария", "Олег", "Елена"]
    lasts = ["Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов"]
    companies, contacts = directory / "companies.csv", directory / "contacts.csv"
    with (
        companies.open("w", encoding="utf-8-sig", newline="") as cf,
        contacts.open("w", encoding="utf-8-sig", newline="") as pf,
    ):
        cf.write(";".join(COMPANY_HEADER) + "\r\n")
        pf.write(";".join(CONTACT_HEADER) + "\r\n")
        for i in range(size):
            inn, kpp = make_inn(i), "770101001"
            name = f'ООО "{rng.choice(names)} {i}"'
            phone = (
                f"+7 495 {rng.randrange(100, 999)}-{rng.randrange(10, 99)}-{rng.randrange(10, 99)}"
            )
            cf.write(
                f"{inn};{kpp};{name};{make_ogrn(i)};{phone};info{i}@example.ru;"
                f"{rub(rng.randrange(1_000_000, 900_000_000))};{rng.randrange(1, 5000)}\r\n"
            )
            for j in range(CONTACTS_PER_COMPANY):
                last, first = rng.choice(lasts), rng.choice(firsts)
                mobile = f"+7 916 {rng.randrange(1_000_000, 9_999_999)}"
                person = f"{last} {first} Отчество{j}"
                pf.write(f"{inn};{kpp};{person};Менеджер;p{i}_{j}@example.ru;{mobile}\r\n")
    return companies, contacts


def head(path: Path, rows: int, directory: Path) -> Path:
    out = directory / f"{path.stem}-{rows}.csv"
    with path.open(encoding="utf-8-sig") as src, out.open("w", encoding="utf-8-sig") as dst:
        for i, line in enumerate(src):
            if i > rows:
                break
            dst.write(line)
    return out


# --- one importer per process ----------------------------------------------------------------
def setup_django(var_dir: Path) -> None:
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["CLIENTDESK_VAR_DIR"] = str(var_dir)
    os.environ["MEDIA_ROOT"] = str(var_dir / "media")
    # Production settings: DEBUG off needs a secret key and host names, none of which is used.
    os.environ["DEBUG"] = "false"
    os.environ["SECRET_KEY"] = "bench-" + "".join(
        random.choices("abcdefghijklmnopqrstuvwxyz", k=60)
    )
    os.environ["ALLOWED_HOSTS"] = "localhost"
    os.environ["TASKS_BACKEND"] = "sync"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientdesk.config.settings")
    sys.path.insert(0, str(BASE))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def run_ours(companies: Path, contacts: Path) -> dict[str, Any]:
    from django.core.files import File

    from clientdesk.clients.imports import services
    from clientdesk.clients.imports.columns import guess_mapping
    from clientdesk.clients.imports.readers import inspect
    from clientdesk.clients.models import Company, Contact, ImportJob

    timings, cpu_timings = {}, {}
    for kind, path in (("companies", companies), ("contacts", contacts)):
        job = ImportJob(kind=kind, mode=ImportJob.Mode.ALL_OR_NOTHING, original_name=path.name)
        with path.open("rb") as fh:
            job.file.save(path.name, File(fh), save=False)
        job.mapping = guess_mapping(kind, inspect(Path(job.file.path)).headers)
        job.status = ImportJob.Status.QUEUED
        job.save()
        start, cpu = time.perf_counter(), time.process_time()
        done = services.run_import_job(job.pk)
        timings[kind] = time.perf_counter() - start
        cpu_timings[kind] = time.process_time() - cpu
        assert done is not None and done.status == ImportJob.Status.DONE, done and done.errors[:5]
    return {
        "companies": Company.objects.count(),
        "contacts": Contact.objects.count(),
        "seconds": timings,
        "cpu_by_kind": cpu_timings,
    }


def run_die(companies: Path, contacts: Path) -> dict[str, Any]:
    import tablib
    from django.core.exceptions import ValidationError
    from import_export import fields, resources

    from clientdesk.clients import quality, validators
    from clientdesk.clients.models import Company, Contact

    company_requirement = quality.company_requirement()
    contact_requirement = quality.contact_requirement()

    class CompanyResource(resources.ModelResource):
        inn = fields.Field(attribute="inn", column_name="ИНН")
        kpp = fields.Field(attribute="kpp", column_name="КПП")
        legal_name = fields.Field(attribute="legal_name", column_name="Полное наименование")
        ogrn = fields.Field(attribute="ogrn", column_name="ОГРН")
        phone = fields.Field(attribute="phone", column_name="Телефон")
        email = fields.Field(attribute="email", column_name="Эл. почта")
        annual_revenue = fields.Field(attribute="annual_revenue", column_name="Выручка")
        employees = fields.Field(attribute="employees", column_name="Численность")

        class Meta:
            model = Company
            import_id_fields = ("inn", "kpp")
            fields = (
                "inn",
                "kpp",
                "legal_name",
                "ogrn",
                "phone",
                "email",
                "annual_revenue",
                "employees",
            )
            use_bulk = True
            batch_size = 1000
            skip_diff = True

        def before_import_row(self, row: Any, **kwargs: Any) -> None:
            # The same validators as the form and our importer; a ValidationError rejects the row.
            row["ИНН"] = validators.clean_inn(row["ИНН"])
            row["КПП"] = validators.clean_kpp(row["КПП"])
            row["ОГРН"] = validators.clean_ogrn(row["ОГРН"])
            row["Телефон"] = validators.clean_phone(row["Телефон"])
            row["Эл. почта"] = validators.clean_email(row["Эл. почта"])
            row["Выручка"] = validators.parse_decimal(row["Выручка"])
            row["Численность"] = int(validators.parse_decimal(row["Численность"]) or 0)

        def before_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
            instance.search_name = validators.normalise_name(instance.legal_name)
            instance.completeness = quality.company_completeness(
                instance, requirement=company_requirement
            )[0]

    class ContactResource(resources.ModelResource):
        company = fields.Field(attribute="company_id", column_name="company_id")
        email = fields.Field(attribute="email", column_name="E-mail")
        last_name = fields.Field(attribute="last_name", column_name="last_name")
        first_name = fields.Field(attribute="first_name", column_name="first_name")
        patronymic = fields.Field(attribute="patronymic", column_name="patronymic")
        position = fields.Field(attribute="position", column_name="Должность")
        phone = fields.Field(attribute="phone", column_name="Телефон")

        class Meta:
            model = Contact
            import_id_fields = ("company", "email")
            fields = (
                "company",
                "email",
                "last_name",
                "first_name",
                "patronymic",
                "position",
                "phone",
            )
            use_bulk = True
            batch_size = 1000
            skip_diff = True

        def before_import_row(self, row: Any, **kwargs: Any) -> None:
            inn = validators.clean_inn(row["ИНН компании"])
            kpp = validators.clean_kpp(row["КПП компании"])
            company = Company.objects.filter(inn=inn, kpp=kpp).values_list("id", flat=True).first()
            if company is None:
                raise ValidationError("unknown company")
            row["company_id"] = company
            parts = row["ФИО"].split()
            row["last_name"], row["first_name"] = parts[0], parts[1]
            row["patronymic"] = " ".join(parts[2:])
            row["E-mail"] = validators.clean_email(row["E-mail"])
            row["Телефон"] = validators.clean_phone(row["Телефон"])

        def before_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
            instance.search_name = validators.normalise_name(instance.full_name)
            instance.completeness = quality.contact_completeness(
                instance, requirement=contact_requirement
            )[0]

    timings, cpu_timings = {}, {}
    errors = 0
    for name, resource_class, path in (
        ("companies", CompanyResource, companies),
        ("contacts", ContactResource, contacts),
    ):
        start, cpu = time.perf_counter(), time.process_time()
        # tablib reads the whole file into memory: that is how django-import-export works.
        dataset = tablib.Dataset().load(
            path.read_text(encoding="utf-8-sig"), format="csv", delimiter=";"
        )
        if name == "contacts":
            # Columns that before_import_row fills; the resource checks its key columns first.
            for column in ("company_id", "last_name", "first_name", "patronymic"):
                dataset.append_col([""] * dataset.height, header=column)
        result = resource_class().import_data(dataset, dry_run=False, use_transactions=True)
        timings[name] = time.perf_counter() - start
        cpu_timings[name] = time.process_time() - cpu
        errors += len(result.row_errors()) + len(result.invalid_rows) + len(result.base_errors)
    return {
        "companies": Company.objects.count(),
        "contacts": Contact.objects.count(),
        "seconds": timings,
        "cpu_by_kind": cpu_timings,
        "errors": errors,
    }


def child(which: str, companies: Path, contacts: Path) -> None:
    with tempfile.TemporaryDirectory(prefix=f"bench-{which}-") as tmp:
        setup_django(Path(tmp))
        cpu = time.process_time()
        result = run_ours(companies, contacts) if which == "ours" else run_die(companies, contacts)
        result["cpu_seconds"] = time.process_time() - cpu
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)


def spawn(which: str, companies: Path, contacts: Path) -> dict[str, Any]:
    load = os.getloadavg()[0]
    out = subprocess.run(
        [sys.executable, __file__, "--child", which, str(companies), str(contacts)],
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        sys.exit(f"The {which} importer failed:\n{out.stderr[-3000:]}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    result = dict(json.loads(line[len("RESULT ") :]))
    result["load_before"] = load
    result["load_after"] = os.getloadavg()[0]
    return result


def describe(name: str, r: dict[str, Any], size: int) -> tuple[float, float]:
    """Prints one run; returns (rows per wall-clock second, rows per CPU second)."""
    total = sum(r["seconds"].values())
    rows = size * (1 + CONTACTS_PER_COMPANY)
    rate = rows / total
    cpu_rate = rows / r["cpu_seconds"]
    print(
        f"{name:<22} {size:>7} companies + {size * CONTACTS_PER_COMPANY:>7} contacts: "
        f"{r['seconds']['companies']:6.1f} s + {r['seconds']['contacts']:6.1f} s = {total:6.1f} s "
        f"= {rate:6.0f} rows/s; CPU {r['cpu_by_kind']['companies']:5.1f} s + "
        f"{r['cpu_by_kind']['contacts']:5.1f} s = {r['cpu_seconds']:6.1f} s = "
        f"{cpu_rate:6.0f} rows/CPU-s; "
        f"peak RSS {r['peak_rss_mb']:.0f} MB; load {r['load_before']:.1f}->{r['load_after']:.1f}"
        f" (in DB: {r['companies']} companies, {r['contacts']} contacts)",
        flush=True,
    )
    return rate, cpu_rate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000, help="companies (default 100000)")
    parser.add_argument(
        "--die-size",
        type=int,
        default=10_000,
        help="companies for django-import-export, which is far slower (default 10000; 0 = --size)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each importer (default 1)")
    parser.add_argument("--skip-die", action="store_true", help="measure only our importer")
    parser.add_argument(
        "--only-die",
        action="store_true",
        help="measure only django-import-export, on the --size files (for long runs)",
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        which, companies, contacts = args.child
        child(which, Path(companies), Path(contacts))
        return
    if not args.skip_die:
        ensure_venv(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="bench-files-") as tmp:
        directory = Path(tmp)
        start = time.perf_counter()
        companies, contacts = generate(directory, args.size)
        print(
            f"Generated {args.size} companies and {args.size * CONTACTS_PER_COMPANY} contacts "
            f"in {time.perf_counter() - start:.1f} s "
            f"({(companies.stat().st_size + contacts.stat().st_size) / 2**20:.0f} MB)",
            flush=True,
        )
        if args.only_die:
            for _ in range(args.repeat):
                describe("django-import-export", spawn("die", companies, contacts), args.size)
            return
        if args.skip_die:
            for _ in range(args.repeat):
                describe("clientdesk", spawn("ours", companies, contacts), args.size)
            return
        die_size = args.die_size or args.size
        die_companies = head(companies, die_size, directory) if die_size < args.size else companies
        die_contacts = (
            head(contacts, die_size * CONTACTS_PER_COMPANY, directory)
            if die_size < args.size
            else contacts
        )
        if die_size < args.size:
            describe("clientdesk", spawn("ours", companies, contacts), args.size)
        # The same file into the same size of database, one right after the other: a fair
        # ratio even on a machine whose load varies.
        for run in range(1, args.repeat + 1):
            die = spawn("die", die_companies, die_contacts)
            die_rate, die_cpu = describe("django-import-export", die, die_size)
            if die.get("errors"):
                print(f"  django-import-export reported {die['errors']} row errors")
            ours_rate, ours_cpu = describe(
                "clientdesk", spawn("ours", die_companies, die_contacts), die_size
            )
            print(
                f"run {run}: on the same {die_size}-company files ours is "
                f"{ours_rate / die_rate:.1f}x faster by wall clock, "
                f"{ours_cpu / die_cpu:.1f}x by CPU time",
                flush=True,
            )


if __name__ == "__main__":
    main()
