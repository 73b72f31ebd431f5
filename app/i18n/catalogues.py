"""The catalogues' housekeeping, for ``make i18n`` and for translators (``python -m app.i18n.catalogues ...``):

- ``english``: every English entry's translation is its source text (the code is written in English), so the
  English catalogue is complete by construction and an English plural has both forms;
- ``todo LANG``: the entries still to translate, as JSON (``{"msgid": ""}``; a plural's key is its two forms
  joined by ``"\\u0000"`` and its value a list of the language's forms; an entry with a context has the context and
  ``"\\u0004"`` before its id);
- ``export LANG``: every translated entry, in the same JSON shape;
- ``apply LANG FILE``: fills entries from such a JSON file (unknown ids are reported, never added).
"""

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from app.i18n.translate import LOCALES_DIR

PLURAL_JOIN = "\u0000"
CONTEXT_JOIN = "\u0004"  # gettext's own separator of a context and its message


def catalogue_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"


def read(locale: str) -> Catalog:
    with catalogue_path(locale).open("rb") as po_file:
        return read_po(po_file, locale=locale)


def write(locale: str, catalog: Catalog) -> None:
    with catalogue_path(locale).open("wb") as po_file:
        write_po(po_file, catalog, width=120, sort_by_file=True)


def _key(message_id: str | tuple[str, ...] | list[str], context: str | None = None) -> str:
    """The JSON key of an entry: its id (a plural's two forms joined by NUL), after its context and EOT if any."""
    key = PLURAL_JOIN.join(message_id) if isinstance(message_id, tuple | list) else message_id
    return f"{context}{CONTEXT_JOIN}{key}" if context else key


def is_translated(string: str | tuple[str, ...] | list[str] | None) -> bool:
    if isinstance(string, tuple | list):
        return bool(string) and all(string)
    return bool(string)


def fill_english() -> int:
    catalog = read("en")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        source = tuple(message.id) if isinstance(message.id, tuple | list) else message.id
        if message.string != source:
            message.string = source
            filled += 1
        message.flags.discard("fuzzy")
    write("en", catalog)
    return filled


def entries(locale: str, *, translated: bool) -> dict[str, object]:
    found: dict[str, object] = {}
    for message in read(locale):
        done = is_translated(message.string) and "fuzzy" not in message.flags
        if not message.id or done != translated:
            continue
        string = message.string
        found[_key(message.id, message.context)] = list(string) if isinstance(string, tuple | list) else string
    return found


def apply(locale: str, translations: dict[str, object]) -> tuple[int, list[str]]:
    catalog = read(locale)
    by_key = {_key(message.id, message.context): message for message in catalog if message.id}
    filled, unknown = 0, []
    for key, string in translations.items():
        message = by_key.get(key)
        if message is None:
            unknown.append(key)
            continue
        if isinstance(message.id, tuple | list):
            forms = list(string) if isinstance(string, list | tuple) else [str(string)]
            message.string = tuple(forms[: catalog.num_plurals] + [forms[-1]] * (catalog.num_plurals - len(forms)))
        else:
            message.string = str(string)
        message.flags.discard("fuzzy")
        filled += 1
    write(locale, catalog)
    return filled, unknown


def main(arguments: list[str]) -> None:
    command, *rest = arguments or ["help"]
    if command == "english":
        print(f"English: {fill_english()} entries filled from their source text")
    elif command in {"todo", "export"}:
        print(json.dumps(entries(rest[0], translated=command == "export"), ensure_ascii=False, indent=1))
    elif command == "apply":
        filled, unknown = apply(rest[0], json.loads(Path(rest[1]).read_text(encoding="utf-8")))
        print(f"{rest[0]}: {filled} entries filled; {len(unknown)} unknown ids: {unknown[:20]}")
    else:
        print(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
