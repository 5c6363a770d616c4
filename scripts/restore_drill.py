"""Restore drill: a backup taken as docs/deployment.md says, restored to a point in time,
and the restored audit log verified against the last published checkpoint.

Everything happens in a temporary folder with its own PostgreSQL clusters (Debian's
``postgresql`` package; nothing else):

1. **primary**: ``initdb``, with WAL archiving (``archive_mode=on``, ``archive_command``
   copying each finished segment into ``archive/``) and the national layout's
   ``synchronous_standby_names`` in its ``postgresql.auto.conf`` (committing with
   ``synchronous_commit=local``: the drill has no standby), migrated; the
   checkpoint signer's key made with ``amanat audit-keygen`` in ``signer/`` (outside the
   database, as on a real signer machine).
2. **writes before the backup**: an inspector's reports through the API
   (``POST /api/v1/incidents/reports`` with a token and an ``Idempotency-Key``), one with
   an evidence file; a checkpoint signed and published (``published/1.txt``).
3. **base backup**: ``pg_basebackup -Ft -z -X stream`` into ``backup/base/``.
4. **writes after the backup**: more reports; the last checkpoint signed and published
   (``published/2.txt``); the signer's folder (key, public key, state) copied to
   ``signer-backup/`` after the checkpoint, as its own backup does after every signing.
   The **target time** is taken from PostgreSQL's clock after that checkpoint.
5. **writes after the target** (the "mistake" a point-in-time restore undoes): more
   reports; ``pg_switch_wal()`` and a wait until the segment is archived; then the primary
   is killed (``pg_ctl stop -m immediate``: it is lost).
6. **restore**: the base backup unpacked into a new data folder, ``restore_command``
   reading ``archive/``, ``recovery_target_time`` = the target, ``recovery_target_action
   = promote``, ``synchronous_standby_names = ''`` and ``archive_mode = off`` (the
   primary's files, copied by the backup, name a synchronous standby and the live
   archive), ``recovery.signal``; started on a new port and waited for until promoted.
7. **checks on the restored copy**, from a new app host (an empty var folder): the
   reports before the target are there, their evidence files readable (kept in the
   database, ``AMANAT_FILE_STORAGE=database``: restored with it), those after it are
   not; ``amanat audit-export`` then ``amanat-verify`` with both published checkpoints
   and the public key from the signer's backup; the signer restored from its own backup
   (``signer-restored/``) signs a new checkpoint over the restored log (its state
   agrees: no ``--new-series``), which ``amanat-verify`` accepts too.
8. **a restore to too early a time** (an earlier target, taken before the last checkpoint
   was signed): ``amanat-verify`` fails with ``truncated`` against the last published
   checkpoint (and passes with the earlier one), the restored signer refuses to sign, and
   ``audit-checkpoint --new-series`` starts a new series that verifies with the earlier
   checkpoint: the procedure docs/deployment.md gives for that case.

Prints one JSON object (timings and counts) and exits 0 when every check held, 1 when one
failed (the JSON says which), 3 when PostgreSQL is not installed.  Bounded: every wait has
a timeout, the clusters are stopped and the folder removed at the end (``--keep`` keeps
the folder).

    scripts/restore-drill            # or: .venv/bin/python scripts/restore_drill.py
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TAGS = ("before-backup", "after-backup", "after-target")
TIMEOUT = 120  # seconds, for any one wait


class DrillFailed(Exception):
    pass


def pg_bin() -> Path | None:
    found = [Path(d) for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"))
             if (Path(d) / "initdb").exists()]
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Drill:
    def __init__(self, work: Path, bin_dir: Path) -> None:
        self.work = work
        self.bin = bin_dir
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root: the clusters belong to 'postgres'.
            if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
                subprocess.run(["useradd", "--system", "--no-create-home", "postgres"],
                               check=True)
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.archive = work / "archive"
        self.backup = work / "backup" / "base"
        self.published = work / "published"
        self.signer = work / "signer"
        self.running: list[Path] = []
        self.result: dict[str, Any] = {"checks": {}}

    # --- PostgreSQL ---------------------------------------------------------------------

    def pg(self, tool: str, *args: str, log: str) -> None:
        done = subprocess.run([*self.as_owner, str(self.bin / tool), *args],
                              capture_output=True, text=True, timeout=TIMEOUT)
        with open(self.work / log, "a", encoding="utf-8") as out:
            out.write(f"$ {tool} {' '.join(args)}\n{done.stdout}{done.stderr}")
        if done.returncode != 0:
            raise DrillFailed(f"{tool} {' '.join(args)}: {done.stdout}{done.stderr}"[-2000:])

    def owned_dir(self, path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        if self.as_owner:
            shutil.chown(path, "postgres")
        return path

    def start(self, data: Path, port: int, *extra: str) -> str:
        options = " ".join([f"-k {self.work} -p {port} -c listen_addresses=127.0.0.1",
                            "-c fsync=off -c max_connections=50", *extra])
        self.pg("pg_ctl", "-D", str(data), "-l", str(self.work / f"{data.name}.log"), "-w",
                "-t", str(TIMEOUT), "-o", options, "start", log="pg_ctl.log")
        self.running.append(data)
        return f"postgres://amanat@127.0.0.1:{port}/amanat"

    def stop(self, data: Path, mode: str = "fast") -> None:
        self.pg("pg_ctl", "-D", str(data), "-m", mode, "-w", "stop", log="pg_ctl.log")
        self.running.remove(data)

    def sql(self, url: str, query: str) -> str:
        done = subprocess.run([str(self.bin / "psql"), url, "-XAtq", "-v", "ON_ERROR_STOP=1",
                               "-c", query], capture_output=True, text=True, timeout=TIMEOUT)
        if done.returncode != 0:
            raise DrillFailed(f"psql {query!r}: {done.stderr.strip()}")
        return done.stdout.strip()

    # --- the application ----------------------------------------------------------------

    def env(self, url: str, signer: Path, host: str = "host-a") -> dict[str, str]:
        env = dict(os.environ)
        env.pop("AMANAT_REPLICA_URL", None)
        env.update({
            "DATABASE_URL": url, "PYTHONPATH": str(ROOT),
            "AMANAT_VAR_DIR": str(self.work / host),
            "AMANAT_AUDIT_KEY": str(signer / "audit_ed25519.pem"),
            "DJANGO_SETTINGS_MODULE": "amanat.settings",
            # Evidence in the database (decision 0006): the database backup holds it.
            "AMANAT_FILE_STORAGE": "database",
        })
        return env

    def amanat(self, url: str, signer: Path, *args: str, check: bool = True
               ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "amanat.cli", *args],
                              env=self.env(url, signer), capture_output=True, text=True,
                              timeout=TIMEOUT * 2, cwd=ROOT)
        if check and done.returncode != 0:
            raise DrillFailed(f"amanat {' '.join(args)}: {done.stdout}{done.stderr}"[-3000:])
        return done

    def app(self, url: str, *args: str, host: str = "host-a") -> dict[str, Any]:
        """This file's own app step (``_app_main``) in a process of its own."""
        done = subprocess.run([sys.executable, __file__, "--app", *args],
                              env=self.env(url, self.signer, host), capture_output=True,
                              text=True,
                              timeout=TIMEOUT * 2, cwd=ROOT)
        if done.returncode != 0:
            raise DrillFailed(f"app step {args}: {done.stdout}{done.stderr}"[-3000:])
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    def verify(self, export: Path, checkpoints: list[Path], public_key: Path,
               check: bool = True) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "amanat.verify", str(export), *map(str, checkpoints),
             "--public-key", str(public_key)],
            capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        if check and done.returncode != 0:
            raise DrillFailed(f"amanat-verify: {done.stdout}{done.stderr}")
        return (done.stdout + done.stderr).strip()

    def check(self, name: str, ok: bool, detail: Any = None) -> None:
        self.result["checks"][name] = detail if ok else {"failed": detail}
        if not ok:
            raise DrillFailed(f"check {name} failed: {detail}")

    # --- the drill ----------------------------------------------------------------------

    def run(self) -> None:
        t0 = time.monotonic()
        self.owned_dir(self.archive)
        self.owned_dir(self.backup.parent)
        self.owned_dir(self.work)
        primary = self.work / "primary"
        self.pg("initdb", "-D", str(primary), "-U", "amanat", "--auth=trust", "-E", "UTF8",
                "--locale=C.UTF-8", log="initdb.log")
        # The archive_command of docs/deployment.md: never overwrite a segment already
        # there, and never show a half-copied one under its name (copy, then rename).
        archive_command = (f"test ! -f {self.archive}/%f && cp %p {self.archive}/%f.part"
                           f" && mv {self.archive}/%f.part {self.archive}/%f")
        # In the primary's own files, as an operator's primary has them (postgresql.conf
        # and ALTER SYSTEM), not on the command line: pg_basebackup copies the files into
        # the backup, and the restore must undo what would harm the restored copy. Here
        # the synchronous standby of the national layout is named (docs/deployment.md):
        # a restored copy that kept the name would hang on every commit, audit-export's
        # included (user review 2 of the national layout, finding 2). The drill has no
        # standby, so the primary commits with synchronous_commit=local (command line:
        # not in the backup) and does not wait for one.
        settings = ("wal_level = replica\narchive_mode = on\n"
                    f"archive_command = '{archive_command}'\narchive_timeout = 0\n"
                    "synchronous_standby_names = 'amanat_standby'\n")
        subprocess.run([*self.as_owner, "sh", "-c", f"cat >> {primary}/postgresql.auto.conf"],
                       input=settings.encode(), check=True, timeout=TIMEOUT)
        url = self.start(primary, free_port(), "-c synchronous_commit=local")
        self.pg("createdb", "-h", str(self.work), "-p", url.rsplit(":", 1)[1].split("/")[0],
                "-U", "amanat", "amanat", log="createdb.log")
        self.amanat(url, self.signer, "migrate", "--noinput", "-v", "0")
        self.amanat(url, self.signer, "audit-keygen")
        self.published.mkdir()
        self.result["setup_s"] = round(time.monotonic() - t0, 1)

        # 2. Writes before the backup, a published checkpoint.
        before = self.app(url, "setup", "--tag", TAGS[0], "--count", "5", "--evidence")
        self.amanat(url, self.signer, "audit-checkpoint", "--out",
                    str(self.published / "1.txt"))

        # 3. The base backup.
        t = time.monotonic()
        port = url.rsplit(":", 1)[1].split("/")[0]
        self.pg("pg_basebackup", "-h", "127.0.0.1", "-p", port, "-U", "amanat",
                "-D", str(self.backup), "-Ft", "-z", "-X", "stream", "-c", "fast",
                "--label", "restore-drill", log="basebackup.log")
        self.result["base_backup_s"] = round(time.monotonic() - t, 1)

        # 4. Writes after the backup; the last published checkpoint; the signer's backup.
        after = self.app(url, "write", "--tag", TAGS[1], "--count", "5", "--evidence")
        # A second, earlier target: before the last checkpoint was signed (step 8).
        early = self.sql(url, "SELECT clock_timestamp()")
        time.sleep(0.2)
        self.app(url, "write", "--tag", "between-targets", "--count", "1")
        self.amanat(url, self.signer, "audit-checkpoint", "--out",
                    str(self.published / "2.txt"))
        signer_backup = self.work / "signer-backup"
        shutil.copytree(self.signer, signer_backup)
        target = self.sql(url, "SELECT clock_timestamp()")
        self.result["target_time"] = target
        events_at_target = int(self.sql(url, "SELECT count(*) FROM audit_event"))
        time.sleep(0.2)  # commits after the target carry a later timestamp

        # 5. Writes after the target; archive the last segment; lose the primary.
        self.app(url, "write", "--tag", TAGS[2], "--count", "3")
        segment = self.sql(url, "SELECT pg_walfile_name(pg_switch_wal())")
        self._wait_archived(url, segment)
        self.stop(primary, "immediate")

        # 6. Restore to the target time.
        t = time.monotonic()
        restored_url = self.restore("restored", target)
        self.result["restore_s"] = round(time.monotonic() - t, 1)

        # 7. Checks on the restored copy.
        # Read on a new app host (an empty var folder): the files come from the database.
        counts = self.app(restored_url, "count", "--evidence", host="host-new")
        self.check("reports_before_target_present",
                   counts["tags"].get(TAGS[0]) == before["count"]
                   and counts["tags"].get(TAGS[1]) == after["count"], counts["tags"])
        self.check("reports_after_target_absent", TAGS[2] not in counts["tags"],
                   counts["tags"])
        self.check("evidence_readable", counts["evidence_ok"] == counts["evidence"] > 0,
                   {"evidence": counts["evidence"], "readable": counts["evidence_ok"]})
        on_disk = [str(p) for host in ("host-a", "host-new")
                   for p in (self.work / host).rglob("*") if p.is_file()
                   and p.name != "secret_key"]
        self.check("no_files_on_app_hosts", on_disk == [], on_disk)
        self.check("audit_events_at_target",
                   counts["events"] == events_at_target,
                   {"restored": counts["events"], "at_target": events_at_target})
        export = self.work / "restored-audit.jsonl"
        self.amanat(restored_url, signer_backup, "audit-export", "--out", str(export))
        public_key = signer_backup / "audit_ed25519.pem.pub"
        checkpoints = [self.published / "1.txt", self.published / "2.txt"]
        self.check("amanat_verify_last_published",
                   True, self.verify(export, checkpoints, public_key))
        # The signer, restored from its own backup, carries on over the restored log.
        signer_restored = self.work / "signer-restored"
        shutil.copytree(signer_backup, signer_restored)
        self.amanat(restored_url, signer_restored, "audit-checkpoint", "--out",
                    str(self.published / "3.txt"))
        export2 = self.work / "restored-audit-2.jsonl"
        self.amanat(restored_url, signer_restored, "audit-export", "--out", str(export2))
        self.check("restored_signer_signs_on", True,
                   self.verify(export2, [*checkpoints, self.published / "3.txt"], public_key))

        # 8. A restore to before the last published checkpoint: amanat-verify says the
        # checkpoint's events are missing, the signer refuses; a new series once checked.
        early_url = self.restore("restored-early", early)
        export3 = self.work / "restored-early-audit.jsonl"
        self.amanat(early_url, signer_backup, "audit-export", "--out", str(export3))
        said = self.verify(export3, checkpoints, public_key, check=False)
        self.check("early_restore_fails_verify", said.startswith("FAIL") and "truncated" in said,
                   said)
        self.check("early_restore_verifies_with_earlier_checkpoint", True,
                   self.verify(export3, checkpoints[:1], public_key))
        signer_early = self.work / "signer-early"
        shutil.copytree(signer_backup, signer_early)
        refused = self.amanat(early_url, signer_early, "audit-checkpoint", "--out",
                              str(self.work / "refused.txt"), check=False)
        self.check("early_restore_signer_refuses", refused.returncode != 0,
                   (refused.stdout + refused.stderr).strip()[-300:])
        self.amanat(early_url, signer_early, "audit-checkpoint", "--new-series", "--out",
                    str(self.published / "4.txt"))
        export4 = self.work / "restored-early-audit-2.jsonl"
        self.amanat(early_url, signer_early, "audit-export", "--out", str(export4))
        self.check("early_restore_new_series", True,
                   self.verify(export4, [checkpoints[0], self.published / "4.txt"],
                               public_key))
        self.result["total_s"] = round(time.monotonic() - t0, 1)
        self.result["ok"] = True

    def restore(self, name: str, target: str) -> str:
        """The base backup and the archive, replayed to ``target`` in a new data folder
        on a new port, promoted; returns its URL."""
        restored = self.owned_dir(self.work / name)
        os.chmod(restored, 0o700)
        subprocess.run([*self.as_owner, "tar", "-xzf", str(self.backup / "base.tar.gz"),
                        "-C", str(restored)], check=True, timeout=TIMEOUT)
        subprocess.run([*self.as_owner, "tar", "-xzf", str(self.backup / "pg_wal.tar.gz"),
                        "-C", str(restored / "pg_wal")], check=True, timeout=TIMEOUT)
        # docs/deployment.md, "Restore to a point in time": the last two lines keep the
        # restored copy from waiting for the primary's synchronous standby and from
        # archiving its new timeline into the live archive (user review 2, F2 and F3).
        recovery = (f"restore_command = 'cp {self.archive}/%f %p'\n"
                    f"recovery_target_time = '{target}'\n"
                    "recovery_target_action = 'promote'\n"
                    "synchronous_standby_names = ''\n"
                    "archive_mode = off\n")
        subprocess.run([*self.as_owner, "sh", "-c",
                        f"cat >> {restored}/postgresql.auto.conf && "
                        f"touch {restored}/recovery.signal"],
                       input=recovery.encode(), check=True, timeout=TIMEOUT)
        url = self.start(restored, free_port())
        self._wait_promoted(url, restored)
        # The primary's synchronous standby and archive are not the restored copy's.
        settings = {"synchronous_standby_names": self.sql(url, "SHOW synchronous_standby_names"),
                    "archive_mode": self.sql(url, "SHOW archive_mode")}
        self.check(f"{name}_no_standby_no_archive",
                   settings == {"synchronous_standby_names": "", "archive_mode": "off"},
                   settings)
        return url

    def _wait_archived(self, url: str, segment: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if (self.archive / segment).exists():
                return
            time.sleep(0.1)
        archiver = self.sql(url, "SELECT * FROM pg_stat_archiver")
        raise DrillFailed(f"WAL segment {segment} was not archived in {TIMEOUT} s: {archiver}")

    def _wait_promoted(self, url: str, data: Path) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                if self.sql(url, "SELECT pg_is_in_recovery()") == "f":
                    return
            except DrillFailed:
                pass
            time.sleep(0.2)
        raise DrillFailed("the restored copy did not reach its target and promote: "
                          + (self.work / f"{data.name}.log").read_text()[-2000:])

    def cleanup(self) -> None:
        for data in list(self.running):
            with contextlib.suppress(DrillFailed, subprocess.SubprocessError):
                self.stop(data, "immediate")


# --- the app steps (run in their own process, with DATABASE_URL set) ----------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _app_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["setup", "write", "count"])
    parser.add_argument("--tag", default="")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--evidence", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if args.step == "setup":
        _setup()
    if args.step in ("setup", "write"):
        print(json.dumps(_write(args.tag, args.count, args.evidence)))
    else:
        print(json.dumps(_count()))


def _setup() -> None:
    """A county with a station, an election, a field inspector with an API token."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from amanat.accounts.models import Role
    from amanat.accounts.services import membership_grant_system
    from amanat.elections.models import Election
    from amanat.geo.models import KIND_LETTER, AdminUnit, Kind
    from amanat.stations.models import Station

    parent = None
    units = {}
    for kind, code, name in [(Kind.COUNTRY, "IR", "ایران"), (Kind.PROVINCE, "23", "تهران"),
                             (Kind.COUNTY, "2310", "قرچک")]:
        segment = f"{KIND_LETTER[kind]}-{code}" if kind == Kind.COUNTRY else \
            f"{KIND_LETTER[kind]}{code}"
        parent = units[kind] = AdminUnit.objects.create(
            kind=kind, code=code, name=name, name_key=name, parent=parent,
            path=(parent.path if parent else "") + segment + "/",
            depth=(parent.depth + 1) if parent else 0)
    county = units[Kind.COUNTY]
    election = Election.objects.create(name="انتخابات آزمایشی", slug="restore-drill",
                                       election_day=timezone.localdate())
    Station.objects.create(election=election, county=county, unit=county,
                           unit_path=county.path, code="0042", name="دبستان فردوسی")
    user = get_user_model().objects.create_user(username="drill-inspector", password=None)
    membership_grant_system(user=user, role=Role.FIELD_INSPECTOR, unit=county,
                            actor_name="restore-drill")


def _write(tag: str, count: int, evidence: bool) -> dict[str, Any]:
    """``count`` reports through the API, tagged in their text; with ``evidence``, one
    file attached to the first through the evidence service."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from amanat.accounts.services import api_token_issue
    from amanat.incidents import services
    from amanat.incidents.evidence import check_bytes
    from amanat.incidents.models import Category, Channel
    from amanat.stations.models import Station

    user = get_user_model().objects.get(username="drill-inspector")
    _, token = api_token_issue(user=user, name=f"drill {tag}", ttl_days=1, actor=user)
    client = Client(HTTP_HOST="127.0.0.1")
    references = []
    for n in range(count):
        response = client.post(
            "/api/v1/incidents/reports", content_type="application/json",
            data=json.dumps({"category": "VB", "station_code": "2310-0042",
                             "text": f"[{tag}] گزارش {n}"}),
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
            secure=True)
        if response.status_code not in (200, 201):
            raise SystemExit(f"report {n}: {response.status_code} {response.content!r}")
        references.append(response.json()["reference"])
    if evidence:
        # A web report with a file, through the service the report form uses.
        station = Station.objects.get(code="0042")
        received = services.report_receive(
            channel=Channel.WEB, category=Category.objects.get(sms_code="VB"),
            text=f"[{tag}] گزارش با پیوست", station=station, actor=user,
            evidence=[check_bytes(PNG + tag.encode(), f"{tag}.png")])
        references.append(received.report.reference)
    return {"count": len(references), "references": references}


def _count() -> dict[str, Any]:
    import re

    from amanat.audit.models import Event
    from amanat.incidents.models import Evidence, Report

    tags: dict[str, int] = {}
    for text in Report.objects.values_list("text", flat=True):
        match = re.match(r"\[([a-z-]+)\]", text)
        if match:
            tags[match.group(1)] = tags.get(match.group(1), 0) + 1
    evidence = list(Evidence.objects.all())
    readable = 0
    for item in evidence:
        with item.file.open("rb") as handle:
            readable += handle.read().startswith(PNG)
    return {"tags": tags, "events": Event.objects.count(), "evidence": len(evidence),
            "evidence_ok": readable}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--app":
        _app_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    bin_dir = pg_bin()
    if bin_dir is None:
        print("PostgreSQL is not installed (no initdb found): the restore drill did not run.",
              file=sys.stderr)
        raise SystemExit(3)
    work = Path(tempfile.mkdtemp(prefix="amanat-restore-drill."))
    drill = Drill(work, bin_dir)
    status = 0
    try:
        drill.run()
    except (DrillFailed, subprocess.SubprocessError) as error:
        drill.result["ok"] = False
        drill.result["error"] = str(error)
        status = 1
    finally:
        drill.cleanup()
        drill.result["folder"] = str(work) if args.keep else None
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(drill.result, ensure_ascii=False, indent=1))
    raise SystemExit(status)


if __name__ == "__main__":
    main()
