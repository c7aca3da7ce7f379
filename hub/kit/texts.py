"""The kit's own texts in every portal language: the steward card, the sticker template and
what each role does.

The kit carries them in English (the portal's default language) in its main fields and in
every other portal language under ``translations``. The charter, protocols, compact and
vow templates are the network's own texts and travel as they were written.

The English steward card is made from the radio's command language itself
(:data:`radio.desk.HELP`, passed in: ``hub`` does not import ``radio``); the others list
the same commands, in the same order, with the explanation translated, so a card can never
name a command the radio does not know (a test holds :data:`LANGUAGES` equal to the
portal's languages and every card to the radio's commands).
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("en", "es")  # the portal's languages (portal/translations), default first

CARD = {
    "en": (
        "# Steward card",
        "Send these as a direct message to the hub from your enrolled radio.",
        "Coordinators also have ALERT and CANCEL.",
    ),
    "es": (
        "# Tarjeta del guardián",
        "Envíalos como mensaje directo al nodo desde tu radio inscrita.",
        "Los coordinadores también tienen ALERT y CANCEL.",
    ),
}
COMMANDS: dict[str, dict[str, str]] = {
    "es": {
        "IN": "IN [min] [nota] empieza el turno",
        "OUT": "OUT [nota] termina el turno",
        "LOG": "LOG texto anota en el registro",
        "INC": "INC texto registra un incidente",
        "WHO": "WHO quién está de guardia",
        "ALERTS": "ALERTS las alertas abiertas",
        "MORE": "MORE página siguiente",
        "ACK": "ACK n confirma la alerta n",
        "RESEND": "RESEND k vuelve a enviar la parte k",
        "FIX": "FIX n texto corrige tu entrada n",
        "ALERT": "ALERT texto alerta a todas las radios",
        "CANCEL": "CANCEL n cancela la alerta n",
        "ROLES": "ROLES quién tiene cada rol y hasta cuándo",
        "VOTES": "VOTES las votaciones abiertas",
        "VOTE": "VOTE n YES/NO vota en la votación n",
        "PROPOSE": "PROPOSE h rol 90d propone un mandato a votación",
    },
}
ROLES = {
    "en": {
        "steward": "Patrols, checks in and out by radio, logs notes and incidents, "
        "acknowledges alerts. Enrolled with a one-time code; the term ends unless renewed.",
        "coordinator": "Broadcasts alerts, enrols stewards; a time-bound mandate from the "
        "assembly that expires unless renewed. Rotates on a fixed calendar.",
    },
    "es": {
        "steward": "Patrulla, entra y sale de turno por radio, anota notas e incidentes, "
        "confirma alertas. Se inscribe con un código de un solo uso; el mandato termina "
        "si no se renueva.",
        "coordinator": "Envía alertas, inscribe guardianes; un mandato de la asamblea con "
        "fecha de fin que caduca si no se renueva. Rota según un calendario fijo.",
    },
}
STICKER = {
    "en": (
        "COMMUNITY SAFETY ZONE\n"
        "{hub_name}\n"
        'Join the Wi-Fi "{ssid}": who is on patrol, the public log, our charter.\n'
        "No account, no tracking, no internet needed.\n"
        "[QR code: canopy sticker --out sticker.svg prints it for your hub]\n"
    ),
    "es": (
        "ZONA DE SEGURIDAD VECINAL\n"
        "{hub_name}\n"
        'Conéctate al Wi-Fi "{ssid}": quién patrulla, el registro público, nuestra carta.\n'
        "Sin cuenta, sin rastreo, sin necesidad de internet.\n"
        "[Código QR: canopy sticker --out sticker.svg lo imprime para tu nodo]\n"
    ),
}


def verbs(help_text: str) -> list[str]:
    """The commands of a radio help text (``"IN [min] start | OUT end"``), in order."""
    return [part.split()[0] for part in help_text.split("|") if part.strip()]


def steward_card(lang: str, help_text: str, help_coord: str) -> str:
    """The steward card in ``lang``; raises KeyError for a command it cannot explain."""
    title, intro, coord = CARD[lang]
    if lang == LANGUAGES[0]:
        lines = [c.strip() for c in (help_text + help_coord).split("|") if c.strip()]
    else:
        lines = [COMMANDS[lang][v] for v in verbs(help_text + help_coord)]
    return f"{title}\n\n{intro}\n{coord}\n\n" + "\n".join(f"- `{c}`" for c in lines) + "\n"


def translations(help_text: str, help_coord: str) -> dict[str, Any]:
    """The kit's ``translations``: every portal language but the default."""
    return {
        lang: {
            "steward_card": steward_card(lang, help_text, help_coord),
            "sticker": STICKER[lang],
            "roles": dict(ROLES[lang]),
        }
        for lang in LANGUAGES[1:]
    }
