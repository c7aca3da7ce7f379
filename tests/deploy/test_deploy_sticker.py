"""`canopy sticker`: a QR code that opens the portal, as PNG or SVG."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import segno
from click.testing import CliRunner

from hub.deploy import sticker_cmd


def _expected(url: str, kind: str) -> bytes:
    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind=kind, scale=10, border=4)
    return buf.getvalue()


def test_default_sticker_points_at_the_portal_address(tmp_path: Path) -> None:
    out = tmp_path / "sticker.svg"
    result = CliRunner().invoke(sticker_cmd, ["--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == _expected("http://198.18.0.1/", "svg")
    assert b"<svg" in out.read_bytes()[:200]


def test_png_sticker_with_a_custom_address(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "sticker.PNG"
    result = CliRunner().invoke(sticker_cmd, ["--out", str(out), "--address", "198.19.0.7"])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert data == _expected("http://198.19.0.7/", "png")
    assert [p.name for p in out.parent.iterdir()] == ["sticker.PNG"]


def test_explicit_url(tmp_path: Path) -> None:
    out = tmp_path / "s.svg"
    result = CliRunner().invoke(sticker_cmd, ["--out", str(out), "--url", "http://10.77.0.1/"])
    assert result.exit_code == 0
    assert out.read_bytes() == _expected("http://10.77.0.1/", "svg")


@pytest.mark.parametrize(
    "args",
    [
        ["--out", "s.pdf"],
        ["--out", "s.svg", "--url", "javascript:alert(1)"],
        ["--out", "s.svg", "--url", "http://x/ y"],
        ["--out", "s.svg", "--url", "http://" + "a" * 400],
        ["--out", "s.svg", "--address", "not-an-ip"],
    ],
)
def test_bad_sticker_options_write_nothing(tmp_path: Path, args: list[str]) -> None:
    args = [str(tmp_path / a) if a.startswith("s.") else a for a in args]
    result = CliRunner().invoke(sticker_cmd, args)
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []
