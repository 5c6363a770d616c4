"""Files Amanat creates are for its own account only: 0600 files in 0700 folders.

Issue 11: the database, the generated secret key, the audit key and evidence were
readable by every local user.  A fresh process started with the common umask 022 (as a
service manager or a shell would start it) creates each of them; settings set the
process umask before anything is created, and uploads get explicit modes.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, os, stat, sys
import django
django.setup()
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from amanat.audit.services import audit_record

call_command("migrate", verbosity=0)
call_command("audit_keygen", verbosity=0)
audit_record(action="test.modes")  # the connection stays open: -wal and -shm exist
stored = default_storage.save("evidence/0123abcd.png", ContentFile(b"png"))
database = str(settings.DATABASES["default"]["NAME"])
paths = {
    "var": settings.VAR_DIR,
    "secret_key": settings.VAR_DIR / "secret_key",
    "database": database,
    "database-wal": database + "-wal",
    "database-shm": database + "-shm",
    "audit_key": settings.AMANAT_AUDIT_KEY,
    "audit_state": str(settings.AMANAT_AUDIT_KEY) + ".state",
    "media": settings.MEDIA_ROOT,
    "evidence_dir": settings.MEDIA_ROOT / "evidence",
    "evidence": settings.MEDIA_ROOT / stored,
}
print(json.dumps({name: oct(stat.S_IMODE(os.stat(p).st_mode)) for name, p in paths.items()}))
"""


def test_files_and_folders_are_private_to_the_account(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "AMANAT_SECRET_KEY", "AMANAT_AUDIT_KEY",
                        "AMANAT_SQLITE_PATH", "AMANAT_MEDIA_ROOT"}}
    env.update(AMANAT_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="amanat.settings")
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, umask=0o022,
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    modes = json.loads(done.stdout.strip().splitlines()[-1])
    folders = {"var", "media", "evidence_dir"}
    assert modes == {name: "0o700" if name in folders else "0o600" for name in modes}
    # The generated secret key is kept: a second start reads the same one.
    key = (tmp_path / "var" / "secret_key").read_text()
    subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                   check=True, timeout=120)
    assert (tmp_path / "var" / "secret_key").read_text() == key and len(key) > 50
    assert stat.S_IMODE((tmp_path / "var" / "secret_key").stat().st_mode) == 0o600
