"""``workbench init``: a workspace is never overwritten."""

from pathlib import Path


def test_init_refuses_to_overwrite(cli, tmp_path: Path) -> None:
    result = cli("init", str(cli.home))
    assert result.exit_code == 2 and "refusing to overwrite" in result.stderr
