"""Serving with Voilà, without starting it: the 0600 config, stale folders, the origin check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from dsr_workbench.core.procs import process_start
from dsr_workbench.widgets.serve import remove_stale_folders, write_config


def test_config_holds_token_origin_and_no_tracebacks_readable_by_owner_only(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path, "s3cret", 8123)
    assert path.stat().st_mode & 0o777 == 0o600
    config = json.loads(path.read_text(encoding="utf-8"))
    assert config["Voila"]["token"] == "s3cret"
    assert config["Voila"]["tornado_settings"] == {
        "allow_origin": "http://127.0.0.1:8123",
        "allow_remote_access": False,
    }
    assert config["Voila"]["identity_provider_class"].endswith("SameOriginIdentityProvider")
    assert config["VoilaConfiguration"]["show_tracebacks"] is False
    with pytest.raises(FileExistsError):  # never written over (nor through a planted link)
        write_config(tmp_path, "other", 8123)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_stale_folders_of_dead_servers_are_removed_live_ones_kept(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone_start = process_start(gone.pid) or 1
    gone.wait(timeout=30)
    me = os.getpid()
    dead = Path(tempfile.mkdtemp(prefix=f"dsr-present-{gone.pid}-{gone_start}-", dir=tmp_path))
    live = Path(tempfile.mkdtemp(prefix=f"dsr-present-{me}-{process_start(me)}-", dir=tmp_path))
    other = tmp_path / "dsr-present-notes"
    other.mkdir()
    assert remove_stale_folders(tmp_path) == [dead]
    assert not dead.exists() and live.is_dir() and other.is_dir()


def _handler(origin: str | None) -> SimpleNamespace:
    headers = {} if origin is None else {"Origin": origin}
    return SimpleNamespace(
        request=SimpleNamespace(headers=headers),
        settings={"allow_origin": "http://127.0.0.1:8123"},
    )


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "http://localhost:8123", "null", "http://127.0.0.1:8124"]
)
def test_identity_provider_refuses_every_other_origin(origin: str) -> None:
    from tornado.web import HTTPError

    from dsr_workbench.widgets._voila_security import SameOriginIdentityProvider

    provider = SameOriginIdentityProvider(token="t")
    assert provider.should_check_origin(_handler(origin)) is True  # even with the token
    with pytest.raises(HTTPError) as info:
        provider.get_user(_handler(origin))
    assert info.value.status_code == 403
