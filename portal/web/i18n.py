"""Languages: Flask-Babel catalogues, chosen by ``?lang=`` or ``Accept-Language``.

No cookie is needed: an explicit ``?lang=xx`` wins and is carried on every link and form
of the page (:func:`url`), else the browser's ``Accept-Language`` picks. Catalogues are
shipped as ``portal/translations/<lang>/LC_MESSAGES/messages.po`` and compiled to ``.mo``
when the app starts (into a cache directory, written atomically so several workers can
race safely), so a fresh clone needs no build step. Adding a language is adding a
``.po`` file (see docs/portal.md).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Flask, request, url_for
from flask_babel import Babel
from werkzeug.routing import BuildError

from hub.local import atomic_write

SOURCE = Path(__file__).parents[1] / "translations"
DEFAULT = "en"


def languages() -> list[str]:
    found = sorted(p.name for p in SOURCE.iterdir() if (p / "LC_MESSAGES/messages.po").is_file())
    return [DEFAULT, *[lang for lang in found if lang != DEFAULT]]


def compile_catalogues(dest: Path) -> Path:
    """Compile every ``.po`` to ``dest/<lang>/LC_MESSAGES/messages.mo`` if out of date."""
    for lang in languages():
        po = SOURCE / lang / "LC_MESSAGES" / "messages.po"
        if not po.is_file():
            continue
        mo = dest / lang / "LC_MESSAGES" / "messages.mo"
        if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        from babel.messages.mofile import write_mo  # only when compiling: keeps workers small
        from babel.messages.pofile import read_po

        mo.parent.mkdir(parents=True, exist_ok=True)
        with open(po, "rb") as f:
            catalog = read_po(f, locale=lang)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        atomic_write(mo, buf.getvalue())
    return dest


def requested_lang() -> str | None:
    """The language asked for with ``?lang=``, if it is one we have."""
    lang = request.args.get("lang", "")
    return lang if lang in NAMES_AVAILABLE else None


def select_locale() -> str:
    return requested_lang() or request.accept_languages.best_match(NAMES_AVAILABLE, default=DEFAULT)


def url(endpoint: str, **values: Any) -> str:
    """``url_for`` that keeps an explicit ``?lang=`` choice."""
    lang = requested_lang()
    if lang and "lang" not in values:
        values["lang"] = lang
    return url_for(endpoint, **values)


# query arguments worth keeping when switching language (the log's filters)
KEPT_ARGS = ("kind", "day", "hub", "page")


def switch_url(lang: str) -> str:
    """This page in another language."""
    values: dict[str, Any] = {k: v for k, v in request.args.items() if k in KEPT_ARGS}
    values.update(request.view_args or {})
    values["lang"] = lang
    try:
        return url_for(request.endpoint or "public.home", **values)
    except (BuildError, ValueError):  # e.g. on an error page for a URL that did not match
        return url_for("public.home", lang=lang)


def display_name(lang: str) -> str:
    """The language named in itself, for the switch. Known names are written out: asking
    Babel loads its locale data, megabytes per language in every worker."""
    known = {"en": "English", "es": "Español", "fr": "Français", "pt": "Português"}
    if lang in known:
        return known[lang]
    from babel import Locale

    return str(Locale.parse(lang).get_display_name(lang) or lang).capitalize()


NAMES_AVAILABLE: list[str] = languages()
NAMES: dict[str, str] = {lang: display_name(lang) for lang in NAMES_AVAILABLE}


def init_app(app: Flask, cache_dir: Path) -> None:
    compiled = compile_catalogues(cache_dir)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(url=url, switch_url=switch_url, lang_names=NAMES)
