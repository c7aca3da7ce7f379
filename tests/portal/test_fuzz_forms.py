"""The portal's forms, fed anything: every post gets an answer below 500, hostile text is
never echoed unescaped, and nothing reaches the log (no daemon runs: writes are paused)."""

from __future__ import annotations

from flask.testing import FlaskClient
from fuzz_profiles import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_helpers import csrf_from

FIELD = st.lists(
    st.one_of(
        st.text(max_size=8),
        st.sampled_from(["<script>", "\u202e", "\x00", "\r\n", "&amp;", "'\"", "\ud800", "7"]),
    ),
    max_size=8,
).map("".join)
FORMS = {
    "/compact": ("name",),
    "/accept": (),
    "/steward/checkin": ("handle", "code", "step", "minutes", "note"),
}


@settings(
    max_examples=examples(12),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.sampled_from(sorted(FORMS)),
    st.dictionaries(st.sampled_from(["name", "handle", "code", "step", "minutes", "note", "lang",
                                     "csrf", "zz"]), FIELD, max_size=6),
    st.booleans(),
    st.integers(1, 250),
)  # fmt: skip
def test_fuzz_portal_forms(
    client: FlaskClient, path: str, fields: dict[str, str], with_token: bool, host: int
) -> None:
    env = {"REMOTE_ADDR": f"10.9.{host}.{host}"}  # a client each, past the rate limit
    form = {k: v.encode("utf-8", "surrogatepass") for k, v in fields.items()}
    if with_token:
        page = client.get("/compact" if path != "/steward/checkin" else path, environ_base=env)
        form["csrf"] = csrf_from(page.get_data(as_text=True)).encode()
    r = client.post(path, data=form, environ_base=env)
    html = r.get_data()
    # past every check a write needs the daemon, which is not running here: 503, paused
    assert r.status_code < 500 or (r.status_code == 503 and b"paused" in html.lower()), (
        path, fields, r.status_code,
    )  # fmt: skip
    assert b"<script>" not in html
    assert b"\x00" not in html
    assert r.headers.get("Content-Security-Policy")
